import { conflict, notFound } from '../../../common/errors.js';
import { nowTimestamp } from '../../../common/ids.js';
import { enqueueJob, notifyJobsQueued } from '../../../controller/jobs/job-queue.js';
import { enqueueFailover } from '../../../health/failover-job.js';
import { lockLoadBalancerItself } from '../../../db/provisioning.js';
import type { AmphoraRow } from '../../../db/schema.js';
import { findOrFail } from '../../resource.js';
import { amphoraListenerStats } from '../listeners/listener-stats.js';
import type { ApiServices } from '../../services.js';

/** The amphora actions beyond reads. Each answers Octavia's 404 "Amphora X not found." first. */

const AMPHORA = { table: 'amphora', label: 'Amphora' } as const;

/** The load balancer an amphora serves; an amphora without one (a spare) has nothing to fail over or configure. */
function servedLoadBalancer(amphora: AmphoraRow): string {
  if (!amphora.load_balancer_id) throw conflict(`Amphora ${amphora.id} is not associated with a load balancer.`);
  return amphora.load_balancer_id;
}

/**
 * DELETE: only a broken (ERROR) amphora may go, as in Octavia. It is claimed (ERROR -> PENDING_DELETE, so two
 * requests cannot both win), its compute instance removed, then its row.
 */
export async function deleteAmphora(services: ApiServices, id: string): Promise<void> {
  const amphora = await findOrFail(AMPHORA, services, id);
  const kysely = services.db.kysely;
  const claimed = await kysely
    .updateTable('amphora')
    .set({ status: 'PENDING_DELETE', updated_at: nowTimestamp() })
    .where('id', '=', id)
    .where('status', '=', 'ERROR')
    .executeTakeFirst();
  // Octavia names the resource with its lower-case constant in this fault string.
  if (Number(claimed.numUpdatedRows) !== 1) throw conflict(`amphora ${id} is immutable and cannot be updated.`);
  try {
    if (amphora.compute_id) await services.drivers.compute.destroy(amphora.compute_id);
  } catch (err) {
    await kysely.updateTable('amphora').set({ status: 'ERROR' }).where('id', '=', id).execute();
    throw err;
  }
  await kysely.deleteFrom('amphora').where('id', '=', id).execute();
}

/** PUT failover: replace this amphora; its load balancer (ACTIVE or ERROR) is PENDING_UPDATE meanwhile. */
export async function failoverAmphora(services: ApiServices, id: string): Promise<void> {
  const loadBalancerId = servedLoadBalancer(await findOrFail(AMPHORA, services, id));
  await services.db.kysely.transaction().execute(async (trx) => {
    const lock = await lockLoadBalancerItself(trx, loadBalancerId, 'PENDING_UPDATE', ['ACTIVE', 'ERROR']);
    // The flow the failover watch queues for a silent amphora; a FAILOVER_STOPPED (held) one may be forced here.
    await enqueueFailover(trx, { lock, loadBalancerId, amphoraId: id });
  });
  notifyJobsQueued();
}

/** PUT config: push the load balancer's configuration to its amphorae again (the LB must be ACTIVE). */
export async function configureAmphora(services: ApiServices, id: string): Promise<void> {
  const loadBalancerId = servedLoadBalancer(await findOrFail(AMPHORA, services, id));
  await services.db.kysely.transaction().execute(async (trx) => {
    const lock = await lockLoadBalancerItself(trx, loadBalancerId, 'PENDING_UPDATE');
    await enqueueJob(trx, {
      flow: 'apply-changes',
      loadBalancerId,
      resourceId: id,
      payload: { locked: [lock], targets: [] },
    });
  });
  notifyJobsQueued();
}

/** GET stats: one entry per listener the amphora serves; Octavia's 404 when there is none. */
export async function amphoraStats(
  services: ApiServices,
  id: string,
): Promise<{ amphora_stats: Array<Record<string, unknown>> }> {
  const amphora = await findOrFail(AMPHORA, services, id);
  const listeners = amphora.load_balancer_id
    ? await services.db.kysely
        .selectFrom('listener')
        .select('id')
        .where('load_balancer_id', '=', amphora.load_balancer_id)
        .orderBy('created_at')
        .orderBy('id')
        .execute()
    : [];
  if (listeners.length === 0) throw notFound(`Amphora stats for ${id} not found.`);
  // This amphora's own counters (zero for a listener it has not reported yet), as Octavia shows them.
  const counters = await amphoraListenerStats(services.db.kysely, id);
  return {
    amphora_stats: listeners.map((l) => {
      const c = counters.get(l.id);
      return {
        id,
        listener_id: l.id,
        loadbalancer_id: amphora.load_balancer_id,
        active_connections: c?.active_connections ?? 0,
        bytes_in: c?.bytes_in ?? 0,
        bytes_out: c?.bytes_out ?? 0,
        request_errors: c?.request_errors ?? 0,
        total_connections: c?.total_connections ?? 0,
      };
    }),
  };
}
