import { isIP } from 'node:net';

/** What an amphora agent needs to send heartbeats: where, signed with which key, how often. */
export interface HeartbeatSettings {
  /** Health manager addresses, `ip:port` or `[ipv6]:port`; one target per message, in turn. Empty: send nothing. */
  targets: string[];
  /** The HMAC key shared with the health managers. */
  key: string;
  intervalMs: number;
}

/** A health manager address, parsed. */
export interface HeartbeatTarget {
  host: string;
  port: number;
  family: 4 | 6;
}

const MIN_INTERVAL_MS = 10;
const MAX_INTERVAL_MS = 3_600_000;
const MAX_TARGETS = 64;

/** `ip:port` or `[ipv6]:port` (IP literals only: a name would cost a DNS lookup per message). */
export function parseTarget(text: string): HeartbeatTarget | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const host = match[1] ?? match[2]!;
  const family = isIP(host);
  const port = Number(match[3]);
  if (family === 0 || (family === 6) !== (match[1] !== undefined) || port < 1 || port > 65535) return undefined;
  return { host, port, family: family as 4 | 6 };
}

/** Check settings that came over the wire; the reason names the first bad field. */
export function validateHeartbeatSettings(value: unknown): { settings: HeartbeatSettings } | { error: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'an object is required' };
  const { targets, key, intervalMs } = value as Record<string, unknown>;
  if (!Array.isArray(targets) || targets.length > MAX_TARGETS)
    return { error: `targets must be a list of at most ${MAX_TARGETS} addresses` };
  for (const t of targets) {
    if (typeof t !== 'string' || !parseTarget(t)) return { error: `targets: '${String(t)}' is not ip:port` };
  }
  if (typeof key !== 'string' || key === '') return { error: 'key must be a non-empty string' };
  if (
    !Number.isInteger(intervalMs) ||
    (intervalMs as number) < MIN_INTERVAL_MS ||
    (intervalMs as number) > MAX_INTERVAL_MS
  )
    return { error: `intervalMs must be an integer from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS}` };
  return { settings: { targets: targets as string[], key, intervalMs: intervalMs as number } };
}
