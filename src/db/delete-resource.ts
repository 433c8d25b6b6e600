import { nowTimestamp } from '../common/ids.js';
import type { Tx } from './provisioning.js';
import type { ResourceTable } from './schema.js';

/**
 * Remove a resource and everything that cannot live without it, in one transaction.
 * Pools belong to the load balancer, so deleting a listener leaves its pools; a pool that goes takes
 * its members and health monitor, and listeners stop pointing at it.
 */
export async function deleteResourceTree(trx: Tx, table: ResourceTable, id: string): Promise<void> {
  switch (table) {
    case 'l7rule':
      await deleteRows(trx, 'l7rule', [id]);
      return;
    case 'l7policy': {
      const policy = await trx.selectFrom('l7policy').select(['listener_id']).where('id', '=', id).executeTakeFirst();
      await deletePolicies(trx, [id]);
      if (policy) await renumberPolicies(trx, policy.listener_id);
      return;
    }
    case 'member':
      await deleteRows(trx, 'member', [id]);
      return;
    case 'health_monitor': {
      const hm = await trx.selectFrom('health_monitor').select('pool_id').where('id', '=', id).executeTakeFirst();
      await deleteRows(trx, 'health_monitor', [id]);
      if (hm)
        await trx
          .updateTable('member')
          .set({ operating_status: 'NO_MONITOR' })
          .where('pool_id', '=', hm.pool_id)
          .execute();
      return;
    }
    case 'pool':
      await deletePools(trx, [id]);
      return;
    case 'listener':
      await deleteListeners(trx, [id]);
      return;
    case 'load_balancer': {
      const listeners = await trx.selectFrom('listener').select('id').where('load_balancer_id', '=', id).execute();
      await deleteListeners(
        trx,
        listeners.map((l) => l.id),
      );
      const pools = await trx.selectFrom('pool').select('id').where('load_balancer_id', '=', id).execute();
      await deletePools(
        trx,
        pools.map((p) => p.id),
      );
      const amphorae = await trx.selectFrom('amphora').select('id').where('load_balancer_id', '=', id).execute();
      if (amphorae.length > 0)
        await trx
          .deleteFrom('amphora_health')
          .where(
            'amphora_id',
            'in',
            amphorae.map((a) => a.id),
          )
          .execute();
      await trx.deleteFrom('amphora').where('load_balancer_id', '=', id).execute();
      await deleteRows(trx, 'load_balancer', [id]);
      return;
    }
  }
}

async function deleteRows(trx: Tx, table: ResourceTable, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await trx.deleteFrom('tag').where('resource_id', 'in', ids).execute();
  await trx.deleteFrom(table).where('id', 'in', ids).execute();
}

async function deletePolicies(trx: Tx, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const rules = await trx.selectFrom('l7rule').select('id').where('l7policy_id', 'in', ids).execute();
  await deleteRows(
    trx,
    'l7rule',
    rules.map((r) => r.id),
  );
  await deleteRows(trx, 'l7policy', ids);
}

async function deleteListeners(trx: Tx, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const policies = await trx.selectFrom('l7policy').select('id').where('listener_id', 'in', ids).execute();
  await deletePolicies(
    trx,
    policies.map((p) => p.id),
  );
  await trx.deleteFrom('listener_statistics').where('listener_id', 'in', ids).execute();
  await deleteRows(trx, 'listener', ids);
}

async function deletePools(trx: Tx, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const members = await trx.selectFrom('member').select('id').where('pool_id', 'in', ids).execute();
  await deleteRows(
    trx,
    'member',
    members.map((m) => m.id),
  );
  const hms = await trx.selectFrom('health_monitor').select('id').where('pool_id', 'in', ids).execute();
  await deleteRows(
    trx,
    'health_monitor',
    hms.map((h) => h.id),
  );
  await trx
    .updateTable('listener')
    .set({ default_pool_id: null, updated_at: nowTimestamp() })
    .where('default_pool_id', 'in', ids)
    .execute();
  await trx.updateTable('l7policy').set({ redirect_pool_id: null }).where('redirect_pool_id', 'in', ids).execute();
  await deleteRows(trx, 'pool', ids);
}

/** Keep a listener's policy positions 1..n with no gaps, in their current order. */
export async function renumberPolicies(trx: Tx, listenerId: string): Promise<void> {
  const policies = await trx
    .selectFrom('l7policy')
    .select(['id', 'position'])
    .where('listener_id', '=', listenerId)
    .orderBy('position')
    .orderBy('created_at')
    .execute();
  for (const [i, p] of policies.entries()) {
    if (p.position !== i + 1)
      await trx
        .updateTable('l7policy')
        .set({ position: i + 1 })
        .where('id', '=', p.id)
        .execute();
  }
}
