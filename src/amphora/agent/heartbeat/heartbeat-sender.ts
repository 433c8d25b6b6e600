import type { Socket } from 'node:dgram';
import { encodeEnvelope } from '../../../heartbeat/envelope.js';
import { orderedMessage, type HeartbeatMessage } from '../../../heartbeat/message.js';
import { CounterLedger, type ListenerTotals } from './counter-ledger.js';
import { heartbeatClock, type ClockEntry } from './heartbeat-clock.js';
import { parseTarget, type HeartbeatSettings, type HeartbeatTarget } from './heartbeat-settings.js';
import { buildHeartbeat, type LoadBalancerPart } from './message-builder.js';
import { parseShowStat, type HaproxyStats, type WorkerIdentity } from './show-stat.js';
import { StatsConnection } from './stats-connection.js';
import { acquireUdpSocket, releaseUdpSocket } from './udp-socket.js';

/** A load balancer on this amphora, as the sender reads it. */
export interface HeartbeatSource {
  lbId: string;
  /** Its HAProxy stats socket; undefined when the config has none (its listeners are then never reported). */
  statsSocket: string | undefined;
  /** Where its counters are kept between agent lives. */
  countersFile: string;
}

export interface HeartbeatSenderOptions {
  amphoraId: string;
  /** The load balancers to report, asked before every message. */
  sources: () => Promise<HeartbeatSource[]>;
  settings?: HeartbeatSettings;
  /** Bound on reading one stats socket; a socket that does not answer in time leaves its listeners out. */
  readTimeoutMs?: number;
}

export interface HeartbeatSenderStats {
  sent: number;
  sendErrors: number;
  /** Load balancer reads that failed (HAProxy not running or not answering). */
  unreadable: number;
  /** The sequence number of the last message built. */
  lastSeq: number | undefined;
  lastError: string | undefined;
}

interface Track {
  ledger: Promise<CounterLedger>;
  /** Readings of one load balancer are applied in the order they were taken. */
  queue: Promise<unknown>;
  connection: StatsConnection | undefined;
  statsSocket: string | undefined;
}

interface Reading {
  worker: WorkerIdentity;
  stats: HaproxyStats;
}

/**
 * The amphora's heartbeat: every interval, one signed datagram to the next health manager in turn (one target
 * per message, as Octavia's amphora does) with every load balancer's listeners, pools and members. Sequence
 * numbers start at the clock's milliseconds, so a restarted agent never goes below its earlier numbers.
 */
export class HeartbeatSender {
  private settings: HeartbeatSettings | undefined;
  private targets: HeartbeatTarget[] = [];
  private nextTarget = 0;
  private seq = Date.now();
  private readonly tracks = new Map<string, Track>();
  private readonly sockets = new Map<4 | 6, Socket>();
  private readonly schedule: ClockEntry = { due: 0, intervalMs: 1000, run: () => this.tick() };
  private beating: Promise<unknown> | undefined;
  private closed = false;
  private readonly counts: HeartbeatSenderStats = {
    sent: 0,
    sendErrors: 0,
    unreadable: 0,
    lastSeq: undefined,
    lastError: undefined,
  };

  constructor(private readonly opts: HeartbeatSenderOptions) {
    if (opts.settings) this.configure(opts.settings);
  }

  get stats(): Readonly<HeartbeatSenderStats> {
    return { ...this.counts };
  }

  /** Replace the settings (validated by the caller); a new interval or the first target restarts the schedule. */
  configure(settings: HeartbeatSettings): void {
    if (this.closed) return;
    const wasSending = this.targets.length > 0;
    const intervalChanged = settings.intervalMs !== this.settings?.intervalMs;
    this.settings = { ...settings, targets: [...settings.targets] };
    this.targets = settings.targets.map((t) => parseTarget(t)).filter((t): t is HeartbeatTarget => t !== undefined);
    this.schedule.intervalMs = settings.intervalMs;
    if (this.targets.length === 0) {
      heartbeatClock.remove(this.schedule);
      this.closeConnections();
    } else if (intervalChanged || !wasSending) {
      // A random first delay: the agents of one host started together do not all read and send at once.
      this.schedule.due = Date.now() + Math.floor(Math.random() * settings.intervalMs);
      heartbeatClock.schedule(this.schedule);
    }
  }

  /**
   * Build and send one message now (the schedule calls this; tests may too). Returns the message, or
   * undefined when there is no target.
   */
  async beat(): Promise<HeartbeatMessage | undefined> {
    const settings = this.settings;
    if (!settings || this.targets.length === 0 || this.closed) return undefined;
    const sources = await this.opts.sources().catch(() => [] as HeartbeatSource[]);
    const present = new Set(sources.map((s) => s.lbId));
    for (const [id, track] of this.tracks) {
      if (present.has(id)) continue;
      track.connection?.close();
      this.tracks.delete(id);
    }

    const read = await Promise.all(sources.map((s) => this.readAndRecord(s)));
    const ledgers = read.filter((r): r is { ledger: CounterLedger; reading: Reading } => r !== undefined);
    const taken: Array<{ ledger: CounterLedger; listenerId: string; delta: ListenerTotals }> = [];
    const parts: LoadBalancerPart[] = ledgers.map(({ ledger, reading }) => ({
      stats: reading.stats,
      takeDelta: (listenerId) => {
        const delta = ledger.take(listenerId);
        taken.push({ ledger, listenerId, delta });
        return delta;
      },
    }));
    const seq = this.seq++;
    this.counts.lastSeq = seq;
    const message = buildHeartbeat(this.opts.amphoraId, seq, parts);
    // The counters read are kept before the message leaves: a crash in between loses one interval, never
    // counts one twice.
    await Promise.all(ledgers.map(({ ledger }) => ledger.save().catch((err: unknown) => this.fail(err))));
    const target = this.targets[this.nextTarget++ % this.targets.length]!;
    try {
      await this.send(encodeEnvelope(orderedMessage(message), settings.key), target);
      this.counts.sent++;
    } catch (err) {
      this.counts.sendErrors++;
      this.fail(err);
      for (const t of taken) t.ledger.giveBack(t.listenerId, t.delta);
    }
    return message;
  }

  /**
   * Read a load balancer's counters just before its HAProxy reloads: what the old worker counted since the last
   * message must not be lost with it. The connection stays with the old worker, so the next reading also gets
   * what it counted until the switch (it then says it is stopping, and the new worker is read). Bounded by the
   * read timeout; never throws.
   */
  async captureBeforeReload(source: HeartbeatSource): Promise<void> {
    if (this.targets.length === 0 || this.closed) return;
    await this.readAndRecord(source);
  }

  /**
   * Let go of a load balancer's stats connection before its HAProxy stops: an open CLI connection would keep
   * a soft-stopping worker alive until it is killed.
   */
  release(lbId: string): void {
    const track = this.tracks.get(lbId);
    track?.connection?.close();
    if (track) track.connection = undefined;
  }

  /** Stop sending and let go of the connections and shared sockets. */
  async close(): Promise<void> {
    this.closed = true;
    heartbeatClock.remove(this.schedule);
    await this.beating?.catch(() => undefined);
    this.closeConnections();
    for (const family of this.sockets.keys()) releaseUdpSocket(family);
    this.sockets.clear();
  }

  /** One scheduled beat (the clock never starts the next before this one ends). */
  private async tick(): Promise<void> {
    this.beating = this.beat().catch((err: unknown) => this.fail(err));
    await this.beating;
    this.beating = undefined;
  }

  private closeConnections(): void {
    for (const track of this.tracks.values()) {
      track.connection?.close();
      track.connection = undefined;
    }
  }

  private readTimeoutMs(): number {
    return (
      this.opts.readTimeoutMs ?? Math.min(1_000, Math.max(50, Math.floor((this.settings?.intervalMs ?? 1000) / 2)))
    );
  }

  /** Read one load balancer and account for its counters; undefined when its HAProxy does not answer. */
  private readAndRecord(source: HeartbeatSource): Promise<{ ledger: CounterLedger; reading: Reading } | undefined> {
    let track = this.tracks.get(source.lbId);
    if (!track) {
      track = {
        ledger: CounterLedger.open(source.countersFile),
        queue: Promise.resolve(),
        connection: undefined,
        statsSocket: undefined,
      };
      this.tracks.set(source.lbId, track);
    }
    const current = track;
    const { ledger } = current;
    const next = current.queue.then(async () => {
      const readings = await this.read(current, source);
      if (!readings) {
        this.counts.unreadable++;
        return undefined;
      }
      const opened = await ledger;
      for (const r of readings) opened.record(r.worker, r.stats.frontends);
      return { ledger: opened, reading: readings[readings.length - 1]! };
    });
    track.queue = next.catch(() => undefined);
    return next.catch(() => undefined);
  }

  /** The readings of one load balancer (two when its worker was just replaced), or undefined when unreadable. */
  private async read(track: Track, source: HeartbeatSource): Promise<Reading[] | undefined> {
    if (track.statsSocket !== source.statsSocket) {
      track.connection?.close();
      track.statsSocket = source.statsSocket;
      track.connection = undefined;
    }
    track.connection ??= source.statsSocket ? new StatsConnection(source.statsSocket) : undefined;
    const answers = await track.connection?.read(this.readTimeoutMs());
    return answers?.map((a) => ({ worker: a.worker, stats: parseShowStat(a.text) }));
  }

  private send(datagram: Buffer, target: HeartbeatTarget): Promise<void> {
    let socket = this.sockets.get(target.family);
    if (!socket) {
      socket = acquireUdpSocket(target.family);
      this.sockets.set(target.family, socket);
    }
    const out = socket;
    return new Promise((resolve, reject) =>
      out.send(datagram, target.port, target.host, (err) => (err ? reject(err) : resolve())),
    );
  }

  private fail(err: unknown): void {
    this.counts.lastError = err instanceof Error ? err.message : String(err);
  }
}
