import { sql, type Transaction } from 'kysely';
import { conflict } from '../common/errors.js';
import { nowTimestamp } from '../common/ids.js';
import type { Database, ResourceTable } from './schema.js';

/**
 * The one place that moves provisioning statuses. The API locks rows here (test-and-set from ACTIVE,
 * so two requests can never both win) and the worker releases them here when a flow ends.
 */

export type Tx = Transaction<Database>;

/** A row the API put into PENDING_* and the flow must release. */
export interface LockedRef {
  table: ResourceTable;
  id: string;
}

/** Names Octavia uses in its "immutable" fault strings. */
export const RESOURCE_LABELS: Record<ResourceTable, string> = {
  load_balancer: 'Load Balancer',
  listener: 'Listener',
  pool: 'Pool',
  member: 'Member',
  health_monitor: 'Health Monitor',
  l7policy: 'L7 Policy',
  l7rule: 'L7 Rule',
};

/**
 * Set `table[id]` from ACTIVE to `to` in one statement; false when the row was not ACTIVE.
 */
async function testAndSet(trx: Tx, table: ResourceTable, id: string, to: string, from: string[] = ['ACTIVE']) {
  const result = await trx
    .updateTable(table)
    .set({ provisioning_status: to, updated_at: nowTimestamp() } as never)
    .where('id', '=', id)
    .where('provisioning_status', 'in', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Lock a load balancer for a change to one of its children: ACTIVE -> PENDING_UPDATE, else 409
 * "Load Balancer X is immutable and cannot be updated."
 */
export async function lockLoadBalancerForChild(trx: Tx, lbId: string): Promise<LockedRef> {
  if (!(await testAndSet(trx, 'load_balancer', lbId, 'PENDING_UPDATE')))
    throw conflict(`Load Balancer ${lbId} is immutable and cannot be updated.`);
  return { table: 'load_balancer', id: lbId };
}

/**
 * Lock a load balancer for a change to itself (update, failover: from ACTIVE; delete: from ACTIVE or ERROR),
 * else 409 "Invalid state X of loadbalancer resource Y". The state named is read after the failed
 * test-and-set; on PostgreSQL a flow may have settled the row in between, and then the lock is simply
 * tried again rather than refused with a state that would allow it.
 */
export async function lockLoadBalancerItself(
  trx: Tx,
  lbId: string,
  to: 'PENDING_UPDATE' | 'PENDING_DELETE',
  from: string[] = ['ACTIVE'],
): Promise<LockedRef> {
  for (let attempt = 0; ; attempt++) {
    if (await testAndSet(trx, 'load_balancer', lbId, to, from)) return { table: 'load_balancer', id: lbId };
    const row = await trx
      .selectFrom('load_balancer')
      .select('provisioning_status')
      .where('id', '=', lbId)
      .executeTakeFirst();
    if (!row || !from.includes(row.provisioning_status) || attempt >= 2)
      throw conflict(`Invalid state ${row?.provisioning_status ?? 'DELETED'} of loadbalancer resource ${lbId}`);
  }
}

/** Lock a parent object (pool, listener, l7 policy) the change depends on, else 409 "<Kind> X is immutable...". */
export async function lockParent(trx: Tx, table: ResourceTable, id: string): Promise<LockedRef> {
  if (!(await testAndSet(trx, table, id, 'PENDING_UPDATE')))
    throw conflict(`${RESOURCE_LABELS[table]} ${id} is immutable and cannot be updated.`);
  return { table, id };
}

/** Mark the listeners of `ids` that are ACTIVE as PENDING_UPDATE (listeners in ERROR stay as they are). */
export async function lockListenersIfActive(trx: Tx, ids: string[]): Promise<LockedRef[]> {
  if (ids.length === 0) return [];
  const rows = await trx
    .updateTable('listener')
    .set({ provisioning_status: 'PENDING_UPDATE', updated_at: nowTimestamp() })
    .where('id', 'in', ids)
    .where('provisioning_status', '=', 'ACTIVE')
    .returning('id')
    .execute();
  return rows.map((r) => ({ table: 'listener' as const, id: r.id }));
}

/** Lock the object a PUT or DELETE targets: ACTIVE (or ERROR for delete) -> `to`, else 409. */
export async function lockTarget(
  trx: Tx,
  table: ResourceTable,
  id: string,
  to: 'PENDING_UPDATE' | 'PENDING_DELETE',
): Promise<LockedRef> {
  const from = to === 'PENDING_DELETE' ? ['ACTIVE', 'ERROR'] : ['ACTIVE'];
  if (!(await testAndSet(trx, table, id, to, from)))
    throw conflict(`${RESOURCE_LABELS[table]} ${id} is immutable and cannot be updated.`);
  return { table, id };
}

/** End of a flow: every locked row still PENDING_* goes to `status` (ACTIVE on success or for parents). */
export async function releaseLocks(trx: Tx, refs: LockedRef[], status: 'ACTIVE' | 'ERROR' = 'ACTIVE'): Promise<void> {
  const now = nowTimestamp();
  for (const ref of refs) {
    await trx
      .updateTable(ref.table)
      .set({ provisioning_status: status, updated_at: now } as never)
      .where('id', '=', ref.id)
      .where(sql.ref('provisioning_status'), 'like', 'PENDING_%')
      .execute();
  }
}

/** Set a provisioning status unconditionally (flows, on their own resource). */
export async function setProvisioningStatus(trx: Tx, table: ResourceTable, id: string, status: string): Promise<void> {
  await trx
    .updateTable(table)
    .set({ provisioning_status: status, updated_at: nowTimestamp() } as never)
    .where('id', '=', id)
    .execute();
}
