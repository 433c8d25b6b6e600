import type { Kysely } from 'kysely';
import { toBool, type Database, type PoolRow } from '../../../db/schema.js';
import { groupIds, type ResourceDef } from '../../resource.js';

/** How pools are listed and shown: filterable columns, the listeners a pool serves, Octavia's shape. */

/**
 * The listeners each pool serves, as Octavia counts them: those with it as default pool, then those
 * with an enabled L7 policy that has rules and redirects to it. Read by responses and by the locks
 * a pool change takes.
 */
export async function poolListenerIds(db: Kysely<Database>, poolIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (poolIds.length === 0) return out;
  const [defaults, redirects] = await Promise.all([
    db
      .selectFrom('listener')
      .select(['id', 'default_pool_id'])
      .where('default_pool_id', 'in', poolIds)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('l7policy')
      .select(['listener_id', 'redirect_pool_id'])
      .where('redirect_pool_id', 'in', poolIds)
      .where('admin_state_up', '=', true)
      .where((eb) =>
        eb.exists(eb.selectFrom('l7rule').select('l7rule.id').whereRef('l7rule.l7policy_id', '=', 'l7policy.id')),
      )
      .orderBy('position')
      .execute(),
  ]);
  const add = (poolId: string | null, listenerId: string) => {
    if (poolId === null) return;
    const list = out.get(poolId) ?? [];
    if (!list.includes(listenerId)) list.push(listenerId);
    out.set(poolId, list);
  };
  for (const l of defaults) add(l.default_pool_id, l.id);
  for (const p of redirects) add(p.redirect_pool_id, p.listener_id);
  return out;
}

/** A pool in the field order Octavia answers with (08_pool_create / 16_pool_show). */
export function serializePool(
  r: PoolRow,
  related: { listeners: string[]; healthMonitorId: string | undefined; members: Array<{ id: string }>; tags: string[] },
): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name ?? '',
    description: r.description ?? '',
    provisioning_status: r.provisioning_status,
    operating_status: r.operating_status,
    admin_state_up: toBool(r.admin_state_up),
    protocol: r.protocol,
    lb_algorithm: r.lb_algorithm,
    session_persistence: r.session_persistence === null ? null : (JSON.parse(r.session_persistence) as unknown),
    project_id: r.project_id,
    loadbalancers: [{ id: r.load_balancer_id }],
    listeners: related.listeners.map((id) => ({ id })),
    created_at: r.created_at,
    updated_at: r.updated_at,
    // Octavia leaves the key out, rather than null, while the pool has no health monitor.
    ...(related.healthMonitorId ? { healthmonitor_id: related.healthMonitorId } : {}),
    members: related.members,
    tags: related.tags,
    tls_container_ref: r.tls_container_ref,
    ca_tls_container_ref: r.ca_tls_container_ref,
    crl_container_ref: r.crl_container_ref,
    tls_enabled: toBool(r.tls_enabled),
    tls_ciphers: r.tls_ciphers,
    tls_versions: r.tls_versions === null ? null : (JSON.parse(r.tls_versions) as unknown),
    alpn_protocols: r.alpn_protocols === null ? null : (JSON.parse(r.alpn_protocols) as unknown),
    tenant_id: r.project_id,
  };
}

/** Serialize pools with their listeners, health monitor, members and tags, in a few queries, on `db` (or a transaction). */
export async function poolViews(db: Kysely<Database>, rows: PoolRow[]): Promise<Array<Record<string, unknown>>> {
  const ids = rows.map((r) => r.id);
  if (ids.length === 0) return [];
  const [listeners, monitors, members, tagRows] = await Promise.all([
    poolListenerIds(db, ids),
    db.selectFrom('health_monitor').select(['id', 'pool_id']).where('pool_id', 'in', ids).execute(),
    db
      .selectFrom('member')
      .select(['id', 'pool_id'])
      .where('pool_id', 'in', ids)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    db.selectFrom('tag').select(['resource_id', 'tag']).where('resource_id', 'in', ids).execute(),
  ]);
  const membersByPool = groupIds(members, 'pool_id');
  return rows.map((r) =>
    serializePool(r, {
      listeners: listeners.get(r.id) ?? [],
      healthMonitorId: monitors.find((m) => m.pool_id === r.id)?.id,
      members: membersByPool.get(r.id) ?? [],
      tags: tagRows.filter((t) => t.resource_id === r.id).map((t) => t.tag),
    }),
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
  'lb_algorithm',
  'created_at',
  'updated_at',
  'tls_enabled',
  'tls_container_ref',
  'ca_tls_container_ref',
  'crl_container_ref',
  'tls_ciphers',
];

export const poolDef: ResourceDef<'pool'> = {
  table: 'pool',
  singular: 'pool',
  plural: 'pools',
  label: 'Pool',
  list: {
    columns: { ...Object.fromEntries(COLUMNS.map((c) => [c, c])), loadbalancer_id: 'load_balancer_id' },
    kinds: { admin_state_up: 'bool', tls_enabled: 'bool' },
    tagged: true,
  },
  serialize: (rows, services) => poolViews(services.db.kysely, rows),
};
