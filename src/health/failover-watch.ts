import { performance } from 'node:perf_hooks';
import type { TaviaConfig } from '../common/config.js';
import type { Logger } from '../common/logger.js';
import { notifyJobsQueued } from '../controller/jobs/job-queue.js';
import type { Db } from '../db/database.js';
import { chooseFailovers, nextArming, stallLimitMs, type ArmingState, type WatchTime } from './failover-decision.js';
import {
  adoptUnwatchedAmphorae,
  claimFailover,
  holdAmphorae,
  loadFailoverSnapshot,
  releaseHeardAmphorae,
  removeOrphanHealthRows,
} from './failover-store.js';

/** A load balancer failed over this many times within the flap window is held (see chooseFailovers). */
export const DEFAULT_FLAP_LIMIT = 3;
export const DEFAULT_FLAP_WINDOW_MS = 10 * 60_000;
/** Health rows for amphorae without one, and rows of amphorae gone: now and then, not every tick. */
const HOUSEKEEPING_MS = 30_000;

export interface FailoverWatchOptions {
  db: Db;
  config: Pick<TaviaConfig, 'health'>;
  log: Logger;
  /** Both clocks; tests pass their own. */
  clock?: () => WatchTime;
  /** false: no timer, the caller runs `tick()` (tests). */
  autoTick?: boolean;
  flapLimit?: number;
  flapWindowMs?: number;
  /**
   * How long the oldest heartbeat this process's health manager has received but not yet written has
   * waited (0 when none). An amphora counts as silent only past the timeout plus that: heartbeats queued
   * behind a slow database are not silence.
   */
  unwrittenHeartbeatAgeMs?: () => number;
}

/** What one tick saw and did. */
export interface TickReport {
  /** The watch had been watching for a whole heartbeat timeout and looked for silent amphorae. */
  ready: boolean;
  /** A break was found (this tick or while reading): the watch starts counting again. */
  stalled: boolean;
  storm: boolean;
  silent: number;
  /** Amphorae whose failover this tick queued. */
  started: string[];
  /** Amphorae this tick marked FAILOVER_STOPPED. */
  held: string[];
  /** FAILOVER_STOPPED amphorae heard again, back to ALLOCATED. */
  released: string[];
}

export interface FailoverWatch {
  /** Run one check now (after any check under way). */
  tick(): Promise<TickReport>;
  /** Stop the timer and wait for the check under way. */
  stop(): Promise<void>;
}

const systemClock = (): WatchTime => ({ wallMs: Date.now(), monoMs: performance.now() });

/**
 * Replace amphorae that fell silent. Every `checkIntervalMs` it looks for watched amphorae (ALLOCATED or
 * FAILOVER_STOPPED) whose last accepted heartbeat is older than `heartbeatTimeoutMs` and queues the
 * failover flow for each (at most `failoverConcurrency` under way), behind the storm guards of
 * failover-decision.ts. Several watches (one per health manager) may share one database: the claim of
 * each amphora is a test-and-set, so one failover per amphora, whoever wins.
 */
export function startFailoverWatch(options: FailoverWatchOptions): FailoverWatch {
  const { db, log } = options;
  const health = options.config.health;
  const clock = options.clock ?? systemClock;
  const timing = { heartbeatTimeoutMs: health.heartbeatTimeoutMs, checkIntervalMs: health.checkIntervalMs };
  const limits = {
    failoverThreshold: health.failoverThreshold,
    failoverConcurrency: health.failoverConcurrency,
    flapLimit: options.flapLimit ?? DEFAULT_FLAP_LIMIT,
  };
  const flapWindowMs = options.flapWindowMs ?? DEFAULT_FLAP_WINDOW_MS;
  if (stallLimitMs(timing) >= health.heartbeatTimeoutMs - health.heartbeatIntervalMs)
    log.warn(
      { ...timing, heartbeatIntervalMs: health.heartbeatIntervalMs },
      'health check interval is long for the heartbeat timeout: a pause of the control plane may cause failovers',
    );

  let arming: ArmingState = { armedAt: clock() };
  let nextHousekeeping = Number.NEGATIVE_INFINITY;
  let storming = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> = Promise.resolve();

  const rearm = (at: WatchTime, gapMs: number, why: string) => {
    arming = { armedAt: at, lastTick: at };
    log.warn(
      { gapMs, waitMs: timing.heartbeatTimeoutMs },
      `failover watch ${why}: no failover for one heartbeat timeout`,
    );
  };

  async function runTick(): Promise<TickReport> {
    const start = clock();
    const report: TickReport = {
      ready: false,
      stalled: false,
      storm: false,
      silent: 0,
      started: [],
      held: [],
      released: [],
    };
    const decision = nextArming(arming, start, timing);
    arming = decision.state;
    if (decision.stalled) {
      report.stalled = true;
      rearm(start, decision.gapMs, 'was paused');
    }
    const backlogMs = Math.max(0, options.unwrittenHeartbeatAgeMs?.() ?? 0);
    const cutoffMs = start.wallMs - timing.heartbeatTimeoutMs - backlogMs;
    if (start.monoMs >= nextHousekeeping) {
      await adoptUnwatchedAmphorae(db, start.wallMs);
      await removeOrphanHealthRows(db);
      nextHousekeeping = start.monoMs + HOUSEKEEPING_MS;
    }
    report.released = await releaseHeardAmphorae(db, cutoffMs);
    if (report.released.length) log.info({ amphorae: report.released }, 'held amphorae heard again');
    if (!decision.ready) {
      arming.lastTick = clock();
      return report;
    }

    const snapshot = await loadFailoverSnapshot(db, cutoffMs, start.wallMs - flapWindowMs);
    const read = clock();
    // Reads this slow mean the database (and so the health manager's writes) lagged: the silence may be ours.
    if (read.monoMs - start.monoMs > stallLimitMs(timing) || read.wallMs - start.wallMs > stallLimitMs(timing)) {
      report.stalled = true;
      rearm(read, read.monoMs - start.monoMs, 'read the database slowly');
      return report;
    }
    arming.lastTick = read;
    report.ready = true;
    report.silent = snapshot.silent.length;

    const choice = chooseFailovers(snapshot, limits);
    report.storm = choice.storm;
    if (choice.storm !== storming) {
      storming = choice.storm;
      if (storming)
        log.error(
          { silent: snapshot.silent.length, watched: snapshot.watched, threshold: limits.failoverThreshold },
          'too many amphorae silent at once: failovers stopped (likely a control plane or network fault); ' +
            'held amphorae are failed over once most are heard again, or by the failover API',
        );
      else
        log.warn(
          { silent: snapshot.silent.length, watched: snapshot.watched },
          'amphorae heard again: failovers resume',
        );
    }
    report.held = await holdAmphorae(
      db,
      choice.hold.map((a) => a.id),
    );
    const flapping = new Set(choice.flapping.map((a) => a.id));
    const newlyFlapping = report.held.filter((id) => flapping.has(id));
    if (newlyFlapping.length)
      log.error(
        { amphorae: newlyFlapping, limit: limits.flapLimit, windowMs: flapWindowMs },
        'load balancer failed over too often: held (FAILOVER_STOPPED) until the window has passed',
      );
    if (storming && report.held.length) log.error({ amphorae: report.held.length }, 'amphorae held (FAILOVER_STOPPED)');

    for (const amphora of choice.failover) {
      if (stopped) break;
      const outcome = await claimFailover(db, amphora, cutoffMs);
      if (outcome === 'started') {
        report.started.push(amphora.id);
        log.warn(
          { amphora: amphora.id, loadBalancer: amphora.loadBalancerId, silentMs: start.wallMs - amphora.lastUpdateMs },
          'amphora silent: failing over',
        );
      } else {
        log.debug({ amphora: amphora.id, outcome }, 'failover not started');
      }
    }
    if (report.started.length) notifyJobsQueued();
    return report;
  }

  /** Checks run one at a time, whoever asks. */
  const tick = (): Promise<TickReport> => {
    const run = current.then(runTick);
    current = run.catch(() => undefined);
    return run;
  };

  const loop = () => {
    if (stopped) return;
    tick()
      .catch((err: unknown) => log.warn({ err }, 'failover check failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, timing.checkIntervalMs).unref();
      });
  };
  if (options.autoTick !== false) timer = setTimeout(loop, 0).unref();

  return {
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
