import { parseArgs } from 'node:util';
import type { SlicePlan } from '../lib/throughput.js';

/** How long and how much the data-plane benchmark measures; the defaults make a full run of about 3 minutes. */
export interface BenchOptions {
  slices: SlicePlan;
  /** wrk's length for the quiet period before the configuration changes, in seconds. */
  quietSeconds: number;
  changes: number;
  creates: number;
  memberTries: number;
}

const DEFAULTS: BenchOptions = {
  slices: { warmupSeconds: 1, slices: 5, sliceSeconds: 3 },
  quietSeconds: 5,
  changes: 100,
  creates: 10,
  memberTries: 5,
};

export const USAGE = `usage: dataplane-bench [--quick] [--slices N] [--slice-seconds N] [--warmup-seconds N]
                       [--quiet-seconds N] [--changes N] [--creates N] [--member-tries N]
  --quick   2 slices of 2 s per throughput row and a 3 s quiet period (a check that everything runs)`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} takes a whole number >= 1, not ${value}\n${USAGE}`);
  return n;
}

export function parseOptions(argv: string[]): BenchOptions {
  const names = ['slices', 'slice-seconds', 'warmup-seconds', 'quiet-seconds', 'changes', 'creates', 'member-tries'];
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      ...Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])),
    },
    strict: true,
  });
  const base: BenchOptions = values.quick
    ? { ...DEFAULTS, slices: { warmupSeconds: 1, slices: 2, sliceSeconds: 2 }, quietSeconds: 3 }
    : DEFAULTS;
  const str = (n: string) => values[n as keyof typeof values] as string | undefined;
  return {
    slices: {
      warmupSeconds: positiveInt('warmup-seconds', str('warmup-seconds'), base.slices.warmupSeconds),
      slices: positiveInt('slices', str('slices'), base.slices.slices),
      sliceSeconds: positiveInt('slice-seconds', str('slice-seconds'), base.slices.sliceSeconds),
    },
    quietSeconds: positiveInt('quiet-seconds', str('quiet-seconds'), base.quietSeconds),
    changes: positiveInt('changes', str('changes'), base.changes),
    creates: positiveInt('creates', str('creates'), base.creates),
    memberTries: positiveInt('member-tries', str('member-tries'), base.memberTries),
  };
}
