/**
 * The failover watch's decisions, as pure functions (no database, no clock): when the watch may act at
 * all, and which silent amphorae it fails over, holds, or leaves alone. The watch (failover-watch.ts)
 * gathers the facts and carries the decisions out.
 *
 * Failing over a healthy amphora costs a rebuild and cuts its connections; failing over hundreds at once
 * because the control plane itself went deaf is the storm Octavia operators know (its brake,
 * `failover_threshold`, is off by default). Every guard below errs towards waiting: a real failure waits
 * at most one more heartbeat timeout, a false alarm would replace amphorae that were fine.
 */

/** Two clocks: the wall clock (the one heartbeat times are written in) and a monotonic one. */
export interface WatchTime {
  wallMs: number;
  monoMs: number;
}

export interface WatchTiming {
  heartbeatTimeoutMs: number;
  checkIntervalMs: number;
}

/** Where the watch stands: since when it has been watching without a break, and its last completed tick. */
export interface ArmingState {
  armedAt: WatchTime;
  lastTick?: WatchTime;
}

export interface ArmingDecision {
  state: ArmingState;
  /** The watch has watched, without a break, for a whole heartbeat timeout: silence now means something. */
  ready: boolean;
  /** This tick found a break (the watch stalled, the clock jumped) and started watching afresh. */
  stalled: boolean;
  /** The break that was found, in ms (the larger of the two clocks' gaps). */
  gapMs: number;
}

/**
 * A gap between two completed ticks longer than this means the watch (and, in its process, the health
 * manager) was not running: the event loop was blocked, the machine suspended, the database out of reach
 * (a tick counts only once its reads succeeded). Twice the check interval, and never under 250 ms so a
 * short garbage collection pause does not count. With the defaults (0.5 s checks, 1 s heartbeats, 3 s
 * timeout) that is 1 s, under the 2 s (timeout - interval) a pause needs before it can make an amphora that
 * kept sending look silent on its own.
 */
export function stallLimitMs(timing: WatchTiming): number {
  return Math.max(2 * timing.checkIntervalMs, timing.checkIntervalMs + 250);
}

/**
 * (a) After a start, and (b) after any break, the watch waits one full heartbeat timeout before it acts:
 * an amphora is only called silent once the watch has been listening for as long as silence must last.
 * Without this, a control plane coming back after an outage would find every amphora "silent" since the
 * outage began. Breaks are seen on both clocks: the wall clock jumps with suspends and clock changes
 * (a backwards step counts as a break too), the monotonic one with a blocked process.
 */
export function nextArming(previous: ArmingState, now: WatchTime, timing: WatchTiming): ArmingDecision {
  let state = previous;
  let stalled = false;
  let gapMs = 0;
  if (previous.lastTick) {
    const wallGap = now.wallMs - previous.lastTick.wallMs;
    const monoGap = now.monoMs - previous.lastTick.monoMs;
    gapMs = Math.max(wallGap, monoGap);
    if (wallGap < 0 || gapMs > stallLimitMs(timing)) {
      stalled = true;
      state = { armedAt: now };
    }
  }
  const watched = Math.min(now.wallMs - state.armedAt.wallMs, now.monoMs - state.armedAt.monoMs);
  return { state, ready: watched >= timing.heartbeatTimeoutMs, stalled, gapMs };
}

/** An amphora whose last heartbeat is older than the timeout. */
export interface SilentAmphora {
  id: string;
  loadBalancerId: string;
  status: 'ALLOCATED' | 'FAILOVER_STOPPED';
  lastUpdateMs: number;
  /** A failover of it is already under way. */
  busy: boolean;
  /** Failovers of its load balancer started within the flap window (any origin). */
  recentFailovers: number;
}

export interface FailoverSnapshot {
  /** Amphorae watched: ALLOCATED or FAILOVER_STOPPED, serving a load balancer. */
  watched: number;
  silent: SilentAmphora[];
  /** Failover jobs not finished yet, of every node and origin. */
  inFlight: number;
}

export interface FailoverLimits {
  /** Fraction of the watched amphorae that may be silent at once before nothing is failed over. */
  failoverThreshold: number;
  /** Failovers under way at most (counted from the job table, so across health managers). */
  failoverConcurrency: number;
  /** Failovers of one load balancer within the flap window after which it is held. */
  flapLimit: number;
}

export interface FailoverDecision {
  /** Too many silent at once: the fault is likely the control plane's or the network's. */
  storm: boolean;
  /** Start these now (longest silent first). */
  failover: SilentAmphora[];
  /** Mark these FAILOVER_STOPPED (storm, or a load balancer that keeps failing over). */
  hold: SilentAmphora[];
  /** Held because their load balancer reached the flap limit. */
  flapping: SilentAmphora[];
}

/** True when `silent` of `watched` amphorae is more than the threshold allows (and at least two). */
export function isStorm(silent: number, watched: number, threshold: number): boolean {
  return silent >= 2 && silent > threshold * watched;
}

/**
 * Which silent amphorae to fail over now.
 *
 * (c) Storm: when more than `failoverThreshold` of the watched amphorae (and at least two) are silent at
 * once, none is failed over; they are held as FAILOVER_STOPPED. Many amphorae do not die in the same
 * seconds on their own: the health manager, its network or the key is the likelier fault, and replacing
 * them all would only add load where things already fail. Amphorae already being failed over count as
 * silent (they are part of the event). Once the fraction drops (the network heals, most are heard again)
 * the ones still silent are failed over; the manual failover API works on held ones at any time.
 *
 * Flapping: a load balancer whose amphorae were failed over `flapLimit` times within the flap window is
 * held too: a replacement that never speaks (a broken image, a key the amphorae do not share) would
 * otherwise be replaced every timeout, forever. It is tried again when the window has moved on.
 *
 * Concurrency: at most `failoverConcurrency` failovers under way in all, so failovers cannot swamp the
 * workers and slow heartbeat processing into more failovers.
 */
export function chooseFailovers(snapshot: FailoverSnapshot, limits: FailoverLimits): FailoverDecision {
  const candidates = snapshot.silent.filter((a) => !a.busy);
  if (isStorm(snapshot.silent.length, snapshot.watched, limits.failoverThreshold)) {
    return { storm: true, failover: [], hold: candidates.filter((a) => a.status === 'ALLOCATED'), flapping: [] };
  }
  const flapping = candidates.filter((a) => a.recentFailovers >= limits.flapLimit);
  const ready = candidates
    .filter((a) => a.recentFailovers < limits.flapLimit)
    .sort((a, b) => a.lastUpdateMs - b.lastUpdateMs || a.id.localeCompare(b.id));
  const slots = Math.max(0, limits.failoverConcurrency - snapshot.inFlight);
  return {
    storm: false,
    failover: ready.slice(0, slots),
    hold: flapping.filter((a) => a.status === 'ALLOCATED'),
    flapping,
  };
}
