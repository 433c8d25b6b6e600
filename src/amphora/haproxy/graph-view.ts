import type { LoadBalancerGraph } from '../../db/load-balancer-graph.js';
import { toBool, type HealthMonitorRow, type ListenerRow, type PoolRow } from '../../db/schema.js';

/** Listener protocols HAProxy serves; UDP and SCTP listeners belong to keepalived's LVS instead. */
export const HAPROXY_LISTENER_PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'TERMINATED_HTTPS', 'PROMETHEUS'];

/** Octavia's value for an unlimited (-1) or zero connection limit. */
export const DEFAULT_CONNECTION_LIMIT = 50000;

/** A row that is being deleted is already gone as far as the data plane is concerned. */
export const isLive = (row: { provisioning_status: string }): boolean => row.provisioning_status !== 'PENDING_DELETE';

const isOn = (row: { provisioning_status: string; admin_state_up: number | boolean }): boolean =>
  isLive(row) && toBool(row.admin_state_up);

/** A listener's connection limit as HAProxy gets it (-1 and 0 mean Octavia's default). */
export const connectionLimit = (l: ListenerRow): number =>
  l.connection_limit > 0 ? l.connection_limit : DEFAULT_CONNECTION_LIMIT;

/** HAProxy's proxy mode for a listener protocol. */
export const listenerMode = (protocol: string): 'http' | 'tcp' =>
  protocol === 'HTTP' || protocol === 'TERMINATED_HTTPS' || protocol === 'PROMETHEUS' ? 'http' : 'tcp';

/** HAProxy's mode for a backend: PROXY pools follow their listener, the others their own protocol. */
export const backendMode = (pool: PoolRow, listener: ListenerRow): 'http' | 'tcp' =>
  pool.protocol === 'PROXY' || pool.protocol === 'PROXYV2'
    ? listenerMode(listener.protocol)
    : pool.protocol === 'HTTP'
      ? 'http'
      : 'tcp';

/** The HAProxy backend name of one pool as used by one listener. */
export const backendName = (poolId: string, listenerId: string): string => `${poolId}:${listenerId}`;

/** Lookups over the graph that every renderer part needs, with the data-plane filters applied once. */
export class GraphView {
  constructor(readonly graph: LoadBalancerGraph) {}

  /** Listeners HAProxy renders: enabled, live, and of a TCP-family protocol. */
  listeners(): ListenerRow[] {
    if (!toBool(this.graph.loadBalancer.admin_state_up)) return [];
    return this.graph.listeners.filter((l) => isOn(l) && HAPROXY_LISTENER_PROTOCOLS.includes(l.protocol));
  }

  /** A pool that still exists on the data plane (a disabled pool keeps an empty backend). */
  pool(id: string | null): PoolRow | undefined {
    return id === null ? undefined : this.graph.pools.find((p) => p.id === id && isLive(p));
  }

  /** The members HAProxy gets as servers: none for a disabled pool, none being deleted. */
  members(pool: PoolRow) {
    if (!toBool(pool.admin_state_up)) return [];
    return this.graph.members.filter((m) => m.pool_id === pool.id && isLive(m));
  }

  /** The pool's health monitor when it is enabled and not being deleted. */
  healthMonitor(pool: PoolRow): HealthMonitorRow | undefined {
    return this.graph.healthMonitors.find((h) => h.pool_id === pool.id && isOn(h));
  }

  /** The listener's enabled L7 policies with their enabled rules, in position order; ruleless ones dropped. */
  policies(listener: ListenerRow) {
    return this.graph.l7policies
      .filter((p) => p.listener_id === listener.id && isOn(p))
      .sort((a, b) => a.position - b.position)
      .map((policy) => ({ policy, rules: this.graph.l7rules.filter((r) => r.l7policy_id === policy.id && isOn(r)) }))
      .filter((p) => p.rules.length > 0);
  }

  /** The pools a listener sends traffic to: its default pool, then its policies' redirect pools. */
  poolsOf(listener: ListenerRow): PoolRow[] {
    const ids = [listener.default_pool_id, ...this.policies(listener).map((p) => p.policy.redirect_pool_id)];
    const pools: PoolRow[] = [];
    for (const id of ids) {
      const pool = this.pool(id);
      if (pool && !pools.includes(pool)) pools.push(pool);
    }
    return pools;
  }
}
