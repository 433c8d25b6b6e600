import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chooseFailovers,
  isStorm,
  nextArming,
  stallLimitMs,
  type ArmingState,
  type FailoverLimits,
  type SilentAmphora,
  type WatchTime,
} from '../../src/health/failover-decision.js';

const timing = { heartbeatTimeoutMs: 3000, checkIntervalMs: 500 };
const limits: FailoverLimits = { failoverThreshold: 0.5, failoverConcurrency: 10, flapLimit: 3 };
const at = (ms: number, mono = ms): WatchTime => ({ wallMs: 1_700_000_000_000 + ms, monoMs: mono });

/** Run ticks at the given offsets (both clocks together unless given as a pair) from a start at 0. */
function tickAt(offsets: Array<number | [number, number]>) {
  let state: ArmingState = { armedAt: at(0) };
  return offsets.map((o) => {
    const now = Array.isArray(o) ? at(o[0], o[1]) : at(o);
    const d = nextArming(state, now, timing);
    state = { ...d.state, lastTick: now };
    return d;
  });
}

const silent = (id: string, extra: Partial<SilentAmphora> = {}): SilentAmphora => ({
  id,
  loadBalancerId: `lb-${id}`,
  status: 'ALLOCATED',
  lastUpdateMs: 1000,
  busy: false,
  recentFailovers: 0,
  ...extra,
});

describe('failover watch: arming (start and stalls)', () => {
  it('waits one full heartbeat timeout after the start before acting', () => {
    const ticks = tickAt([0, 500, 1000, 1500, 2000, 2500, 2999, 3000, 3500]);
    assert.deepEqual(
      ticks.map((t) => t.ready),
      [false, false, false, false, false, false, false, true, true],
    );
    assert.ok(ticks.every((t) => !t.stalled));
  });

  it('treats a gap longer than the stall limit as a new start (blocked event loop: both clocks jump)', () => {
    assert.equal(stallLimitMs(timing), 1000);
    const ticks = tickAt([500, 1000, 1500, 2000, 2500, 3000, 3500, 5000, 5500, 6500, 7500, 7999, 8000]);
    assert.deepEqual(
      ticks.map((t) => [t.ready, t.stalled]),
      [
        [false, false],
        [false, false],
        [false, false],
        [false, false],
        [false, false],
        [true, false],
        [true, false],
        // 1.5 s since the last tick: watching starts over at 5000 ...
        [false, true],
        [false, false],
        [false, false],
        [false, false],
        [false, false],
        // ... and the watch acts again only at 5000 + 3000.
        [true, false],
      ],
    );
    assert.equal(ticks[7]!.gapMs, 1500);
  });

  it('a gap at the limit is no stall; just over it is', () => {
    const [, exact] = tickAt([3000, 4000]);
    assert.equal(exact!.stalled, false);
    const [, over] = tickAt([3000, 4001]);
    assert.equal(over!.stalled, true);
  });

  it('sees a suspend (only the wall clock moved) and a clock stepped back', () => {
    // Suspended for a minute: the monotonic clock did not advance.
    const suspended = tickAt([3000, 3500, [63_500, 4000]]);
    assert.equal(suspended[2]!.stalled, true);
    assert.equal(suspended[2]!.ready, false);
    // The wall clock stepped back 10 s: heartbeat ages are meaningless for a while.
    const back = tickAt([3000, 3500, [-6500, 4000]]);
    assert.equal(back[2]!.stalled, true);
    // The monotonic clock alone jumped (the wall clock was stepped back while the process was blocked).
    const blocked = tickAt([3000, 3500, [3600, 9000]]);
    assert.equal(blocked[2]!.stalled, true);
  });

  it('a wall clock jump forward does not shorten the wait after a start', () => {
    // 2 s of real watching, but the wall clock says 60 s: still not ready.
    const [d] = tickAt([[60_000, 2000]]);
    assert.equal(d!.ready, false);
  });
});

describe('failover watch: which amphorae to fail over', () => {
  it('fails over the silent ones, longest silent first, up to the free concurrency', () => {
    const snapshot = {
      watched: 100,
      silent: [
        silent('c', { lastUpdateMs: 300 }),
        silent('a', { lastUpdateMs: 100 }),
        silent('b', { lastUpdateMs: 200 }),
      ],
      inFlight: 8,
    };
    const d = chooseFailovers(snapshot, limits);
    assert.equal(d.storm, false);
    assert.deepEqual(
      d.failover.map((a) => a.id),
      ['a', 'b'],
    );
    assert.deepEqual(d.hold, []);
    assert.deepEqual(chooseFailovers({ ...snapshot, inFlight: 10 }, limits).failover, []);
    assert.deepEqual(chooseFailovers({ ...snapshot, inFlight: 12 }, limits).failover, []);
  });

  it('never starts a second failover of a busy amphora', () => {
    const d = chooseFailovers({ watched: 10, silent: [silent('a', { busy: true }), silent('b')], inFlight: 1 }, limits);
    assert.deepEqual(
      d.failover.map((a) => a.id),
      ['b'],
    );
  });

  it('a storm (more than the threshold silent, and at least two) fails over none and holds the rest', () => {
    const many = Array.from({ length: 6 }, (_, i) => silent(`s${i}`));
    many[0]!.busy = true;
    many[1]!.status = 'FAILOVER_STOPPED';
    const d = chooseFailovers({ watched: 10, silent: many, inFlight: 1 }, limits);
    assert.equal(d.storm, true);
    assert.deepEqual(d.failover, []);
    // Busy ones are being replaced already; held ones stay held.
    assert.deepEqual(
      d.hold.map((a) => a.id),
      ['s2', 's3', 's4', 's5'],
    );
  });

  it('at the threshold exactly it is no storm; one lone silent amphora is always failed over', () => {
    assert.equal(isStorm(5, 10, 0.5), false);
    assert.equal(isStorm(6, 10, 0.5), true);
    assert.equal(isStorm(1, 1, 0.5), false);
    assert.equal(isStorm(2, 2, 0.5), true);
    assert.equal(isStorm(2, 3, 0.5), true);
    // A threshold of 1 turns the brake off.
    assert.equal(isStorm(10, 10, 1), false);
    const lone = chooseFailovers({ watched: 1, silent: [silent('only')], inFlight: 0 }, limits);
    assert.deepEqual(
      lone.failover.map((a) => a.id),
      ['only'],
    );
  });

  it('once the fraction drops, held amphorae still silent are failed over', () => {
    const d = chooseFailovers(
      {
        watched: 10,
        silent: [silent('h1', { status: 'FAILOVER_STOPPED' }), silent('h2', { status: 'FAILOVER_STOPPED' })],
        inFlight: 0,
      },
      limits,
    );
    assert.equal(d.storm, false);
    assert.deepEqual(
      d.failover.map((a) => a.id),
      ['h1', 'h2'],
    );
  });

  it('holds a load balancer that reached the flap limit instead of failing it over again', () => {
    const d = chooseFailovers(
      {
        watched: 20,
        silent: [
          silent('flap', { recentFailovers: 3 }),
          silent('held-flap', { recentFailovers: 5, status: 'FAILOVER_STOPPED' }),
          silent('fine', { recentFailovers: 2 }),
        ],
        inFlight: 0,
      },
      limits,
    );
    assert.deepEqual(
      d.failover.map((a) => a.id),
      ['fine'],
    );
    assert.deepEqual(
      d.hold.map((a) => a.id),
      ['flap'],
    );
    assert.deepEqual(
      d.flapping.map((a) => a.id),
      ['flap', 'held-flap'],
    );
  });
});
