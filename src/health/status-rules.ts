import { HAPROXY_LISTENER_PROTOCOLS } from '../amphora/haproxy/graph-view.js';
import type { HeartbeatMessage, PoolReport } from '../heartbeat/message.js';
import type { HealthGraph, HealthPool, StatusChange } from './health-graph.js';

/**
 * Octavia's heartbeat processing rules (update_db's update_health), as one pure function from a message
 * and the load balancer as stored to the statuses to write. Octavia writes operating statuses whatever
 * the objects' provisioning statuses are; a PENDING_* load balancer only skips the listener check (and
 * turns a missing listener OFFLINE rather than ERROR), and so does this.
 */

/** How the reported listeners compared with the ones the load balancer expects served. */
export type ListenerCheck = 'skipped' | 'matched' | 'missing';

export interface HeartbeatOutcome {
  /** Refresh the amphora's last_update: it serves what it should (or the check does not apply). */
  refresh: boolean;
  listenerCheck: ListenerCheck;
  /** Listeners the load balancer expects but the amphora did not report (empty unless `missing`). */
  missingListeners: string[];
  /** Only values that differ from the graph's. */
  changes: StatusChange[];
}

const isPending = (status: string) => status.startsWith('PENDING_');

/**
 * Whether the amphora reports every listener it should serve: the enabled listeners HAProxy renders.
 * Octavia compares counts; here each expected listener must be present, and a reported listener the
 * load balancer does not expect (one being removed, a disabled one still rendered) does not count against
 * the amphora, so such a transient never stops the refresh and causes a surprise failover.
 */
export function checkListeners(
  message: HeartbeatMessage,
  graph: HealthGraph,
): { check: ListenerCheck; missing: string[] } {
  const lb = graph.loadBalancer;
  if (isPending(lb.provisioningStatus) || !lb.enabled) return { check: 'skipped', missing: [] };
  const missing = graph.listeners
    .filter((l) => l.enabled && HAPROXY_LISTENER_PROTOCOLS.includes(l.protocol) && !(l.id in message.listeners))
    .map((l) => l.id);
  return { check: missing.length === 0 ? 'matched' : 'missing', missing };
}

/** A heartbeat of an amphora that serves no load balancer (a spare): healthy when it serves nothing. */
export function spareOutcome(message: HeartbeatMessage): HeartbeatOutcome {
  const reported = Object.keys(message.listeners);
  return {
    refresh: reported.length === 0,
    listenerCheck: reported.length === 0 ? 'matched' : 'missing',
    missingListeners: [],
    changes: [],
  };
}

/** The operating statuses a heartbeat gives the load balancer's objects. */
export function applyHeartbeatRules(message: HeartbeatMessage, graph: HealthGraph): HeartbeatOutcome {
  const { check, missing } = checkListeners(message, graph);
  const changes: StatusChange[] = [];
  const lb = graph.loadBalancer;
  // A heartbeat means the load balancer works, unless something below says otherwise.
  let lbStatus = lb.enabled ? 'ONLINE' : 'OFFLINE';

  for (const listener of graph.listeners) {
    const report = message.listeners[listener.id];
    let status: string | undefined;
    // Missing: ERROR only when it should be served (Octavia does not ask whether the load balancer is
    // enabled; a disabled one serves nothing, so its listeners are OFFLINE here).
    if (!report) status = listener.enabled && lb.enabled && lb.provisioningStatus === 'ACTIVE' ? 'ERROR' : 'OFFLINE';
    else if (report.status === 'OPEN') status = 'ONLINE';
    else if (report.status === 'FULL') {
      status = 'DEGRADED';
      if (lbStatus === 'ONLINE') lbStatus = 'DEGRADED';
    }
    // Any other listener status is unknown: leave the stored one.
    if (status !== undefined && status !== listener.operatingStatus)
      changes.push({ table: 'listener', id: listener.id, from: listener.operatingStatus, to: status });
  }

  const reports = poolReports(message);
  for (const pool of graph.pools) {
    const report = reports.get(pool.id);
    if (!report) {
      // In no backend of this amphora: the pool serves nothing here. Its members are left alone.
      if (pool.operatingStatus !== 'OFFLINE')
        changes.push({ table: 'pool', id: pool.id, from: pool.operatingStatus, to: 'OFFLINE' });
      continue;
    }
    lbStatus = applyPoolReport(pool, report, lbStatus, changes);
  }

  if (lbStatus !== lb.operatingStatus)
    changes.push({ table: 'load_balancer', id: lb.id, from: lb.operatingStatus, to: lbStatus });
  return { refresh: check !== 'missing', listenerCheck: check, missingListeners: missing, changes };
}

/** One pool and its members; returns the load balancer status as this pool leaves it. */
function applyPoolReport(pool: HealthPool, report: PoolReport, lbStatus: string, changes: StatusChange[]): string {
  let poolStatus: string | undefined;
  if (report.status === 'UP') poolStatus = 'ONLINE';
  else if (report.status === 'DOWN') {
    // No server of the backend works: the load balancer fails this pool's traffic.
    poolStatus = 'ERROR';
    lbStatus = 'ERROR';
  }
  for (const member of pool.members) {
    const reported = report.members[member.id];
    let status: string | undefined;
    if (reported === undefined) {
      // Not in HAProxy (disabled pool, not pushed yet): OFFLINE, unless it has no monitor to report on.
      if (member.operatingStatus !== 'NO_MONITOR') status = 'OFFLINE';
    } else {
      status = memberStatus(reported);
      if (status === 'ERROR' && poolStatus === 'ONLINE') {
        poolStatus = 'DEGRADED';
        if (lbStatus === 'ONLINE') lbStatus = 'DEGRADED';
      }
    }
    if (status !== undefined && status !== member.operatingStatus)
      changes.push({ table: 'member', id: member.id, from: member.operatingStatus, to: status });
  }
  if (poolStatus !== undefined && poolStatus !== pool.operatingStatus)
    changes.push({ table: 'pool', id: pool.id, from: pool.operatingStatus, to: poolStatus });
  return lbStatus;
}

/**
 * HAProxy's server status as an operating status; undefined leaves the stored one (RESTARTING: keepalived
 * has not checked yet; anything unknown).
 */
export function memberStatus(reported: string): string | undefined {
  // "UP 1/3" and "DOWN 1/2" are HAProxy's transitional states: the server has not crossed rise/fall yet.
  if (reported.startsWith('UP')) return 'ONLINE';
  if (reported.startsWith('DOWN')) return 'ERROR';
  switch (reported) {
    case 'DRAIN':
      return 'DRAINING';
    case 'MAINT':
      return 'OFFLINE';
    case 'no check':
      return 'NO_MONITOR';
    default:
      return undefined;
  }
}

/**
 * Reported backends by pool id. A backend is `<pool>:<listener>` (an older amphora sends the pool id
 * alone). A pool used by two listeners has two backends; Octavia keeps whichever comes last, here the
 * worse report wins (DOWN over anything, per member DOWN over MAINT over DRAIN over UP), so the result does
 * not depend on key order.
 */
export function poolReports(message: HeartbeatMessage): Map<string, PoolReport> {
  const byPool = new Map<string, PoolReport>();
  const merged = new Set<string>();
  for (const [key, report] of Object.entries(message.pools)) {
    const colon = key.lastIndexOf(':');
    const poolId = colon >= 0 ? key.slice(0, colon) : key;
    let seen = byPool.get(poolId);
    if (!seen) {
      // Usually the only backend of its pool: used as it is (nothing here changes a report).
      byPool.set(poolId, report);
      continue;
    }
    if (!merged.has(poolId)) {
      seen = { status: seen.status, members: { ...seen.members } };
      byPool.set(poolId, seen);
      merged.add(poolId);
    }
    if (seen.status !== 'DOWN' && (report.status === 'DOWN' || report.status === 'UP')) seen.status = report.status;
    for (const [memberId, status] of Object.entries(report.members)) {
      const before = seen.members[memberId];
      if (before === undefined || severity(status) > severity(before)) seen.members[memberId] = status;
    }
  }
  return byPool;
}

function severity(status: string): number {
  if (status.startsWith('DOWN')) return 4;
  if (status === 'MAINT') return 3;
  if (status === 'DRAIN') return 2;
  if (status.startsWith('UP')) return 1;
  return 0;
}
