import type { Logger } from '../common/logger.js';

/**
 * A log line per kind of event at most every `intervalMs`, carrying how many events it stands for: a flood
 * of forged or replayed heartbeats must not flood the log (or cost the receiver its CPU in log writes).
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { atMs: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  note(level: 'info' | 'warn' | 'error', kind: string, details: Record<string, unknown>, message: string): void {
    const now = this.now();
    const seen = this.last.get(kind);
    if (seen && now - seen.atMs < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.last.set(kind, { atMs: now, suppressed: 0 });
    this.log[level]({ kind, ...details, ...(suppressed ? { similarSinceLastLog: suppressed } : {}) }, message);
  }
}
