import type { Kysely } from 'kysely';
import { toBool, type Database, type ListenerRow } from '../../../db/schema.js';
import type { ResourceDef } from '../../resource.js';

/** How listeners are listed and shown: filterable columns and Octavia's response shape. */

const parseJson = <T>(text: string | null, empty: T): T =>
  text === null || text === '' ? empty : (JSON.parse(text) as T);

/** A listener in the field order Octavia answers with (06_listener_create / 07_listener_show). */
export function serializeListener(
  r: ListenerRow,
  policies: Array<{ id: string }>,
  tags: string[],
): Record<string, unknown> {
  const cidrs = parseJson<string[] | null>(r.allowed_cidrs, null);
  return {
    id: r.id,
    name: r.name ?? '',
    description: r.description ?? '',
    provisioning_status: r.provisioning_status,
    operating_status: r.operating_status,
    admin_state_up: toBool(r.admin_state_up),
    protocol: r.protocol,
    protocol_port: r.protocol_port,
    connection_limit: r.connection_limit,
    default_tls_container_ref: r.default_tls_container_ref,
    sni_container_refs: parseJson<string[]>(r.sni_container_refs, []),
    project_id: r.project_id,
    default_pool_id: r.default_pool_id,
    l7policies: policies,
    insert_headers: parseJson<Record<string, string>>(r.insert_headers, {}),
    created_at: r.created_at,
    updated_at: r.updated_at,
    loadbalancers: [{ id: r.load_balancer_id }],
    timeout_client_data: r.timeout_client_data,
    timeout_member_connect: r.timeout_member_connect,
    timeout_member_data: r.timeout_member_data,
    timeout_tcp_inspect: r.timeout_tcp_inspect,
    tags,
    client_ca_tls_container_ref: r.client_ca_tls_container_ref,
    client_authentication: r.client_authentication,
    client_crl_container_ref: r.client_crl_container_ref,
    allowed_cidrs: cidrs && cidrs.length > 0 ? cidrs : null,
    tls_ciphers: r.tls_ciphers,
    tls_versions: parseJson<string[] | null>(r.tls_versions, null),
    alpn_protocols: parseJson<string[] | null>(r.alpn_protocols, null),
    tenant_id: r.project_id,
  };
}

/**
 * Serialize listeners with their L7 policies (by position) and tags, in three queries. Takes the query
 * builder to use, so a write can answer from inside its own transaction.
 */
export async function listenerViews(
  db: Kysely<Database>,
  rows: ListenerRow[],
): Promise<Array<Record<string, unknown>>> {
  const ids = rows.map((r) => r.id);
  if (ids.length === 0) return [];
  const [policies, tagRows] = await Promise.all([
    db
      .selectFrom('l7policy')
      .select(['id', 'listener_id'])
      .where('listener_id', 'in', ids)
      .orderBy('position')
      .orderBy('created_at')
      .execute(),
    db.selectFrom('tag').select(['resource_id', 'tag']).where('resource_id', 'in', ids).execute(),
  ]);
  return rows.map((r) =>
    serializeListener(
      r,
      policies.filter((p) => p.listener_id === r.id).map((p) => ({ id: p.id })),
      tagRows.filter((t) => t.resource_id === r.id).map((t) => t.tag),
    ),
  );
}

const COLUMNS = [
  'id',
  'name',
  'description',
  'provisioning_status',
  'operating_status',
  'admin_state_up',
  'project_id',
  'protocol',
  'protocol_port',
  'connection_limit',
  'default_pool_id',
  'default_tls_container_ref',
  'created_at',
  'updated_at',
  'timeout_client_data',
  'timeout_member_connect',
  'timeout_member_data',
  'timeout_tcp_inspect',
  'client_ca_tls_container_ref',
  'client_authentication',
  'client_crl_container_ref',
  'tls_ciphers',
];
const INT_COLUMNS = [
  'protocol_port',
  'connection_limit',
  'timeout_client_data',
  'timeout_member_connect',
  'timeout_member_data',
  'timeout_tcp_inspect',
];

export const listenerDef: ResourceDef<'listener'> = {
  table: 'listener',
  singular: 'listener',
  plural: 'listeners',
  label: 'Listener',
  list: {
    columns: { ...Object.fromEntries(COLUMNS.map((c) => [c, c])), loadbalancer_id: 'load_balancer_id' },
    kinds: { admin_state_up: 'bool', ...Object.fromEntries(INT_COLUMNS.map((c) => [c, 'int' as const])) },
    tagged: true,
  },
  serialize: (rows, services) => listenerViews(services.db.kysely, rows),
};
