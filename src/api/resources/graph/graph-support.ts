import {
  checkHealthMonitorSupport,
  checkL7RuleSupport,
  checkListenerSupport,
  checkMemberSupport,
  checkPoolSupport,
  type HaproxyDataPlane,
} from '../../validation/data-plane-support.js';
import type { GraphPlan, PoolPlan } from './graph-plan.js';

/**
 * A planned graph (POST loadbalancers, listeners or pools with embedded children) against what the HAProxy
 * data plane can do: every object as its own create would be checked (data-plane-support.ts).
 */

/** A planned pool with its health monitor and members; `listenerProtocols` are those of the listeners using it. */
export function checkPoolPlanSupport(
  plane: HaproxyDataPlane | undefined,
  pool: PoolPlan,
  listenerProtocols: readonly string[],
): void {
  if (!plane) return;
  const protocol = pool.fields.protocol as string;
  checkPoolSupport(plane, protocol, pool.fields, pool.sessionPersistence?.type, listenerProtocols);
  const hm = pool.healthMonitor;
  if (hm) checkHealthMonitorSupport(plane, protocol, hm.type as string, hm);
  for (const member of pool.members) checkMemberSupport(plane, protocol, member);
}

/** Every pool (with the protocols of the planned listeners that use it), then every listener and L7 rule. */
export function checkGraphSupport(plane: HaproxyDataPlane | undefined, graph: GraphPlan): void {
  if (!plane) return;
  const users = new Map<string, string[]>();
  for (const l of graph.listeners) {
    const poolIds = [l.defaultPool?.id, ...l.policies.map((p) => p.redirect.redirect_pool_id)];
    for (const id of poolIds) if (id) users.set(id, [...(users.get(id) ?? []), l.fields.protocol as string]);
  }
  for (const pool of graph.pools) checkPoolPlanSupport(plane, pool, users.get(pool.id) ?? []);
  for (const l of graph.listeners) {
    checkListenerSupport(plane, l.fields.protocol as string, l.fields);
    for (const policy of l.policies)
      for (const rule of policy.rules)
        checkL7RuleSupport(plane, {
          compare_type: (rule.compare_type as string | null | undefined) ?? null,
          value: (rule.value as string | null | undefined) ?? null,
        });
  }
}
