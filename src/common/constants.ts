/** Octavia's enums and defaults, shared by the API, the controller and the drivers. */

export const PROVISIONING_STATUSES = [
  'ACTIVE',
  'PENDING_CREATE',
  'PENDING_UPDATE',
  'PENDING_DELETE',
  'DELETED',
  'ERROR',
] as const;
export type ProvisioningStatus = (typeof PROVISIONING_STATUSES)[number];

export const OPERATING_STATUSES = ['ONLINE', 'OFFLINE', 'DEGRADED', 'ERROR', 'DRAINING', 'NO_MONITOR'] as const;
export type OperatingStatus = (typeof OPERATING_STATUSES)[number];

// The orders below are the ones Octavia prints in its fault strings.
export const LISTENER_PROTOCOLS = ['SCTP', 'HTTPS', 'UDP', 'HTTP', 'PROMETHEUS', 'TCP', 'TERMINATED_HTTPS'] as const;
export type ListenerProtocol = (typeof LISTENER_PROTOCOLS)[number];

export const POOL_PROTOCOLS = ['SCTP', 'PROXYV2', 'HTTPS', 'UDP', 'HTTP', 'PROXY', 'TCP'] as const;
export type PoolProtocol = (typeof POOL_PROTOCOLS)[number];

export const LB_ALGORITHMS = ['SOURCE_IP', 'ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP_PORT'] as const;
export type LbAlgorithm = (typeof LB_ALGORITHMS)[number];

export const SESSION_PERSISTENCE_TYPES = ['APP_COOKIE', 'HTTP_COOKIE', 'SOURCE_IP'] as const;

export const HEALTH_MONITOR_TYPES = ['SCTP', 'UDP-CONNECT', 'HTTPS', 'HTTP', 'TLS-HELLO', 'TCP', 'PING'] as const;
export type HealthMonitorType = (typeof HEALTH_MONITOR_TYPES)[number];

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'OPTIONS', 'CONNECT', 'PATCH'] as const;

export const L7POLICY_ACTIONS = ['REJECT', 'REDIRECT_TO_URL', 'REDIRECT_TO_POOL', 'REDIRECT_PREFIX'] as const;
export const L7RULE_TYPES = [
  'HOST_NAME',
  'PATH',
  'FILE_TYPE',
  'HEADER',
  'COOKIE',
  'SSL_CONN_HAS_CERT',
  'SSL_VERIFY_RESULT',
  'SSL_DN_FIELD',
] as const;
export const L7RULE_COMPARE_TYPES = ['REGEX', 'STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'EQUAL_TO'] as const;
export const REDIRECT_HTTP_CODES = [301, 302, 303, 307, 308] as const;

export const CLIENT_AUTH_MODES = ['NONE', 'OPTIONAL', 'MANDATORY'] as const;
export const TLS_VERSIONS = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export const ALPN_PROTOCOLS = ['h2', 'http/1.1', 'http/1.0'] as const;

export const AMPHORA_ROLES = ['MASTER', 'BACKUP', 'STANDALONE'] as const;
export const AMPHORA_STATUSES = [
  'BOOTING',
  'ALLOCATED',
  'READY',
  'PENDING_CREATE',
  'PENDING_DELETE',
  'DELETED',
  'ERROR',
  'FAILOVER_STOPPED',
] as const;

/** Which pool protocols each listener protocol may forward to (Octavia's compatibility table). */
export const LISTENER_POOL_PROTOCOL_MAP: Record<ListenerProtocol, readonly PoolProtocol[]> = {
  TCP: ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  HTTP: ['HTTP', 'PROXY', 'PROXYV2'],
  HTTPS: ['HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TERMINATED_HTTPS: ['HTTP', 'PROXY', 'PROXYV2'],
  UDP: ['UDP'],
  SCTP: ['SCTP'],
  PROMETHEUS: [],
};

/** Listener protocols that share the TCP port space on a VIP. */
export const TCP_FAMILY_PROTOCOLS = ['TCP', 'HTTP', 'HTTPS', 'TERMINATED_HTTPS', 'PROXY', 'PROMETHEUS'];

export const LISTENER_TIMEOUT_DEFAULTS = {
  timeout_client_data: 50000,
  timeout_member_connect: 5000,
  timeout_member_data: 50000,
  timeout_tcp_inspect: 0,
} as const;
export const MAX_TIMEOUT_MS = 2073600000;
export const MAX_RULES_PER_POLICY = 50;
export const MAX_QUOTA = 2000000000;

/** The providers this service answers to. `octavia` is Octavia's deprecated alias of `amphora`. */
export const PROVIDERS = [
  { name: 'amphora', description: 'The Octavia Amphora driver.' },
  { name: 'octavia', description: 'Deprecated alias of the Octavia Amphora driver.' },
] as const;

export const FLAVOR_CAPABILITIES = [
  {
    name: 'loadbalancer_topology',
    description:
      'The load balancer topology. One of: SINGLE - One amphora per load balancer. ACTIVE_STANDBY - Two amphora per load balancer.',
  },
  { name: 'compute_flavor', description: 'The compute driver flavor ID.' },
  { name: 'amp_image_tag', description: 'The amphora image tag.' },
] as const;

export const AVAILABILITY_ZONE_CAPABILITIES = [
  { name: 'compute_zone', description: 'The compute availability zone.' },
  { name: 'volume_zone', description: 'The volume availability zone.' },
  { name: 'management_network', description: 'The management network ID for the amphora.' },
  {
    name: 'valid_vip_networks',
    description:
      'List of network IDs that are allowed for VIP use. This overrides/replaces the list of allowed networks configured in `octavia.conf`.',
  },
] as const;
