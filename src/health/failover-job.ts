import { enqueueJob } from '../controller/jobs/job-queue.js';
import type { LockedRef, Tx } from '../db/provisioning.js';

/** The one failover flow: the manual APIs and the failover watch all queue it. */
export const FAILOVER_FLOW = 'loadbalancer.failover';

/**
 * Queue a failover inside the transaction that locked the load balancer (PENDING_UPDATE): of one amphora
 * when `amphoraId` is given, else of all the load balancer's amphorae.
 */
export async function enqueueFailover(
  trx: Tx,
  target: { lock: LockedRef; loadBalancerId: string; amphoraId?: string },
): Promise<void> {
  await enqueueJob(trx, {
    flow: FAILOVER_FLOW,
    loadBalancerId: target.loadBalancerId,
    resourceId: target.amphoraId ?? target.loadBalancerId,
    payload:
      target.amphoraId === undefined
        ? { locked: [target.lock] }
        : { locked: [target.lock], amphoraToReplace: target.amphoraId },
  });
}
