import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from '../../../db/schema.js';

/**
 * Octavia's `stats` objects, summed from the counters the health manager keeps per listener and
 * amphora. The rows of an amphora that was failed over stay, so a listener's totals never drop; its
 * last connection gauge is no longer current, so, as in Octavia, active_connections counts only
 * amphorae that are ALLOCATED (in service).
 */

export interface TrafficStats {
  bytes_in: number;
  bytes_out: number;
  active_connections: number;
  total_connections: number;
  request_errors: number;
}

/** The sums over the rows `which` selects (a condition on `s.listener_id`). */
async function sumStats(db: Kysely<Database>, which: RawBuilder<SqlBool>): Promise<TrafficStats> {
  const row = await db
    .selectFrom('listener_statistics as s')
    .leftJoin('amphora as a', 'a.id', 's.amphora_id')
    .select([
      sql<number>`coalesce(sum(s.bytes_in), 0)`.as('bytes_in'),
      sql<number>`coalesce(sum(s.bytes_out), 0)`.as('bytes_out'),
      sql<number>`coalesce(sum(case when a.status = 'ALLOCATED' then s.active_connections else 0 end), 0)`.as(
        'active_connections',
      ),
      sql<number>`coalesce(sum(s.total_connections), 0)`.as('total_connections'),
      sql<number>`coalesce(sum(s.request_errors), 0)`.as('request_errors'),
    ])
    .where(which)
    .executeTakeFirstOrThrow();
  // Both databases may hand sums back as strings or floats; the API answers integers.
  return {
    bytes_in: Number(row.bytes_in),
    bytes_out: Number(row.bytes_out),
    active_connections: Number(row.active_connections),
    total_connections: Number(row.total_connections),
    request_errors: Number(row.request_errors),
  };
}

/** GET .../listeners/{id}/stats: the listener's counters over every amphora that served it. */
export function listenerStats(db: Kysely<Database>, listenerId: string): Promise<TrafficStats> {
  return sumStats(db, sql<SqlBool>`s.listener_id = ${listenerId}`);
}

/** GET .../loadbalancers/{id}/stats: the sum over the load balancer's listeners. */
export function loadBalancerStats(db: Kysely<Database>, loadBalancerId: string): Promise<TrafficStats> {
  return sumStats(
    db,
    sql<SqlBool>`s.listener_id in (select id from listener where load_balancer_id = ${loadBalancerId})`,
  );
}

/** One amphora's own counters, by listener (GET /v2/octavia/amphorae/{id}/stats). */
export async function amphoraListenerStats(
  db: Kysely<Database>,
  amphoraId: string,
): Promise<Map<string, TrafficStats>> {
  const rows = await db
    .selectFrom('listener_statistics')
    .select(['listener_id', 'bytes_in', 'bytes_out', 'active_connections', 'total_connections', 'request_errors'])
    .where('amphora_id', '=', amphoraId)
    .execute();
  return new Map(
    rows.map((r) => [
      r.listener_id,
      {
        bytes_in: Number(r.bytes_in),
        bytes_out: Number(r.bytes_out),
        active_connections: Number(r.active_connections),
        total_connections: Number(r.total_connections),
        request_errors: Number(r.request_errors),
      },
    ]),
  );
}
