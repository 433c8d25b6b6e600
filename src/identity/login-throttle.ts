/**
 * Slows password guessing on the token endpoint. Failed attempts are counted per key (a user name, a
 * client address); past a few free ones, every further attempt for that key waits a delay that doubles
 * up to a cap, and attempts that arrive together queue one delay apart, so parallel guessing gains
 * nothing. A success resets the key. The counters live in this process's memory only: each node throttles
 * on its own, and a restart forgets them (the delays stay per key; no lockout to abuse).
 */

export interface ThrottleSchedule {
  /** Failures answered without delay. */
  freeFailures: number;
  /** Delay of the first throttled attempt, doubling with each further failure. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A key with no failure for this long is forgotten. */
  forgetAfterMs: number;
  /** Attempts queued further ahead than this are refused without checking the password. */
  maxQueueMs: number;
}

export const DEFAULT_THROTTLE: ThrottleSchedule = {
  freeFailures: 3,
  baseDelayMs: 250,
  maxDelayMs: 8000,
  forgetAfterMs: 15 * 60 * 1000,
  maxQueueMs: 30_000,
};

/** The delay before the next attempt after `failures` failed ones. */
export function throttleDelayMs(failures: number, schedule: ThrottleSchedule = DEFAULT_THROTTLE): number {
  const over = failures - schedule.freeFailures;
  if (over <= 0) return 0;
  return Math.min(schedule.maxDelayMs, schedule.baseDelayMs * 2 ** Math.min(over - 1, 30));
}

interface KeyState {
  failures: number;
  lastFailureAt: number;
  /** When the latest admitted attempt for this key may run; the next one queues after it. */
  queuedUntil: number;
}

/** Keys kept at most; the oldest are dropped first (a flood of made-up names cannot exhaust memory). */
const MAX_KEYS = 10_000;

export interface Admission {
  /** Wait this long before checking the password. */
  waitMs: number;
  /** The queue is too long: answer 401 after waiting, without checking the password. */
  refuse: boolean;
}

export class LoginThrottle {
  private readonly keys = new Map<string, KeyState>();

  constructor(
    private readonly schedule: ThrottleSchedule = DEFAULT_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reserve a turn for an attempt concerning all of `keys`; the longest wait wins. */
  admit(keys: string[]): Admission {
    const now = this.now();
    let waitMs = 0;
    let refuse = false;
    for (const key of keys) {
      const state = this.current(key, now);
      if (!state) continue;
      const delay = throttleDelayMs(state.failures, this.schedule);
      if (delay === 0) continue;
      const startAt = Math.max(now, state.queuedUntil) + delay;
      if (startAt - now > this.schedule.maxQueueMs) {
        refuse = true;
        waitMs = Math.max(waitMs, delay);
        continue;
      }
      state.queuedUntil = startAt;
      waitMs = Math.max(waitMs, startAt - now);
    }
    return { waitMs, refuse };
  }

  recordFailure(keys: string[]): void {
    const now = this.now();
    for (const key of keys) {
      const state = this.current(key, now) ?? { failures: 0, lastFailureAt: now, queuedUntil: 0 };
      state.failures++;
      state.lastFailureAt = now;
      this.keys.delete(key); // re-insert: the map's order is the eviction order
      this.keys.set(key, state);
    }
    while (this.keys.size > MAX_KEYS) this.keys.delete(this.keys.keys().next().value!);
  }

  recordSuccess(keys: string[]): void {
    for (const key of keys) this.keys.delete(key);
  }

  /** Failures counted for `key` (0 when forgotten). */
  failures(key: string): number {
    return this.current(key, this.now())?.failures ?? 0;
  }

  private current(key: string, now: number): KeyState | undefined {
    const state = this.keys.get(key);
    if (state && now - state.lastFailureAt > this.schedule.forgetAfterMs) {
      this.keys.delete(key);
      return undefined;
    }
    return state;
  }
}
