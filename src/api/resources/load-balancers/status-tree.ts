import type { LoadBalancerGraph } from '../../../db/load-balancer-graph.js';

/**
 * The `statuses` tree of `GET .../loadbalancers/{id}/status`: each listener with its default pool and
 * the pools its L7 policies redirect to, each pool with its health monitor and members.
 */
export function statusTree(graph: LoadBalancerGraph): Record<string, unknown> {
  const lb = graph.loadBalancer;
  const poolById = new Map(graph.pools.map((p) => [p.id, p]));
  const poolStatus = (poolId: string) => {
    const p = poolById.get(poolId)!;
    const hm = graph.healthMonitors.find((h) => h.pool_id === p.id);
    return {
      id: p.id,
      name: p.name ?? '',
      provisioning_status: p.provisioning_status,
      operating_status: p.operating_status,
      ...(hm
        ? {
            health_monitor: {
              id: hm.id,
              name: hm.name ?? '',
              type: hm.type,
              provisioning_status: hm.provisioning_status,
              operating_status: hm.operating_status,
            },
          }
        : {}),
      members: graph.members
        .filter((m) => m.pool_id === p.id)
        .map((m) => ({
          id: m.id,
          name: m.name ?? '',
          operating_status: m.operating_status,
          provisioning_status: m.provisioning_status,
          address: m.address,
          protocol_port: m.protocol_port,
        })),
    };
  };
  return {
    id: lb.id,
    name: lb.name ?? '',
    operating_status: lb.operating_status,
    provisioning_status: lb.provisioning_status,
    listeners: graph.listeners.map((l) => {
      const poolIds: string[] = [];
      if (l.default_pool_id && poolById.has(l.default_pool_id)) poolIds.push(l.default_pool_id);
      for (const policy of graph.l7policies.filter((p) => p.listener_id === l.id)) {
        if (
          policy.redirect_pool_id &&
          poolById.has(policy.redirect_pool_id) &&
          !poolIds.includes(policy.redirect_pool_id)
        )
          poolIds.push(policy.redirect_pool_id);
      }
      return {
        id: l.id,
        name: l.name ?? '',
        operating_status: l.operating_status,
        provisioning_status: l.provisioning_status,
        pools: poolIds.map(poolStatus),
      };
    }),
  };
}
