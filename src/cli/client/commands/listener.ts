import type { Command } from 'commander';
import { renderOne } from '../output/formats.js';
import { findObject } from '../resolve.js';
import { LISTENER, LOAD_BALANCER, POOL } from '../resources.js';
import type { ClientRuntime } from '../runtime.js';
import { addResourceCommands, type ResourceSpec } from './crud.js';
import { choice, enableDisable, int, listEnableDisable, ref, str, typed, type FieldOption } from './fields.js';
import { flatList, idList, keyValues } from './formatters.js';
import { commandGroup, leafCommand, onAction } from './kit.js';
import { STATS_ROWS } from './load-balancer.js';

export const LISTENER_PROTOCOLS = ['TCP', 'HTTP', 'HTTPS', 'TERMINATED_HTTPS', 'UDP', 'SCTP', 'PROMETHEUS'];
const CLIENT_AUTH = ['NONE', 'OPTIONAL', 'MANDATORY'];

export const LISTENER_ROWS = [
  'admin_state_up',
  'connection_limit',
  'created_at',
  'default_pool_id',
  'default_tls_container_ref',
  'description',
  'id',
  'insert_headers',
  'l7policies',
  'loadbalancers',
  'name',
  'operating_status',
  'project_id',
  'protocol',
  'protocol_port',
  'provisioning_status',
  'sni_container_refs',
  'timeout_client_data',
  'timeout_member_connect',
  'timeout_member_data',
  'timeout_tcp_inspect',
  'updated_at',
  'client_ca_tls_container_ref',
  'client_authentication',
  'client_crl_container_ref',
  'allowed_cidrs',
  'tls_ciphers',
  'tls_versions',
  'alpn_protocols',
  'tags',
] as const;

export const LISTENER_COLUMNS = [
  'id',
  'default_pool_id',
  'name',
  'project_id',
  'protocol',
  'protocol_port',
  'admin_state_up',
] as const;

const timeout = (flag: string, field: string, help: string) => int(`${flag} <timeout>`, field, help);
const nullable = (flags: string, field: string, help: string) => typed(flags, field, { kind: 'nullable' }, help);

/** Options create and set share. */
const common: FieldOption[] = [
  str('--name <name>', 'name', 'Set the listener name.'),
  str('--description <description>', 'description', 'Set the description of this listener.'),
  int(
    '--connection-limit <limit>',
    'connection_limit',
    'Set the maximum number of connections permitted for this listener.',
  ),
  ref(
    '--default-pool <pool>',
    'default_pool_id',
    POOL,
    'Set the name or ID of the pool used by the listener if no L7 policies match.',
  ),
  str(
    '--default-tls-container-ref <container_ref>',
    'default_tls_container_ref',
    'The URI to the key manager service secrets container containing the certificate and key for TERMINATED_TLS listeners.',
  ),
  typed(
    '--sni-container-refs [container_ref...]',
    'sni_container_refs',
    { kind: 'variadic' },
    'A list of URIs to the key manager service secrets containers containing the certificates and keys for TERMINATED_TLS the listener using Server Name Indication.',
  ),
  typed(
    '--insert-headers <header=value,...>',
    'insert_headers',
    { kind: 'kv' },
    'A dictionary of optional headers to insert into the request before it is sent to the backend member.',
  ),
  timeout(
    '--timeout-client-data',
    'timeout_client_data',
    'Frontend client inactivity timeout in milliseconds. Default: 50000.',
  ),
  timeout(
    '--timeout-member-connect',
    'timeout_member_connect',
    'Backend member connection timeout in milliseconds. Default: 5000.',
  ),
  timeout(
    '--timeout-member-data',
    'timeout_member_data',
    'Backend member inactivity timeout in milliseconds. Default: 50000.',
  ),
  timeout(
    '--timeout-tcp-inspect',
    'timeout_tcp_inspect',
    'Time, in milliseconds, to wait for additional TCP packets for content inspection. Default: 0.',
  ),
  ...enableDisable('listener'),
  nullable(
    '--client-ca-tls-container-ref <container_ref>',
    'client_ca_tls_container_ref',
    'The URI to the key manager service secrets container containing the CA certificate for TERMINATED_TLS listeners.',
  ),
  choice(
    '--client-authentication <mode>',
    'client_authentication',
    CLIENT_AUTH,
    'The TLS client authentication verify options for TERMINATED_TLS listeners.',
  ),
  nullable(
    '--client-crl-container-ref <client_crl_container_ref>',
    'client_crl_container_ref',
    'The URI to the key manager service secrets container containting the CA revocation list file for TERMINATED_TLS listeners.',
  ),
  typed(
    '--allowed-cidr <allowed_cidr>',
    'allowed_cidrs',
    { kind: 'list' },
    'CIDR to allow access to the listener (can be set multiple times).',
  ),
  str(
    '--tls-ciphers <tls_ciphers>',
    'tls_ciphers',
    'Set the TLS ciphers to be used by the listener in OpenSSL format.',
  ),
  typed(
    '--tls-version <tls_versions>',
    'tls_versions',
    { kind: 'list' },
    'Set the TLS protocol version to be used by the listener (can be set multiple times).',
  ),
  typed(
    '--alpn-protocol <alpn_protocols>',
    'alpn_protocols',
    { kind: 'list' },
    'Set the ALPN protocol to be used by the listener (can be set multiple times).',
  ),
];

export const listenerSpec: ResourceSpec = {
  kind: LISTENER,
  noun: 'listener',
  arg: 'listener',
  rows: LISTENER_ROWS,
  columns: LISTENER_COLUMNS,
  formatters: {
    loadbalancers: idList,
    pools: idList,
    l7policies: idList,
    insert_headers: keyValues,
    allowed_cidrs: flatList,
    tags: flatList,
  },
  tags: true,
  waits: true,
  create: {
    owner: {
      name: 'loadbalancer',
      help: 'Load balancer for the listener (name or ID).',
      kind: LOAD_BALANCER,
      field: 'loadbalancer_id',
    },
    options: [
      choice('--protocol <protocol>', 'protocol', LISTENER_PROTOCOLS, 'The protocol for the listener.', {
        required: true,
      }),
      int('--protocol-port <port>', 'protocol_port', 'Set the protocol port number for the listener.', {
        required: true,
      }),
      ...common,
    ],
  },
  list: {
    options: [
      str('--name <name>', 'name', 'List listeners by listener name.'),
      ref('--loadbalancer <loadbalancer>', 'loadbalancer_id', LOAD_BALANCER, 'Filter by load balancer (name or ID).'),
      ...listEnableDisable('listeners'),
      str('--project <project>', 'project_id', 'List listeners by project ID.'),
    ],
  },
  set: { options: common },
  unset: {
    flags: [
      ['--name', 'name', 'Clear the listener name.'],
      ['--description', 'description', 'Clear the description of this listener.'],
      ['--connection-limit', 'connection_limit', 'Reset the connection limit to the API default.'],
      ['--default-pool', 'default_pool_id', 'Clear the default pool from the listener.'],
      [
        '--default-tls-container-ref',
        'default_tls_container_ref',
        'Remove the default TLS container reference from the listener.',
      ],
      ['--sni-container-refs', 'sni_container_refs', 'Remove the TLS SNI container references from the listener.'],
      ['--insert-headers', 'insert_headers', 'Clear the insert headers from the listener.'],
      ['--timeout-client-data', 'timeout_client_data', 'Reset the client data timeout to the API default.'],
      ['--timeout-member-connect', 'timeout_member_connect', 'Reset the member connect timeout to the API default.'],
      ['--timeout-member-data', 'timeout_member_data', 'Reset the member data timeout to the API default.'],
      ['--timeout-tcp-inspect', 'timeout_tcp_inspect', 'Reset the TCP inspection timeout to the API default.'],
      [
        '--client-ca-tls-container-ref',
        'client_ca_tls_container_ref',
        'Clear the client CA TLS container reference from the listener.',
      ],
      [
        '--client-authentication',
        'client_authentication',
        'Reset the client authentication setting to the API default.',
      ],
      [
        '--client-crl-container-ref',
        'client_crl_container_ref',
        'Clear the client CRL container reference from the listener.',
      ],
      ['--allowed-cidrs', 'allowed_cidrs', 'Clear all allowed CIDRs from the listener.'],
      ['--tls-versions', 'tls_versions', 'Clear all TLS versions from the listener.'],
      ['--tls-ciphers', 'tls_ciphers', 'Clear all TLS ciphers from the listener.'],
      ['--alpn-protocols', 'alpn_protocols', 'Clear all ALPN protocols from the listener.'],
    ],
  },
  delete: {},
};

export function addListenerCommands(group: Command, runtime: ClientRuntime): void {
  addResourceCommands(group, listenerSpec, runtime);
  const stats = commandGroup(group, 'stats', 'Listener statistics', runtime);
  const show = leafCommand(stats, 'show', 'Shows the current statistics for a listener.', runtime, 'show').argument(
    '<listener>',
    'Name or UUID of the listener',
  );
  onAction(show, runtime, async (ctx) => {
    const session = await ctx.session();
    const listener = await findObject(session, LISTENER, ctx.args[0]!);
    const body = await session.loadBalancer.get<{ stats: Record<string, unknown> }>(
      `${LISTENER.collection()}/${listener.id}/stats`,
    );
    ctx.print(
      renderOne(
        STATS_ROWS,
        STATS_ROWS.map((r) => body?.stats?.[r] ?? ''),
        ctx.output(),
      ),
    );
  });
}
