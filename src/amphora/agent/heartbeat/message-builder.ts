import type { HeartbeatMessage, ListenerReport, PoolReport } from '../../../heartbeat/message.js';
import type { ListenerTotals } from './counter-ledger.js';
import type { BackendStat, FrontendStat, HaproxyStats, ServerStat } from './show-stat.js';

/** The heartbeat message version the agent sends: counters are deltas since the previous message. */
export const HEARTBEAT_VERSION = 3;

/** One load balancer's part of a message: its stats and where its counter deltas come from. */
export interface LoadBalancerPart {
  stats: HaproxyStats;
  /** The deltas accumulated for a listener since the last message (taken: they are not given twice). */
  takeDelta(listenerId: string): ListenerTotals;
}

/** FULL when the listener is at its connection limit (HAProxy says so, or its sessions reached it). */
export function listenerStatus(f: FrontendStat): 'OPEN' | 'FULL' {
  return f.status === 'FULL' || (f.slim !== undefined && f.slim > 0 && f.scur >= f.slim) ? 'FULL' : 'OPEN';
}

export function poolStatus(b: BackendStat): 'UP' | 'DOWN' {
  return b.status.startsWith('UP') ? 'UP' : 'DOWN';
}

/**
 * A member's status as the health manager reads it: UP (or `UP 1/3`, still up), DOWN (or `DOWN 1/2`), DRAIN
 * (draining, or UP with weight 0: it takes no new connections), MAINT (disabled), `no check` (no health
 * monitor); anything else as HAProxy says it.
 */
export function memberStatus(s: ServerStat): string {
  const status = s.status.trim();
  if (status.startsWith('MAINT')) return 'MAINT';
  if (status === 'DRAIN' || status === 'NOLB') return 'DRAIN';
  if (status.startsWith('UP') && s.weight === 0) return 'DRAIN';
  return status;
}

export function listenerReport(f: FrontendStat, delta: ListenerTotals): ListenerReport {
  return {
    status: listenerStatus(f),
    stats: { tx: delta.tx, rx: delta.rx, conns: f.scur, totconns: delta.totconns, ereq: delta.ereq },
  };
}

/** The pools (backends) of one load balancer with their members' statuses. */
export function poolReports(stats: HaproxyStats): Record<string, PoolReport> {
  const pools: Record<string, PoolReport> = {};
  for (const b of stats.backends) pools[b.name] = { status: poolStatus(b), members: {} };
  for (const s of stats.servers) {
    const pool = pools[s.backend];
    if (pool) pool.members[s.name] = memberStatus(s);
  }
  return pools;
}

/** The v3 message for one amphora: every load balancer that answered; one that did not is simply absent. */
export function buildHeartbeat(amphoraId: string, seq: number, parts: readonly LoadBalancerPart[]): HeartbeatMessage {
  const message: HeartbeatMessage = { id: amphoraId, seq, listeners: {}, pools: {}, ver: HEARTBEAT_VERSION };
  for (const part of parts) {
    for (const f of part.stats.frontends) message.listeners[f.name] = listenerReport(f, part.takeDelta(f.name));
    Object.assign(message.pools, poolReports(part.stats));
  }
  return message;
}
