import type { Kysely } from 'kysely';
import type { DialectName } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { chunksFor, greatest, inList, runSql, valuesList, yieldToEventLoop } from './bulk-sql.js';
import type { StatusChange, StatusTable } from './health-graph.js';
import type { StatsContribution } from './statistics.js';

/** The writes of one batch, each one statement per chunk of rows. */

export interface SequenceClaim {
  amphoraId: string;
  seq: number;
  /** When the heartbeat arrived, to record as last_update; 0 when it must not refresh the amphora. */
  lastUpdateMs: number;
}

/**
 * Record the heartbeats' sequence numbers, each only if it is above the stored one, and return the
 * amphorae whose heartbeat was taken. The comparison is in the statement itself (an upsert with a
 * condition), so health managers sharing a database agree: a sequence number is taken at most once.
 * last_update never moves back, and a heartbeat that must not refresh it leaves it as it is (a first
 * one stores 0: the amphora was never seen healthy).
 */
export async function claimSequences(
  db: Kysely<Database>,
  dialect: DialectName,
  claims: readonly SequenceClaim[],
): Promise<Set<string>> {
  const taken = new Set<string>();
  for (const chunk of chunksFor(dialect, claims)) {
    const params: unknown[] = [];
    for (const c of chunk) params.push(c.amphoraId, c.lastUpdateMs, c.seq, false);
    const rows = await runSql<{ amphora_id: string }>(
      db,
      `insert into amphora_health (amphora_id, last_update_ms, last_seq, busy) values ${valuesList(dialect, chunk.length, 4)} ` +
        'on conflict (amphora_id) do update set last_seq = excluded.last_seq, ' +
        `last_update_ms = ${greatest(dialect, 'amphora_health.last_update_ms', 'excluded.last_update_ms')} ` +
        'where amphora_health.last_seq < excluded.last_seq returning amphora_id',
      params,
    );
    for (const r of rows) taken.add(r.amphora_id);
    await yieldToEventLoop();
  }
  return taken;
}

/** Add (version 3) or raise to (version 2) the listener counters; the gauge is replaced. */
export async function writeStatistics(
  db: Kysely<Database>,
  dialect: DialectName,
  rows: readonly StatsContribution[],
  nowMs: number,
): Promise<void> {
  for (const mode of ['add', 'max'] as const) {
    const ofMode = rows.filter((r) => r.mode === mode);
    const counter = (column: string) =>
      mode === 'add'
        ? `${column} = listener_statistics.${column} + excluded.${column}`
        : `${column} = ${greatest(dialect, `listener_statistics.${column}`, `excluded.${column}`)}`;
    for (const chunk of chunksFor(dialect, ofMode)) {
      const params: unknown[] = [];
      for (const r of chunk)
        params.push(
          r.listenerId,
          r.amphoraId,
          r.bytesIn,
          r.bytesOut,
          r.activeConnections,
          r.totalConnections,
          r.requestErrors,
          nowMs,
        );
      await runSql(
        db,
        'insert into listener_statistics (listener_id, amphora_id, bytes_in, bytes_out, active_connections, ' +
          `total_connections, request_errors, updated_ms) values ${valuesList(dialect, chunk.length, 8)} ` +
          'on conflict (listener_id, amphora_id) do update set ' +
          ['bytes_in', 'bytes_out', 'total_connections', 'request_errors'].map(counter).join(', ') +
          ', active_connections = excluded.active_connections, updated_ms = excluded.updated_ms',
        params,
      );
      await yieldToEventLoop();
    }
  }
}

/** Tables in the order the worker's settling transaction updates them, which keeps deadlocks away. */
const WRITE_ORDER: StatusTable[] = ['listener', 'pool', 'member', 'load_balancer'];

/** Write operating statuses: one UPDATE per table and new status, ids sorted (a stable lock order). */
export async function writeStatuses(
  db: Kysely<Database>,
  dialect: DialectName,
  changes: readonly StatusChange[],
): Promise<void> {
  for (const table of WRITE_ORDER) {
    const byStatus = new Map<string, string[]>();
    for (const c of changes) {
      if (c.table !== table) continue;
      const ids = byStatus.get(c.to) ?? [];
      ids.push(c.id);
      byStatus.set(c.to, ids);
    }
    for (const [status, ids] of [...byStatus].sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (const chunk of chunksFor(dialect, ids.sort())) {
        await runSql(
          db,
          `update ${table} set operating_status = ${dialect === 'postgres' ? '$1' : '?'} ` +
            `where id in (${inList(dialect, chunk.length, 1)})`,
          [status, ...chunk],
        );
        await yieldToEventLoop();
      }
    }
  }
}
