import type { Kysely } from 'kysely';
import { conflict, notFound } from '../../../common/errors.js';
import {
  lockListenersIfActive,
  lockLoadBalancerForChild,
  lockParent,
  type LockedRef,
  type Tx,
} from '../../../db/provisioning.js';
import type { Database, ListenerRow, LoadBalancerRow } from '../../../db/schema.js';

/** The listener an L7 policy hangs off and its load balancer (whose project every L7 object takes). */
export interface PolicyParents {
  listener: ListenerRow;
  loadBalancer: LoadBalancerRow;
}

/** Read a listener and its load balancer, or answer Octavia's 404 "Listener X not found.". */
export async function loadPolicyParents(db: Kysely<Database>, listenerId: string): Promise<PolicyParents> {
  const listener = await db.selectFrom('listener').selectAll().where('id', '=', listenerId).executeTakeFirst();
  if (!listener) throw notFound(`Listener ${listenerId} not found.`);
  const loadBalancer = await db
    .selectFrom('load_balancer')
    .selectAll()
    .where('id', '=', listener.load_balancer_id)
    .executeTakeFirst();
  if (!loadBalancer) throw notFound(`Listener ${listenerId} not found.`);
  return { listener, loadBalancer };
}

/**
 * Lock what a policy change depends on: the load balancer (ACTIVE -> PENDING_UPDATE, else 409
 * "Load Balancer X is immutable...") and the listener. As in Octavia the load balancer alone decides
 * the 409; a listener in ERROR may still get policies and stays in ERROR (it is not released to ACTIVE).
 */
export async function lockPolicyParents(trx: Tx, parents: PolicyParents): Promise<LockedRef[]> {
  const lb = await lockLoadBalancerForChild(trx, parents.loadBalancer.id);
  const listeners = await lockListenersIfActive(trx, [parents.listener.id]);
  return [lb, ...listeners];
}

/**
 * Lock what a rule change depends on: the policy must be ACTIVE (Octavia's 409 "L7Policy X is
 * immutable..." comes first, so an ERROR policy blocks its rules), then the load balancer and
 * listener as for a policy change, then the policy itself. The load balancer row is always locked
 * first, as every other write does, so concurrent transactions cannot deadlock.
 */
export async function lockRuleParents(trx: Tx, parents: PolicyParents, policyId: string): Promise<LockedRef[]> {
  const policy = await trx
    .selectFrom('l7policy')
    .select('provisioning_status')
    .where('id', '=', policyId)
    .executeTakeFirst();
  if (policy?.provisioning_status !== 'ACTIVE')
    throw conflict(`L7Policy ${policyId} is immutable and cannot be updated.`);
  const locked = await lockPolicyParents(trx, parents);
  return [...locked, await lockParent(trx, 'l7policy', policyId)];
}
