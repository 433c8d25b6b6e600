import { fmt, table } from '../lib/report.js';
import { compareThroughput, type SlicePlan } from '../lib/throughput.js';
import type { Target } from './environment.js';

export const WRK_THREADS = 2;
export const WRK_CONNECTIONS = 32;

const MB = 1024 * 1024;

/**
 * Tavia's listener against its baseline, with keep-alive and with `Connection: close` (one connection per
 * request, so req/s is also new connections per second), in alternating wrk slices. Prints one table.
 */
export async function measureThroughput(title: string, target: Target, plan: SlicePlan): Promise<void> {
  const rows: string[][] = [
    [
      '',
      'Tavia req/s',
      'MB/s',
      'p99 ms',
      'baseline req/s',
      'MB/s',
      'p99 ms',
      'Tavia / baseline',
      'bytes ratio',
      'errors',
      'Tavia slices',
      'baseline slices',
    ],
  ];
  for (const close of [false, true]) {
    const load = { threads: WRK_THREADS, connections: WRK_CONNECTIONS, close };
    const [tavia, base] = await compareThroughput([target.taviaUrl, target.baselineUrl], load, plan);
    rows.push([
      close ? 'Connection: close (req/s = conn/s)' : 'keep-alive',
      fmt(tavia!.rps),
      fmt(tavia!.bytesPerSecond / MB, 2),
      fmt(tavia!.p99Ms, 2),
      fmt(base!.rps),
      fmt(base!.bytesPerSecond / MB, 2),
      fmt(base!.p99Ms, 2),
      fmt(tavia!.rps / base!.rps, 3),
      fmt(tavia!.bytesPerSecond / base!.bytesPerSecond, 3),
      String(tavia!.errors + base!.errors),
      tavia!.sliceRps.map((r) => fmt(r)).join('/'),
      base!.sliceRps.map((r) => fmt(r)).join('/'),
    ]);
  }
  console.log(
    `\n${title}: wrk -t${WRK_THREADS} -c${WRK_CONNECTIONS}, ${plan.slices} alternating slices of ` +
      `${plan.sliceSeconds} s each after a ${plan.warmupSeconds} s warm-up`,
  );
  console.log(table(rows));
}
