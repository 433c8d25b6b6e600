import { conflict, notFound } from '../../../common/errors.js';
import {
  lockListenersIfActive,
  lockLoadBalancerForChild,
  lockParent,
  type LockedRef,
  type Tx,
} from '../../../db/provisioning.js';
import type { Kysely } from 'kysely';
import type { Database, PoolRow } from '../../../db/schema.js';
import { findOrFail } from '../../resource.js';
import type { ApiServices } from '../../services.js';

/**
 * What members and health monitors share: both hang from a pool, and a change to either locks the
 * same parents (Octavia: the load balancer, the pool's listeners and the pool).
 */

/** The pool of a member or health monitor request, or Octavia's 404 "Pool X not found.". */
export function findPool(services: ApiServices, id: string): Promise<PoolRow> {
  return findOrFail({ table: 'pool', label: 'Pool' }, services, id);
}

/** Listeners that send traffic to a pool: the ones using it as default pool and the ones whose L7 policies redirect to it. */
export async function listenersOfPool(trx: Tx, poolId: string): Promise<string[]> {
  const rows = await trx
    .selectFrom('listener')
    .select('id')
    .where('default_pool_id', '=', poolId)
    .union(trx.selectFrom('l7policy').select('listener_id as id').where('redirect_pool_id', '=', poolId))
    .execute();
  return [...new Set(rows.map((r) => r.id))];
}

/**
 * Lock the parents of a change below `pool`, in Octavia's order: the pool must be ACTIVE (else 409
 * "Pool X is immutable and cannot be updated."), then the load balancer (409 "Load Balancer X is
 * immutable..."), the pool's ACTIVE listeners and the pool go PENDING_UPDATE. Returns the locks for the job.
 */
export async function lockPoolParents(trx: Tx, pool: PoolRow): Promise<LockedRef[]> {
  const current = await trx
    .selectFrom('pool')
    .select('provisioning_status')
    .where('id', '=', pool.id)
    .executeTakeFirst();
  if (!current) throw notFound(`Pool ${pool.id} not found.`);
  if (current.provisioning_status !== 'ACTIVE') throw conflict(`Pool ${pool.id} is immutable and cannot be updated.`);
  const lb = await lockLoadBalancerForChild(trx, pool.load_balancer_id);
  const listeners = await lockListenersIfActive(trx, await listenersOfPool(trx, pool.id));
  const poolLock = await lockParent(trx, 'pool', pool.id);
  return [lb, ...listeners, poolLock];
}

/**
 * True when a write failed on a unique index (SQLite or PostgreSQL). The API checks for duplicates
 * first; this catches the race the check cannot see, so it answers 409 instead of 500.
 */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Whether members of this load balancer may ask for an SR-IOV port (`request_sriov`): only when its
 * flavor's profile says `allow_member_sriov: true`. `db` may be a transaction (a graph create's own
 * load balancer is not committed yet).
 */
export async function memberSriovAllowed(db: Kysely<Database>, loadBalancerId: string): Promise<boolean> {
  const row = await db
    .selectFrom('load_balancer')
    .innerJoin('flavor', 'flavor.id', 'load_balancer.flavor_id')
    .innerJoin('flavor_profile', 'flavor_profile.id', 'flavor.flavor_profile_id')
    .select('flavor_profile.flavor_data')
    .where('load_balancer.id', '=', loadBalancerId)
    .executeTakeFirst();
  if (!row) return false;
  try {
    return (JSON.parse(row.flavor_data) as Record<string, unknown>).allow_member_sriov === true;
  } catch {
    return false;
  }
}
