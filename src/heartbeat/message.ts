/** Octavia's heartbeat message (version 3), what an amphora reports about its listeners, pools and members. */

/** Listener counters: v3 sends deltas since the previous message (conns is the current count). */
export interface ListenerCounters {
  tx: number;
  rx: number;
  conns: number;
  totconns: number;
  ereq: number;
}

export interface ListenerReport {
  /** OPEN, or FULL when the listener is at its connection limit. */
  status: string;
  stats: ListenerCounters;
}

export interface PoolReport {
  /** UP or DOWN. */
  status: string;
  /** Member id to HAProxy's server status: UP, DOWN, DRAIN, MAINT, "no check", "UP 1/3", ... */
  members: Record<string, string>;
}

export interface HeartbeatMessage {
  id: string;
  seq: number;
  listeners: Record<string, ListenerReport>;
  /** Keyed `<pool_id>:<listener_id>` (HAProxy backend names). */
  pools: Record<string, PoolReport>;
  ver: number;
}

/** The versions this health manager understands: 3 (counter deltas) and 2 (absolute counters). */
export const SUPPORTED_VERSIONS = new Set([2, 3]);

/** The message with its keys in the order Octavia's amphora writes them (the signed bytes depend on it). */
export function orderedMessage(m: HeartbeatMessage): HeartbeatMessage {
  return { id: m.id, seq: m.seq, listeners: m.listeners, pools: m.pools, ver: m.ver };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Check the shape of a decoded message; undefined when it is not a heartbeat this manager can apply. */
export function parseHeartbeat(value: unknown): HeartbeatMessage | undefined {
  if (!isRecord(value)) return undefined;
  const { id, seq, listeners, pools, ver } = value;
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) return undefined;
  if (!isCount(seq) || seq < 0 || !isCount(ver) || !SUPPORTED_VERSIONS.has(ver)) return undefined;
  if (!isRecord(listeners) || !isRecord(pools)) return undefined;
  for (const report of Object.values(listeners)) {
    if (!isRecord(report) || typeof report.status !== 'string' || !isRecord(report.stats)) return undefined;
    const s = report.stats;
    if (![s.tx, s.rx, s.conns, s.totconns, s.ereq].every(isCount)) return undefined;
  }
  for (const report of Object.values(pools)) {
    if (!isRecord(report) || typeof report.status !== 'string' || !isRecord(report.members)) return undefined;
    if (!Object.values(report.members).every((s) => typeof s === 'string')) return undefined;
  }
  return value as unknown as HeartbeatMessage;
}
