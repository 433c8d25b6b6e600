import { createSocket, type Socket } from 'node:dgram';
import type { TaviaConfig } from '../common/config.js';
import type { Logger } from '../common/logger.js';
import type { Db } from '../db/database.js';
import { applyBatch, type BatchDropReason, type BatchResult, type QueuedHeartbeat } from './apply-batch.js';
import { HealthGraphCache } from './graph-cache.js';
import { openDatagram, type IntakeRejection } from './heartbeat-intake.js';
import { LagHistogram } from './lag-histogram.js';
import { RateLimitedLog } from './rate-limited-log.js';

/**
 * The health manager: receives the amphorae's signed UDP heartbeats, drops what it must not believe,
 * and applies the rest in batches (one transaction each) to amphora health, operating statuses and
 * traffic counters. Several health managers may share one database.
 */

export type DropReason = IntakeRejection | BatchDropReason | 'overload' | 'db-error';

export interface HealthCounters {
  /** Datagrams received. */
  received: number;
  /** Heartbeats applied. */
  accepted: number;
  dropped: Record<DropReason, number>;
  /** Applied heartbeats that did not refresh last_update (an expected listener was missing). */
  notRefreshed: number;
  statusWrites: number;
  statsRows: number;
  batches: number;
  /** Load balancer graphs read from the database (cache misses). */
  graphsRead: number;
  /** Arrival to commit of every applied heartbeat. */
  lag: LagHistogram;
}

export interface HealthManagerOptions {
  db: Db;
  config: TaviaConfig;
  log: Logger;
  /** The heartbeat HMAC key (`heartbeatKey(config)`). */
  key: string;
  /** A batch is applied when it holds this many heartbeats (default 1000) ... */
  batchMaxMessages?: number;
  /** ... or this long after its first heartbeat arrived (default 50 ms). */
  batchMaxDelayMs?: number;
  /**
   * Graphs are read again after this long (plus up to half at random) whatever else happened (default 60 s):
   * only changes made behind the API's back need it, and each reload costs a few reads per load balancer.
   */
  graphTtlMs?: number;
}

export interface RunningHealthManager {
  /** The bound UDP address. */
  address: { host: string; port: number };
  counters: HealthCounters;
  /** Resolves once every heartbeat received so far is applied (or dropped). */
  idle(): Promise<void>;
  /**
   * How long the oldest heartbeat not yet committed has waited (0 when none). last_update records arrival
   * times, so a failover decision should allow for this much delay (an overloaded health manager makes
   * every amphora look older than it is).
   */
  backlogMs(): number;
  stop(): Promise<void>;
}

/** Heartbeats waiting beyond this many mean the database cannot keep up: newer ones are dropped. */
const MAX_QUEUED = 100_000;
/** A transaction takes up to this many batches' worth of queued heartbeats when the manager is behind. */
const BACKLOG_BATCHES = 5;
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
const RETRIES = 3;

const DROP_REASONS: DropReason[] = [
  'too-short',
  'too-long',
  'bad-signature',
  'bad-compression',
  'bad-json',
  'malformed',
  'unknown-amphora',
  'orphan-amphora',
  'stale-seq',
  'overload',
  'db-error',
];

export function newCounters(): HealthCounters {
  return {
    received: 0,
    accepted: 0,
    dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
    notRefreshed: 0,
    statusWrites: 0,
    statsRows: 0,
    batches: 0,
    graphsRead: 0,
    lag: new LagHistogram(),
  };
}

/** PostgreSQL deadlock / serialization failures and SQLite's busy: the batch can simply run again. */
function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === '40P01' || code === '40001' || code === 'SQLITE_BUSY';
}

export async function startHealthManager(options: HealthManagerOptions): Promise<RunningHealthManager> {
  const { db, config, key } = options;
  const log = options.log.child({ component: 'health-manager' });
  const maxMessages = options.batchMaxMessages ?? 1000;
  const maxDelayMs = options.batchMaxDelayMs ?? 50;
  const intervalMs = config.health.heartbeatIntervalMs;
  const graphTtlMs = options.graphTtlMs ?? 60_000;
  const cache = new HealthGraphCache(graphTtlMs);
  let lastSweepMs = Date.now();
  const counters = newCounters();
  const events = new RateLimitedLog(log);

  let queue: QueuedHeartbeat[] = [];
  let flushing: Promise<void> | undefined;
  let inFlightSinceMs: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let idleWaiters: Array<() => void> = [];
  let stopped = false;

  const drop = (reason: DropReason, count: number, details: Record<string, unknown> = {}) => {
    counters.dropped[reason] += count;
    // A late copy or a just-deleted amphora is routine; a forged or broken datagram, or a lost batch, is not.
    const level =
      reason === 'db-error'
        ? 'error'
        : reason === 'stale-seq' || reason === 'unknown-amphora' || reason === 'orphan-amphora'
          ? 'info'
          : 'warn';
    events.note(level, `drop:${reason}`, { reason, count, ...details }, 'heartbeat dropped');
  };

  const record = (result: BatchResult, committedMs: number) => {
    counters.batches++;
    counters.accepted += result.accepted.length;
    counters.statusWrites += result.statusWrites;
    counters.statsRows += result.statsRows;
    counters.graphsRead += result.graphsRead;
    let worstLag = 0;
    for (const hb of result.accepted) {
      const lag = committedMs - hb.receivedMs;
      counters.lag.record(lag);
      if (lag > worstLag) worstLag = lag;
    }
    for (const [reason, list] of Object.entries(result.dropped) as Array<[BatchDropReason, QueuedHeartbeat[]]>)
      drop(reason, list.length, { amphoraId: list[0]!.message.id, seq: list[0]!.message.seq });
    for (const miss of result.notRefreshed) {
      counters.notRefreshed++;
      events.note(
        'warn',
        'not-refreshed',
        miss,
        'heartbeat does not report every enabled listener: amphora health not refreshed',
      );
    }
    // Octavia ignores a heartbeat processed a heartbeat interval late; here it is applied (it proves the
    // amphora was alive when it arrived, and last_update records that time), and the delay is reported.
    if (worstLag >= intervalMs)
      events.note('warn', 'lag', { lagMs: worstLag }, 'heartbeats applied later than one heartbeat interval');
  };

  const settleIdle = () => {
    if (queue.length > 0 || flushing) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const runBatch = async (batch: QueuedHeartbeat[]) => {
    for (let attempt = 1; ; attempt++) {
      const nowMs = Date.now();
      try {
        const result = await applyBatch(db, cache, batch, nowMs);
        record(result, Date.now());
        if (nowMs - lastSweepMs >= graphTtlMs) {
          cache.sweep(nowMs);
          lastSweepMs = nowMs;
        }
        return;
      } catch (err) {
        if (attempt < RETRIES && isRetryable(err)) {
          await new Promise((r) => setTimeout(r, 10 * attempt));
          continue;
        }
        drop('db-error', batch.length, { err });
        return;
      }
    }
  };

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (flushing || queue.length === 0) return;
    // A backlog goes in larger transactions (fewer commits and round trips per heartbeat), in bounded steps.
    const limit = maxMessages * BACKLOG_BATCHES;
    const batch = queue.length <= limit ? queue : queue.slice(0, limit);
    queue = queue.length <= limit ? [] : queue.slice(limit);
    inFlightSinceMs = batch[0]!.receivedMs;
    flushing = runBatch(batch).finally(() => {
      flushing = undefined;
      inFlightSinceMs = undefined;
      schedule();
      settleIdle();
    });
  };

  const schedule = () => {
    if (flushing || queue.length === 0) return;
    if (queue.length >= maxMessages || stopped) flush();
    else timer ??= setTimeout(flush, maxDelayMs);
  };

  const socket: Socket = createSocket({ type: config.health.host.includes(':') ? 'udp6' : 'udp4' });
  socket.on('message', (datagram) => {
    counters.received++;
    const receivedMs = Date.now();
    const opened = openDatagram(datagram, key);
    if ('rejected' in opened) {
      drop(opened.rejected, 1, { bytes: datagram.length });
      return;
    }
    if (queue.length >= MAX_QUEUED) {
      drop('overload', 1);
      return;
    }
    queue.push({ message: opened.message, receivedMs });
    schedule();
  });
  socket.on('error', (err) => log.error({ err }, 'heartbeat socket error'));
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(config.health.port, config.health.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    socket.close();
    throw err;
  }
  try {
    socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
  } catch (err) {
    log.warn({ err }, 'could not enlarge the heartbeat receive buffer');
  }
  const bound = socket.address();
  const address = { host: bound.address, port: bound.port };
  log.info({ ...address }, 'health manager receiving heartbeats');

  const idle = () =>
    new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      settleIdle();
    });

  const backlogMs = () => {
    const oldest = inFlightSinceMs ?? queue[0]?.receivedMs;
    return oldest === undefined ? 0 : Math.max(0, Date.now() - oldest);
  };

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      stopped = true;
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      // What was received is still applied: a heartbeat taken off the wire is not lost by a clean stop.
      flush();
      while (flushing) await flushing;
      log.info({ received: counters.received, accepted: counters.accepted }, 'health manager stopped');
    })());

  return { address, counters, idle, backlogMs, stop };
}
