/**
 * Time from a heartbeat's arrival to the commit that applied it, in fixed buckets: cheap to record for
 * every heartbeat, and enough for a median and a 99th percentile.
 */
const BOUNDS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, Infinity];

export class LagHistogram {
  readonly counts = BOUNDS_MS.map(() => 0);
  count = 0;
  totalMs = 0;
  maxMs = 0;

  record(ms: number): void {
    const value = ms < 0 ? 0 : ms;
    this.count++;
    this.totalMs += value;
    if (value > this.maxMs) this.maxMs = value;
    let i = 0;
    while (value > BOUNDS_MS[i]!) i++;
    this.counts[i]!++;
  }

  /** The upper bound of the bucket holding the p-th percentile (p in 0..100); 0 when empty. */
  percentileMs(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < BOUNDS_MS.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(BOUNDS_MS[i]!, this.maxMs);
    }
    return this.maxMs;
  }

  meanMs(): number {
    return this.count === 0 ? 0 : this.totalMs / this.count;
  }
}
