import type { Logger } from '../common/logger.js';
import { nowTimestamp } from '../common/ids.js';
import type { Db } from '../db/database.js';
import type { Drivers } from './drivers.js';

/** Agents started at once while recovering: each boots its HAProxies, so a few at a time keep the machine responsive. */
const CONCURRENCY = 4;
const PROGRESS_EVERY = 50;

export interface RecoverySummary {
  amphorae: number;
  alreadyRunning: number;
  restarted: number;
  failed: number;
}

/**
 * After a control plane start: every amphora that should exist runs again (FAILOVER_STOPPED ones too: the
 * storm guard holds amphorae exactly when many fell silent at once, e.g. their host stopped). Amphorae that kept running
 * (the controller alone restarted) are found and left alone; those that stopped with the node are started
 * and boot their last applied configs, so traffic resumes without waiting for a change. Flows that were
 * under way resume afterwards and apply their own changes.
 */
export async function recoverAmphorae(db: Db, drivers: Drivers, log: Logger): Promise<RecoverySummary> {
  const summary: RecoverySummary = { amphorae: 0, alreadyRunning: 0, restarted: 0, failed: 0 };
  const recover = drivers.compute.recover?.bind(drivers.compute);
  if (!recover) return summary;
  const rows = await db.kysely
    .selectFrom('amphora')
    .select(['id', 'compute_id'])
    .where('status', 'in', ['ALLOCATED', 'FAILOVER_STOPPED'])
    .where('compute_id', 'is not', null)
    .orderBy('id')
    .execute();
  summary.amphorae = rows.length;
  if (rows.length === 0) return summary;
  log.info({ amphorae: rows.length }, 'recovering amphorae');
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < rows.length) {
      const row = rows[next++]!;
      try {
        const recovered = await recover(row.id, row.compute_id!);
        if (!recovered) continue;
        if (recovered.restarted) summary.restarted++;
        else summary.alreadyRunning++;
        for (const failure of recovered.bootFailures)
          log.error({ amphora: row.id, loadBalancer: failure.lbId, err: failure.error }, 'HAProxy did not start again');
        if (recovered.computeId !== row.compute_id)
          await db.kysely
            .updateTable('amphora')
            .set({ compute_id: recovered.computeId, lb_network_ip: recovered.lbNetworkIp, updated_at: nowTimestamp() })
            .where('id', '=', row.id)
            .execute();
      } catch (err) {
        summary.failed++;
        log.error({ amphora: row.id, err }, 'amphora could not be recovered');
      }
      if (++done % PROGRESS_EVERY === 0) log.info({ done, of: rows.length }, 'recovering amphorae');
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, rows.length) }, worker));
  log.info(summary, 'amphorae recovered');
  return summary;
}
