import type { HeartbeatMessage } from '../heartbeat/message.js';

/**
 * Traffic counters of one listener on one amphora, as a heartbeat contributes them. Version 3 sends
 * deltas since the previous message (added to the stored row); version 2 sends HAProxy's absolute
 * counters (they replace the stored ones). Counters never go backwards: a negative delta (a sender that
 * saw HAProxy's counters reset) adds nothing, and an absolute value below the stored one (HAProxy
 * restarted) leaves the stored one. active_connections is a gauge and is always replaced.
 */
export interface StatsContribution {
  listenerId: string;
  amphoraId: string;
  mode: 'add' | 'max';
  bytesIn: number;
  bytesOut: number;
  activeConnections: number;
  totalConnections: number;
  requestErrors: number;
}

const nonNegative = (n: number) => (n > 0 ? n : 0);

/** The counters a heartbeat carries for the listeners the load balancer has (others are not recorded). */
export function statsContributions(
  message: HeartbeatMessage,
  amphoraId: string,
  knownListeners: ReadonlySet<string>,
): StatsContribution[] {
  const mode = message.ver >= 3 ? 'add' : 'max';
  const rows: StatsContribution[] = [];
  for (const [listenerId, report] of Object.entries(message.listeners)) {
    if (!knownListeners.has(listenerId)) continue;
    const s = report.stats;
    rows.push({
      listenerId,
      amphoraId,
      mode,
      bytesIn: nonNegative(s.rx),
      bytesOut: nonNegative(s.tx),
      activeConnections: nonNegative(s.conns),
      totalConnections: nonNegative(s.totconns),
      requestErrors: nonNegative(s.ereq),
    });
  }
  return rows;
}

/**
 * Fold the contributions of several messages of a batch into one per (listener, amphora, mode), in the
 * order the messages were accepted: deltas summed, absolute values kept at their maximum, the last gauge.
 */
export function mergeContributions(rows: readonly StatsContribution[]): StatsContribution[] {
  const merged = new Map<string, StatsContribution>();
  for (const row of rows) {
    const key = `${row.mode}|${row.listenerId}|${row.amphoraId}`;
    const seen = merged.get(key);
    if (!seen) {
      merged.set(key, { ...row });
      continue;
    }
    const fold = row.mode === 'add' ? (a: number, b: number) => a + b : Math.max;
    seen.bytesIn = fold(seen.bytesIn, row.bytesIn);
    seen.bytesOut = fold(seen.bytesOut, row.bytesOut);
    seen.totalConnections = fold(seen.totalConnections, row.totalConnections);
    seen.requestErrors = fold(seen.requestErrors, row.requestErrors);
    seen.activeConnections = row.activeConnections;
  }
  return [...merged.values()];
}
