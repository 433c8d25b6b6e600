import { median, sum } from './report.js';
import { runWrk, wrkErrors, type WrkLoad, type WrkResult } from './wrk.js';

/** How a side-by-side comparison is cut into time. */
export interface SlicePlan {
  warmupSeconds: number;
  slices: number;
  sliceSeconds: number;
}

export interface Throughput {
  /** Requests over the total time of all slices (with `Connection: close`, also connections per second). */
  rps: number;
  bytesPerSecond: number;
  sliceRps: number[];
  /** The median of the slices' p99. */
  p99Ms: number;
  errors: number;
}

/**
 * Warm every target up, then run `slices` wrk slices on each, alternating between the targets, so a change
 * in the machine's background load hits all of them alike.
 */
export async function compareThroughput(urls: string[], load: WrkLoad, plan: SlicePlan): Promise<Throughput[]> {
  for (const url of urls) await runWrk(url, plan.warmupSeconds, load);
  const slices: WrkResult[][] = urls.map(() => []);
  for (let i = 0; i < plan.slices; i++)
    for (const [j, url] of urls.entries()) slices[j]!.push(await runWrk(url, plan.sliceSeconds, load));
  return slices.map((runs) => {
    const seconds = sum(runs.map((r) => r.seconds));
    return {
      rps: sum(runs.map((r) => r.requests)) / seconds,
      bytesPerSecond: sum(runs.map((r) => r.bytes)) / seconds,
      sliceRps: runs.map((r) => r.requests / r.seconds),
      p99Ms: median(runs.map((r) => r.p99Ms)),
      errors: sum(runs.map(wrkErrors)),
    };
  });
}
