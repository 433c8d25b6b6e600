import type { Kysely } from 'kysely';
import type { DialectName } from '../db/database.js';
import { toBool, type Database, type DbBool } from '../db/schema.js';
import { chunksFor, inList, runSql, yieldToEventLoop } from './bulk-sql.js';
import type { HealthGraph, HealthLoadBalancer } from './health-graph.js';

/** Bulk reads of what a batch of heartbeats needs: a few IN-list queries, whatever the batch size. */

/** What a batch needs to know of each amphora that sent a heartbeat. */
export interface AmphoraContext {
  id: string;
  loadBalancerId: string | null;
  status: string;
  /** The last accepted sequence number; undefined before the first heartbeat. */
  storedSeq: number | undefined;
  /** The amphora's load balancer row; undefined for a spare, or when the load balancer is gone. */
  loadBalancer: HealthLoadBalancer | undefined;
}

/**
 * The amphorae of these ids that exist, with their health row and load balancer row, in one query per
 * chunk. On PostgreSQL the health rows are first locked (in id order, so two health managers never
 * deadlock) until the batch commits: no other manager can take a heartbeat of these amphorae meanwhile,
 * so the stored sequence numbers read here stay true until the commit (the batch's acceptance and the
 * cache check rely on it). SQLite's write transaction already excludes every other writer.
 */
export async function readAmphoraContexts(
  db: Kysely<Database>,
  dialect: DialectName,
  ids: readonly string[],
): Promise<Map<string, AmphoraContext>> {
  const found = new Map<string, AmphoraContext>();
  const sorted = [...ids].sort();
  for (const chunk of chunksFor(dialect, sorted)) {
    const list = inList(dialect, chunk.length);
    if (dialect === 'postgres') {
      // A row that does not exist cannot be locked: a placeholder (never refreshed, below any sequence
      // number) for each amphora that will take a heartbeat, then the lock.
      await runSql(
        db,
        'insert into amphora_health (amphora_id, last_update_ms, last_seq, busy) select a.id, 0, -1, false ' +
          `from amphora a where a.id in (${list}) and a.status <> 'DELETED' and (a.load_balancer_id is null ` +
          'or exists (select 1 from load_balancer lb where lb.id = a.load_balancer_id)) ' +
          'on conflict (amphora_id) do nothing',
        chunk,
      );
      await runSql(
        db,
        `select amphora_id from amphora_health where amphora_id in (${list}) order by amphora_id for no key update`,
        chunk,
      );
    }
    const rows = await runSql<{
      id: string;
      load_balancer_id: string | null;
      status: string;
      last_seq: number | null;
      lb_id: string | null;
      admin_state_up: DbBool | null;
      provisioning_status: string | null;
      operating_status: string | null;
      updated_at: string | null;
    }>(
      db,
      'select a.id, a.load_balancer_id, a.status, h.last_seq, lb.id as lb_id, lb.admin_state_up, ' +
        'lb.provisioning_status, lb.operating_status, lb.updated_at from amphora a ' +
        'left join amphora_health h on h.amphora_id = a.id left join load_balancer lb on lb.id = a.load_balancer_id ' +
        `where a.id in (${list})`,
      chunk,
    );
    for (const r of rows)
      found.set(r.id, {
        id: r.id,
        loadBalancerId: r.load_balancer_id,
        status: r.status,
        storedSeq: r.last_seq === null ? undefined : Number(r.last_seq),
        loadBalancer:
          r.lb_id === null
            ? undefined
            : {
                id: r.lb_id,
                enabled: toBool(r.admin_state_up),
                provisioningStatus: r.provisioning_status!,
                operatingStatus: r.operating_status!,
                updatedAt: r.updated_at,
              },
      });
    await yieldToEventLoop();
  }
  return found;
}

/** The listeners, pools and members below these load balancers, as health graphs. */
export async function readHealthGraphs(
  db: Kysely<Database>,
  dialect: DialectName,
  loadBalancers: readonly HealthLoadBalancer[],
): Promise<Map<string, HealthGraph>> {
  const graphs = new Map<string, HealthGraph>();
  for (const lb of loadBalancers) graphs.set(lb.id, { loadBalancer: { ...lb }, listeners: [], pools: [] });
  const pools = new Map<string, HealthGraph['pools'][number]>();
  for (const chunk of chunksFor(
    dialect,
    loadBalancers.map((lb) => lb.id),
  )) {
    const list = inList(dialect, chunk.length);
    const listeners = await runSql<{
      id: string;
      load_balancer_id: string;
      admin_state_up: DbBool;
      protocol: string;
      operating_status: string;
    }>(
      db,
      'select id, load_balancer_id, admin_state_up, protocol, operating_status from listener ' +
        `where load_balancer_id in (${list}) order by created_at, id`,
      chunk,
    );
    for (const l of listeners)
      graphs.get(l.load_balancer_id)?.listeners.push({
        id: l.id,
        enabled: toBool(l.admin_state_up),
        protocol: l.protocol,
        operatingStatus: l.operating_status,
      });
    const poolRows = await runSql<{ id: string; load_balancer_id: string; operating_status: string }>(
      db,
      `select id, load_balancer_id, operating_status from pool where load_balancer_id in (${list}) order by created_at, id`,
      chunk,
    );
    for (const p of poolRows) {
      const pool = { id: p.id, operatingStatus: p.operating_status, members: [] };
      pools.set(p.id, pool);
      graphs.get(p.load_balancer_id)?.pools.push(pool);
    }
    const members = await runSql<{ id: string; pool_id: string; operating_status: string }>(
      db,
      'select m.id, m.pool_id, m.operating_status from member m join pool p on p.id = m.pool_id ' +
        `where p.load_balancer_id in (${list}) order by m.created_at, m.id`,
      chunk,
    );
    for (const m of members) pools.get(m.pool_id)?.members.push({ id: m.id, operatingStatus: m.operating_status });
    await yieldToEventLoop();
  }
  return graphs;
}
