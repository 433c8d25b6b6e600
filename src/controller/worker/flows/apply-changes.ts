import { deleteResourceTree } from '../../../db/delete-resource.js';
import { releaseLocks, setProvisioningStatus, type LockedRef } from '../../../db/provisioning.js';
import type { Flow } from '../flow.js';
import { applyConfigStep } from './common-steps.js';

/** One object a change acts on, as the API recorded it in the job. */
export interface ChangeTarget extends LockedRef {
  action: 'create' | 'update' | 'delete';
  /** Operating status to set when the object turns ACTIVE (health monitors and L7 objects go ONLINE). */
  operatingStatus?: string;
}

export const targetsOf = (payload: Record<string, unknown>) => (payload.targets as ChangeTarget[] | undefined) ?? [];

/**
 * The flow behind every create, update and delete below a load balancer (and a load balancer's own
 * update): push the new model to the amphorae, then settle the rows in one transaction: created and
 * updated objects ACTIVE, deleted ones gone, every parent the API locked back to ACTIVE.
 */
export const applyChangesFlow: Flow = {
  name: 'apply-changes',
  steps: [
    applyConfigStep,
    {
      name: 'settle-rows',
      async run(ctx) {
        await ctx.db.kysely.transaction().execute(async (trx) => {
          for (const target of targetsOf(ctx.payload)) {
            if (target.action === 'delete') {
              await deleteResourceTree(trx, target.table, target.id);
            } else {
              await setProvisioningStatus(trx, target.table, target.id, 'ACTIVE');
              if (target.operatingStatus)
                await trx
                  .updateTable(target.table)
                  .set({ operating_status: target.operatingStatus } as never)
                  .where('id', '=', target.id)
                  .execute();
            }
          }
          await releaseLocks(trx, ctx.payload.locked, 'ACTIVE');
        });
      },
    },
  ],
  async onFailure(ctx) {
    // Octavia's rule: the object the change was about goes to ERROR, its parents back to ACTIVE.
    await ctx.db.kysely.transaction().execute(async (trx) => {
      const targets = targetsOf(ctx.payload);
      for (const target of targets) await setProvisioningStatus(trx, target.table, target.id, 'ERROR');
      const isTarget = (ref: LockedRef) => targets.some((t) => t.table === ref.table && t.id === ref.id);
      await releaseLocks(
        trx,
        ctx.payload.locked.filter((ref) => !isTarget(ref)),
        'ACTIVE',
      );
    });
  },
};
