import type { Tx } from '../../../db/provisioning.js';

/** Octavia's position bounds; the upper one is also what "append" means. */
export const MIN_POLICY_POSITION = 1;
export const MAX_POLICY_POSITION = 2147483647;

/**
 * A listener's policy order after policy `id` is placed at the 1-based `position`: it is taken out
 * of the list (if there), then inserted before the policy that held that position; a position past
 * the end appends.
 */
export function placeInOrder(ids: readonly string[], id: string, position: number): string[] {
  const rest = ids.filter((other) => other !== id);
  const index = Math.min(Math.max(position, MIN_POLICY_POSITION) - 1, rest.length);
  return [...rest.slice(0, index), id, ...rest.slice(index)];
}

/**
 * Put policy `id` (already a row of the listener) at `position` and renumber the listener's policies
 * 1..n, writing only the rows whose position changes; returns the policy's final position. Runs
 * inside the locking transaction, so no other change to the listener's policies can interleave.
 */
export async function placePolicy(trx: Tx, listenerId: string, id: string, position: number): Promise<number> {
  const rows = await trx
    .selectFrom('l7policy')
    .select(['id', 'position'])
    .where('listener_id', '=', listenerId)
    .orderBy('position')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const current = new Map(rows.map((r) => [r.id, r.position]));
  const order = placeInOrder(
    rows.map((r) => r.id),
    id,
    position,
  );
  for (const [i, policyId] of order.entries()) {
    if (current.get(policyId) !== i + 1)
      await trx
        .updateTable('l7policy')
        .set({ position: i + 1 })
        .where('id', '=', policyId)
        .execute();
  }
  return order.indexOf(id) + 1;
}
