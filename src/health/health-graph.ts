/**
 * What the health manager needs of a load balancer to apply a heartbeat: the objects a heartbeat can
 * change, with only the columns the rules read. Much smaller than the full `LoadBalancerGraph`, so
 * thousands of them can be read in a few bulk queries and kept in memory.
 */

export interface HealthLoadBalancer {
  id: string;
  enabled: boolean;
  provisioningStatus: string;
  operatingStatus: string;
  /** Second-precision timestamp of the last provisioning change; part of the cache check. */
  updatedAt: string | null;
}

export interface HealthListener {
  id: string;
  enabled: boolean;
  protocol: string;
  operatingStatus: string;
}

export interface HealthMember {
  id: string;
  operatingStatus: string;
}

export interface HealthPool {
  id: string;
  operatingStatus: string;
  members: HealthMember[];
}

export interface HealthGraph {
  loadBalancer: HealthLoadBalancer;
  listeners: HealthListener[];
  pools: HealthPool[];
}

/** The tables whose operating status a heartbeat sets. */
export type StatusTable = 'load_balancer' | 'listener' | 'pool' | 'member';

/** One operating status to write: `from` is what the graph held, `to` what the heartbeat says. */
export interface StatusChange {
  table: StatusTable;
  id: string;
  from: string;
  to: string;
}

/** Apply changes to a graph in place (the health manager keeps its cached copy current this way). */
export function applyStatusChanges(graph: HealthGraph, changes: readonly StatusChange[]): void {
  for (const change of changes) {
    switch (change.table) {
      case 'load_balancer':
        if (graph.loadBalancer.id === change.id) graph.loadBalancer.operatingStatus = change.to;
        break;
      case 'listener':
        for (const l of graph.listeners) if (l.id === change.id) l.operatingStatus = change.to;
        break;
      case 'pool':
        for (const p of graph.pools) if (p.id === change.id) p.operatingStatus = change.to;
        break;
      case 'member':
        for (const p of graph.pools) for (const m of p.members) if (m.id === change.id) m.operatingStatus = change.to;
        break;
    }
  }
}
