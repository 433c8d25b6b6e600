import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { FrontendStat, WorkerIdentity } from './show-stat.js';

/** A listener's cumulative counters, as one worker reports them. */
export interface ListenerTotals {
  /** Bytes out (HAProxy `bout`). */
  tx: number;
  /** Bytes in (`bin`). */
  rx: number;
  /** Sessions (`stot`). */
  totconns: number;
  /** Request errors (`ereq`). */
  ereq: number;
}

interface SavedCounters {
  worker: WorkerIdentity;
  listeners: Record<string, ListenerTotals>;
}

const ZERO: ListenerTotals = { tx: 0, rx: 0, totconns: 0, ereq: 0 };
const KEYS = ['tx', 'rx', 'totconns', 'ereq'] as const;

/**
 * Turns one load balancer's cumulative HAProxy counters into the deltas heartbeat v3 carries, so the health
 * manager's sums never go backwards and never count anything twice:
 * - a new worker (a reload or restart, told apart by pid and start time) starts from zero, so all it reports
 *   is new; a counter that still went down is a reset too, and its current value is the delta;
 * - the last values read are kept in `<lb dir>/heartbeat-counters.json`, so an agent that restarts and adopts
 *   the HAProxy still running goes on from them instead of sending everything again;
 * - readings taken just before a reload (the old worker's last values) wait in `pending` for the next message.
 */
export class CounterLedger {
  private worker: WorkerIdentity | undefined;
  private last = new Map<string, ListenerTotals>();
  private readonly pending = new Map<string, ListenerTotals>();
  private dirty = false;

  private constructor(private readonly file: string) {}

  /** The ledger of a load balancer, with the counters an earlier agent saved (none when unreadable). */
  static async open(file: string): Promise<CounterLedger> {
    const ledger = new CounterLedger(file);
    const saved = parseSaved(await readFile(file, 'utf8').catch(() => undefined));
    if (saved) {
      ledger.worker = saved.worker;
      ledger.last = new Map(Object.entries(saved.listeners));
    }
    return ledger;
  }

  /** Account for one reading of the frontends' counters by `worker`. */
  record(worker: WorkerIdentity, frontends: readonly FrontendStat[]): void {
    const sameWorker = this.worker?.pid === worker.pid && this.worker.startTimeSec === worker.startTimeSec;
    const next = new Map<string, ListenerTotals>();
    for (const f of frontends) {
      const now: ListenerTotals = { tx: f.bout, rx: f.bin, totconns: f.stot, ereq: f.ereq };
      const before = sameWorker ? this.last.get(f.name) : undefined;
      const delta = before ? subtract(now, before) : valuesOf(now);
      add(this.pending, f.name, delta.some((d) => d < 0) ? valuesOf(now) : delta);
      next.set(f.name, now);
      if (!before || KEYS.some((k) => before[k] !== now[k])) this.dirty = true;
    }
    if (!sameWorker || next.size !== this.last.size) this.dirty = true;
    this.worker = worker;
    this.last = next;
  }

  /** Hand out (and forget) what has accumulated for a listener since the last message. */
  take(listenerId: string): ListenerTotals {
    const delta = this.pending.get(listenerId) ?? ZERO;
    this.pending.delete(listenerId);
    return delta;
  }

  /** Give back deltas whose message could not be sent. */
  giveBack(listenerId: string, delta: ListenerTotals): void {
    add(this.pending, listenerId, valuesOf(delta));
  }

  /** Keep the last values read, for an agent that restarts; written whole under a temporary name, then renamed. */
  async save(): Promise<void> {
    if (!this.dirty || !this.worker) return;
    this.dirty = false;
    const saved: SavedCounters = { worker: this.worker, listeners: Object.fromEntries(this.last) };
    const tmp = `${this.file}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await writeFile(tmp, JSON.stringify(saved), { mode: 0o600 });
      await rename(tmp, this.file);
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }
}

const valuesOf = (t: ListenerTotals): number[] => KEYS.map((k) => t[k]);

function subtract(a: ListenerTotals, b: ListenerTotals): number[] {
  return KEYS.map((k) => a[k] - b[k]);
}

function fromValues(values: number[]): ListenerTotals {
  return { tx: values[0]!, rx: values[1]!, totconns: values[2]!, ereq: values[3]! };
}

function add(into: Map<string, ListenerTotals>, id: string, delta: number[]): void {
  const sum = valuesOf(into.get(id) ?? ZERO).map((v, i) => v + delta[i]!);
  into.set(id, fromValues(sum));
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function parseSaved(text: string | undefined): SavedCounters | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as SavedCounters;
    const { worker, listeners } = value;
    if (!isCount(worker?.pid) || !isCount(worker.startTimeSec)) return undefined;
    if (typeof listeners !== 'object' || listeners === null) return undefined;
    for (const totals of Object.values(listeners)) if (!KEYS.every((k) => isCount(totals?.[k]))) return undefined;
    return value;
  } catch {
    return undefined;
  }
}
