import { LISTENER, LOAD_BALANCER, POOL } from '../resources.js';
import { CliError } from '../runtime.js';
import type { ResourceSpec } from './crud.js';
import { choice, enableDisable, ref, str, toggle, typed, type FieldOption } from './fields.js';
import { flatList, idList, keyValues } from './formatters.js';

export const POOL_PROTOCOLS = ['TCP', 'HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'UDP', 'SCTP'];
export const LB_ALGORITHMS = ['SOURCE_IP', 'ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP_PORT'];

export const POOL_ROWS = [
  'admin_state_up',
  'created_at',
  'description',
  'healthmonitor_id',
  'id',
  'lb_algorithm',
  'listeners',
  'loadbalancers',
  'members',
  'name',
  'operating_status',
  'project_id',
  'protocol',
  'provisioning_status',
  'session_persistence',
  'updated_at',
  'tls_container_ref',
  'ca_tls_container_ref',
  'crl_container_ref',
  'tls_enabled',
  'tls_ciphers',
  'tls_versions',
  'tags',
  'alpn_protocols',
] as const;

export const POOL_COLUMNS = [
  'id',
  'name',
  'project_id',
  'provisioning_status',
  'protocol',
  'lb_algorithm',
  'admin_state_up',
] as const;

const nullable = (flags: string, field: string, help: string) => typed(flags, field, { kind: 'nullable' }, help);

const common: FieldOption[] = [
  str('--name <name>', 'name', 'Set pool name.'),
  str('--description <description>', 'description', 'Set pool description.'),
  typed(
    '--session-persistence <session persistence>',
    'session_persistence',
    { kind: 'kv' },
    'Set the session persistence for the listener (key=value).',
  ),
  choice('--lb-algorithm <algorithm>', 'lb_algorithm', LB_ALGORITHMS, 'Load balancing algorithm to use.'),
  ...enableDisable('pool'),
  nullable(
    '--tls-container-ref <container-ref>',
    'tls_container_ref',
    'The reference to the key manager service secrets container containing the certificate and key for ``tls_enabled`` pools to re-encrpt the traffic to backend member servers.',
  ),
  nullable(
    '--ca-tls-container-ref <ca_tls_container_ref>',
    'ca_tls_container_ref',
    'The reference to the key manager service secrets container containing the CA certificate for ``tls_enabled`` pools to check the backend member servers certificates.',
  ),
  nullable(
    '--crl-container-ref <crl_container_ref>',
    'crl_container_ref',
    'The reference to the key manager service secrets container containing the CA revocation list file for ``tls_enabled`` pools to validate the backend member servers certificates.',
  ),
  ...toggle(
    '--enable-tls',
    '--disable-tls',
    'tls_enabled',
    'Enable backend member re-encryption.',
    'Disable backend member re-encryption.',
  ),
  str(
    '--tls-ciphers <tls_ciphers>',
    'tls_ciphers',
    'Set the TLS ciphers to be used by the pool in OpenSSL cipher string format.',
  ),
  typed(
    '--tls-version <tls_versions>',
    'tls_versions',
    { kind: 'list' },
    'Set the TLS protocol version to be used by the pool (can be set multiple times).',
  ),
  typed(
    '--alpn-protocol <alpn_protocols>',
    'alpn_protocols',
    { kind: 'list' },
    'Set the ALPN protocol to be used by the pool (can be set multiple times).',
  ),
];

export const poolSpec: ResourceSpec = {
  kind: POOL,
  noun: 'pool',
  arg: 'pool',
  rows: POOL_ROWS,
  columns: POOL_COLUMNS,
  formatters: {
    loadbalancers: idList,
    members: idList,
    listeners: idList,
    session_persistence: keyValues,
    tags: flatList,
  },
  tags: true,
  waits: true,
  create: {
    options: [
      choice('--protocol <protocol>', 'protocol', POOL_PROTOCOLS, 'Set the pool protocol.', { required: true }),
      ref('--listener <listener>', 'listener_id', LISTENER, 'Listener to add the pool to (name or ID).'),
      ref(
        '--loadbalancer <load_balancer>',
        'loadbalancer_id',
        LOAD_BALANCER,
        'Load balancer to add the pool to (name or ID).',
      ),
      ...common.map((o) => (o.field === 'lb_algorithm' ? { ...o, required: true } : o)),
    ],
    check(body) {
      if (!('listener_id' in body) && !('loadbalancer_id' in body)) {
        throw new CliError('Missing required argument: Requires one of --listener or --loadbalancer');
      }
    },
  },
  list: {
    options: [
      ref('--loadbalancer <loadbalancer>', 'loadbalancer_id', LOAD_BALANCER, 'Filter by load balancer (name or ID).'),
    ],
  },
  set: { options: common },
  unset: {
    flags: [
      ['--name', 'name', 'Clear the pool name.'],
      ['--description', 'description', 'Clear the description of this pool.'],
      [
        '--ca-tls-container-ref',
        'ca_tls_container_ref',
        'Clear the certificate authority certificate reference on this pool.',
      ],
      ['--crl-container-ref', 'crl_container_ref', 'Clear the certificate revocation list reference on this pool.'],
      ['--session-persistence', 'session_persistence', 'Disables session persistence on the pool.'],
      ['--tls-container-ref', 'tls_container_ref', 'Clear the certificate reference for this pool.'],
      ['--tls-versions', 'tls_versions', 'Clear all TLS versions from the pool.'],
      ['--tls-ciphers', 'tls_ciphers', 'Clear all TLS ciphers from the pool.'],
      ['--alpn-protocols', 'alpn_protocols', 'Clear all ALPN protocols from the pool.'],
    ],
  },
  delete: {},
};
