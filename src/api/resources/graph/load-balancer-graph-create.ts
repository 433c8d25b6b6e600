import type { Tx } from '../../../db/provisioning.js';
import type { LoadBalancerRow } from '../../../db/schema.js';
import type { QuotaName } from '../../quota-check.js';
import type { HaproxyDataPlane } from '../../validation/data-plane-support.js';
import type { Clean } from '../../validation/fields.js';
import { checkPlanAgainstLoadBalancer, insertGraph } from './graph-insert.js';
import { countPlan, planGraph } from './graph-plan.js';
import { checkGraphSupport } from './graph-support.js';
import { fullListenerView, fullPoolView } from './graph-views.js';
import { poolListenerIds } from '../pools/pool-view.js';

/**
 * Octavia's "graph create": the listeners and pools embedded in POST loadbalancer, with their members,
 * health monitors, L7 policies and rules, inserted as PENDING_CREATE rows in the load balancer's own
 * transaction (so any refusal leaves nothing behind). The `loadbalancer.create` flow then settles the
 * whole tree. The body is planned (and so fully checked) both when counting for quotas and when creating.
 */

/** What a graph create adds beside the load balancer, already serialized for the 201 response. */
export interface GraphResult {
  listeners: Array<Record<string, unknown>>;
  pools: Array<Record<string, unknown>>;
}

/**
 * How many objects of each quota a graph create would add. Plans the graph, so a body that breaks a
 * rule is refused (400/404/409) before any quota is looked at; with `plane`, so is one its HAProxy data
 * plane cannot serve.
 */
export function countGraph(
  body: Clean,
  rawBody: unknown,
  plane?: HaproxyDataPlane,
): Partial<Record<QuotaName, number>> {
  const plan = planGraph(body, rawBody);
  checkGraphSupport(plane, plan);
  return countPlan(plan);
}

/**
 * Create the listeners and pools embedded in a POST loadbalancer body as PENDING_CREATE rows of `lb`
 * (already inserted in `trx`), every one in the load balancer's project. Answers the full objects of
 * the 201 response.
 */
export async function createGraphChildren(
  trx: Tx,
  lb: LoadBalancerRow,
  body: Clean,
  rawBody: unknown,
): Promise<GraphResult> {
  const plan = planGraph(body, rawBody);
  await checkPlanAgainstLoadBalancer(trx, plan, lb);
  const { pools, listeners } = await insertGraph(trx, lb, plan);
  const served = await poolListenerIds(
    trx,
    pools.map((p) => p.row.id),
  );
  return {
    listeners: listeners.map(fullListenerView),
    pools: pools.map((p) => fullPoolView(p, served.get(p.row.id) ?? [])),
  };
}
