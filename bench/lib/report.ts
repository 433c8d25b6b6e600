/** Small statistics and plain-text tables for the benchmarks' output. */

/** Nearest-rank percentile of unsorted values; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The middle value (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

export const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** Columns padded to their widest cell; the first column left-aligned, the others right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One row of timings: p50, p99, min, max and every sample, in ms. */
export function timingRow(label: string, ms: readonly number[]): string[] {
  return [
    label,
    fmt(median(ms), 1),
    fmt(percentile(ms, 99), 1),
    fmt(Math.min(...ms), 1),
    fmt(Math.max(...ms), 1),
    ms.map((v) => fmt(v)).join(' '),
  ];
}

export const TIMING_HEADER = ['', 'p50 ms', 'p99 ms', 'min ms', 'max ms', 'all ms'];
