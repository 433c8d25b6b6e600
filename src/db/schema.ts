import type { IdentityTables } from './schema-identity.js';
import type { NeutronTables } from './schema-neutron.js';
import type { Generated } from 'kysely';

/**
 * Row types of every table, as stored. Booleans read back as 0/1 on SQLite and true/false on
 * PostgreSQL (`toBool` evens that out); JSON-valued fields are stored as text.
 */
export type DbBool = boolean | number;

interface Provisioned {
  id: string;
  project_id: string | null;
  provisioning_status: string;
  operating_status: string;
  admin_state_up: DbBool;
  created_at: string;
  updated_at: string | null;
}

export interface LoadBalancerRow extends Provisioned {
  name: string | null;
  description: string | null;
  vip_address: string | null;
  vip_port_id: string | null;
  vip_subnet_id: string | null;
  vip_network_id: string | null;
  vip_qos_policy_id: string | null;
  vip_sg_ids: string | null;
  additional_vips: string;
  provider: string;
  flavor_id: string | null;
  availability_zone: string | null;
  topology: string;
}

export interface ListenerRow extends Provisioned {
  load_balancer_id: string;
  name: string | null;
  description: string | null;
  protocol: string;
  protocol_port: number;
  connection_limit: number;
  default_pool_id: string | null;
  default_tls_container_ref: string | null;
  sni_container_refs: string;
  insert_headers: string;
  timeout_client_data: number;
  timeout_member_connect: number;
  timeout_member_data: number;
  timeout_tcp_inspect: number;
  client_ca_tls_container_ref: string | null;
  client_authentication: string;
  client_crl_container_ref: string | null;
  allowed_cidrs: string | null;
  tls_ciphers: string | null;
  tls_versions: string | null;
  alpn_protocols: string | null;
  hsts_max_age: number | null;
  hsts_include_subdomains: DbBool;
  hsts_preload: DbBool;
}

export interface PoolRow extends Provisioned {
  load_balancer_id: string;
  name: string | null;
  description: string | null;
  protocol: string;
  lb_algorithm: string;
  session_persistence: string | null;
  tls_enabled: DbBool;
  tls_container_ref: string | null;
  ca_tls_container_ref: string | null;
  crl_container_ref: string | null;
  tls_ciphers: string | null;
  tls_versions: string | null;
  alpn_protocols: string | null;
}

export interface MemberRow extends Provisioned {
  pool_id: string;
  name: string | null;
  address: string;
  protocol_port: number;
  weight: number;
  backup: DbBool;
  subnet_id: string | null;
  monitor_address: string | null;
  monitor_port: number | null;
  vnic_type: string;
}

export interface HealthMonitorRow extends Provisioned {
  pool_id: string;
  name: string | null;
  type: string;
  delay: number;
  timeout: number;
  max_retries: number;
  max_retries_down: number;
  http_method: string | null;
  url_path: string | null;
  expected_codes: string | null;
  http_version: number | null;
  domain_name: string | null;
}

export interface L7PolicyRow extends Provisioned {
  listener_id: string;
  name: string | null;
  description: string | null;
  action: string;
  position: number;
  redirect_pool_id: string | null;
  redirect_url: string | null;
  redirect_prefix: string | null;
  redirect_http_code: number | null;
}

export interface L7RuleRow extends Provisioned {
  l7policy_id: string;
  type: string;
  compare_type: string;
  key: string | null;
  value: string;
  invert: DbBool;
}

export interface TagRow {
  resource_id: string;
  tag: string;
}

export interface AmphoraRow {
  id: string;
  load_balancer_id: string | null;
  compute_id: string | null;
  lb_network_ip: string | null;
  vrrp_ip: string | null;
  ha_ip: string | null;
  vrrp_port_id: string | null;
  ha_port_id: string | null;
  cert_expiration: string | null;
  cert_busy: DbBool;
  role: string | null;
  status: string;
  vrrp_interface: string | null;
  vrrp_id: number | null;
  vrrp_priority: number | null;
  cached_zone: string | null;
  image_id: string | null;
  compute_flavor: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface QuotaRow {
  project_id: string;
  loadbalancer: number | null;
  listener: number | null;
  pool: number | null;
  healthmonitor: number | null;
  member: number | null;
  l7policy: number | null;
  l7rule: number | null;
}

export interface FlavorProfileRow {
  id: string;
  name: string;
  provider_name: string;
  flavor_data: string;
}

export interface FlavorRow {
  id: string;
  name: string;
  description: string | null;
  enabled: DbBool;
  flavor_profile_id: string;
}

export interface AvailabilityZoneProfileRow {
  id: string;
  name: string;
  provider_name: string;
  availability_zone_data: string;
}

export interface AvailabilityZoneRow {
  name: string;
  description: string | null;
  enabled: DbBool;
  availability_zone_profile_id: string;
}

/** One unit of controller work: a flow over one resource, with its progress, so any worker can resume it. */
export interface JobRow {
  id: Generated<number>;
  flow: string;
  load_balancer_id: string | null;
  resource_id: string;
  /** JSON: what the API decided (locked rows, update fields); steps add what they produced. */
  payload: string;
  state: string;
  /** Index of the next step to run. */
  step: number;
  claimed_by: string | null;
  lease_until: number | string | null;
  attempts: number;
  error: string | null;
  created_at: string;
  updated_at: string | null;
}

/** A Neutron network (issue 3: the stored model VIPs come from; issue 5 serves it as Neutron's API). */
export interface NetworkRow {
  id: string;
  project_id: string | null;
  name: string;
  admin_state_up: DbBool;
  status: string;
  shared: DbBool;
  router_external: DbBool;
  port_security_enabled: DbBool;
  mtu: number;
  /** Added by 0005-neutron (defaults: '' and 0). */
  description: Generated<string>;
  revision_number: Generated<number>;
  created_at: string;
  updated_at: string | null;
}

export interface SubnetRow {
  id: string;
  network_id: string;
  project_id: string | null;
  name: string;
  cidr: string;
  ip_version: number;
  gateway_ip: string | null;
  /** JSON: [{"start": "...", "end": "..."}]. */
  allocation_pools: string;
  enable_dhcp: DbBool;
  /** Added by 0005-neutron (defaults: '' and 0). */
  description: Generated<string>;
  revision_number: Generated<number>;
  created_at: string;
  updated_at: string | null;
}

export interface PortRow {
  id: string;
  network_id: string;
  project_id: string | null;
  name: string;
  /** '' when unset; a VIP port Tavia made has 'Octavia'. */
  device_owner: string;
  /** '' when the port is free; `lb-<load balancer id>` while a load balancer uses it. */
  device_id: string;
  mac_address: string;
  admin_state_up: DbBool;
  status: string;
  /** Added by 0005-neutron (defaults: '', 0 and true). */
  description: Generated<string>;
  revision_number: Generated<number>;
  port_security_enabled: Generated<DbBool>;
  created_at: string;
  updated_at: string | null;
}

export interface PortFixedIpRow {
  port_id: string;
  subnet_id: string;
  ip_address: string;
  /** The IPv4 address as a number, for ordered allocation; null for IPv6. */
  ip_number: number | null;
}

/** Octavia's amphora_health: when a health manager last accepted a heartbeat of the amphora. */
export interface AmphoraHealthRow {
  amphora_id: string;
  /** Epoch milliseconds. */
  last_update_ms: number;
  /** The highest heartbeat sequence number accepted; lower or equal ones are replays. */
  last_seq: number;
  /** A failover of this amphora is under way. */
  busy: DbBool;
}

/** Octavia's listener_statistics: traffic counters of one listener on one amphora. */
export interface ListenerStatisticsRow {
  listener_id: string;
  amphora_id: string;
  bytes_in: number;
  bytes_out: number;
  active_connections: number;
  total_connections: number;
  request_errors: number;
  updated_ms: number;
}

export interface Database extends IdentityTables, NeutronTables {
  load_balancer: LoadBalancerRow;
  listener: ListenerRow;
  pool: PoolRow;
  member: MemberRow;
  health_monitor: HealthMonitorRow;
  l7policy: L7PolicyRow;
  l7rule: L7RuleRow;
  tag: TagRow;
  amphora: AmphoraRow;
  amphora_health: AmphoraHealthRow;
  listener_statistics: ListenerStatisticsRow;
  quota: QuotaRow;
  flavor_profile: FlavorProfileRow;
  flavor: FlavorRow;
  availability_zone_profile: AvailabilityZoneProfileRow;
  availability_zone: AvailabilityZoneRow;
  job: JobRow;
  network: NetworkRow;
  subnet: SubnetRow;
  port: PortRow;
  port_fixed_ip: PortFixedIpRow;
}

/** Tables that hold a provisioned resource. */
export type ResourceTable = 'load_balancer' | 'listener' | 'pool' | 'member' | 'health_monitor' | 'l7policy' | 'l7rule';

export const toBool = (v: DbBool | null | undefined): boolean => v === true || v === 1;
