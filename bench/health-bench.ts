/**
 * How many heartbeats a second one health manager absorbs, on one core, with its database writes correct.
 *
 *   npx tsx bench/health-bench.ts [--amphorae 10000] [--interval-ms 1000] [--seconds 10] [--postgres]
 *                                 [--flapping 0.1] [--batch 1000] [--batch-delay-ms 50] [--cpu-profile FILE]
 *                                 [--sqlite-cache-mb N]
 *
 * Creates N load balancers straight in a fresh database (each: one amphora, an HTTP listener, a pool with
 * two members), starts the health manager in this process, and has a separate sender process sign one
 * heartbeat per amphora and interval (N / interval a second): a warm-up round (graphs read, statuses
 * written for the first time), the timed rounds (the steady state), then one last healthy round.
 * A fraction of the amphorae (--flapping) report their first member DOWN and UP on alternate heartbeats,
 * so statuses are written as well. Every heartbeat carries rx 100, tx 1000, totconns 1.
 * Reports: heartbeats accepted a second, the CPU time of this process (the health manager) per second,
 * arrival-to-commit lag, and correctness: every amphora refreshed with its last sequence number, every
 * counter row exactly 100/1000 bytes per connection, total connections equal to the heartbeats accepted,
 * and after the healthy round every status ONLINE. Loopback only; every loop is bounded.
 * --sqlite-cache-mb sets SQLite's page cache of this run's connection (the node's default is SQLite's 2 MiB),
 * to show what a larger cache in `openDatabase` would give.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/common/config.js';
import { createLogger } from '../src/common/logger.js';
import { newId } from '../src/common/ids.js';
import { migrateToLatest, openDatabase, type Db } from '../src/db/database.js';
import type { AmphoraRow, ListenerRow, LoadBalancerRow, MemberRow, PoolRow } from '../src/db/schema.js';
import { encodeEnvelope } from '../src/heartbeat/envelope.js';
import { orderedMessage, type HeartbeatMessage } from '../src/heartbeat/message.js';
import { startHealthManager } from '../src/health/health-manager.js';
import { LagHistogram } from '../src/health/lag-histogram.js';
import { g } from '../test/helpers/graph-factory.js';
import { table } from './lib/report.js';

interface AmphoraSpec {
  amphora: string;
  listener: string;
  pool: string;
  members: [string, string];
  flapping: boolean;
}

interface SenderSpec {
  key: string;
  amphorae: AmphoraSpec[];
  rounds: number;
  intervalMs: number;
  firstSeq: number;
}

type Round = 'warmup' | 'timed' | 'final';
type ToSender = { type: 'run'; port: number; round: Round };
type FromSender =
  | { type: 'ready'; encodeMs: number; datagrams: number }
  | { type: 'sent'; count: number; wallMs: number; lastSeq: number };

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------- sender

function heartbeatOf(a: AmphoraSpec, seq: number, round: number, healthy: boolean): HeartbeatMessage {
  const down = !healthy && a.flapping && round % 2 === 0;
  return {
    id: a.amphora,
    seq,
    listeners: {
      [a.listener]: { status: 'OPEN', stats: { tx: 1000, rx: 100, conns: round % 5, totconns: 1, ereq: 0 } },
    },
    pools: {
      [`${a.pool}:${a.listener}`]: {
        status: 'UP',
        members: { [a.members[0]]: down ? 'DOWN' : 'UP', [a.members[1]]: 'UP' },
      },
    },
    ver: 3,
  };
}

/** Send `datagrams` to the port at `rate` a second, in small bursts paced by the clock. */
async function paced(datagrams: Buffer[], port: number, rate: number): Promise<{ count: number; wallMs: number }> {
  const socket = createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 });
  const start = performance.now();
  let sent = 0;
  while (sent < datagrams.length) {
    const due = Math.min(datagrams.length, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    while (sent < due) socket.send(datagrams[sent++]!, port, '127.0.0.1');
    await sleep(1);
  }
  const wallMs = performance.now() - start;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return { count: sent, wallMs };
}

async function runSender(specPath: string): Promise<void> {
  const spec = JSON.parse(readFileSync(specPath, 'utf8')) as SenderSpec;
  const t0 = performance.now();
  const encode = (a: AmphoraSpec, seq: number, round: number, healthy: boolean) =>
    encodeEnvelope(orderedMessage(heartbeatOf(a, seq, round, healthy)), spec.key);
  // Warm-up: one round, so the timed phase measures the steady state (graphs cached, statuses written).
  const sets: Record<Round, Buffer[]> = {
    warmup: spec.amphorae.map((a) => encode(a, spec.firstSeq, 1, true)),
    timed: [],
    final: [],
  };
  for (let round = 0; round < spec.rounds; round++)
    for (const a of spec.amphorae) sets.timed.push(encode(a, spec.firstSeq + 1 + round, round, false));
  const lastSeq = spec.firstSeq + 1 + spec.rounds;
  sets.final = spec.amphorae.map((a) => encode(a, lastSeq, spec.rounds, true));
  const send = (m: FromSender) => process.send!(m);
  const datagrams = sets.warmup.length + sets.timed.length + sets.final.length;
  send({ type: 'ready', encodeMs: performance.now() - t0, datagrams });
  const rate = (spec.amphorae.length * 1000) / spec.intervalMs;
  process.on('message', (m: ToSender) => {
    void paced(sets[m.round], m.port, rate).then(({ count, wallMs }) => send({ type: 'sent', count, wallMs, lastSeq }));
  });
  process.once('disconnect', () => process.exit(0));
}

// ------------------------------------------------------------------------------------------- database

async function freshPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = process.env.TAVIA_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `tavia_hbench_${process.pid}_${Date.now().toString(36)}`;
  const run = async (statement: string) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await run(`create database ${name}`);
  return {
    url: admin.replace(/\/[^/]*$/, `/${name}`),
    drop: () => run(`drop database if exists ${name} with (force)`),
  };
}

/** N ACTIVE load balancers with their amphora, listener, pool and two members, inserted in chunks. */
async function createRows(db: Db, count: number, flapping: number): Promise<AmphoraSpec[]> {
  // An old updated_at: nothing changed recently, so the health manager may cache the graphs.
  const common = {
    project_id: 'bench',
    provisioning_status: 'ACTIVE',
    operating_status: 'OFFLINE',
    admin_state_up: true,
    created_at: '2020-01-01T00:00:00',
    updated_at: '2020-01-01T00:00:00',
  };
  const specs: AmphoraSpec[] = [];
  const flapEvery = flapping > 0 ? Math.max(1, Math.round(1 / flapping)) : 0;
  for (let at = 0; at < count; at += 200) {
    const n = Math.min(200, count - at);
    const lbs: LoadBalancerRow[] = [];
    const amphorae: AmphoraRow[] = [];
    const listeners: ListenerRow[] = [];
    const pools: PoolRow[] = [];
    const members: MemberRow[] = [];
    for (let i = 0; i < n; i++) {
      const index = at + i;
      const lb = newId();
      const spec: AmphoraSpec = {
        amphora: newId(),
        listener: newId(),
        pool: newId(),
        members: [newId(), newId()],
        flapping: flapEvery > 0 && index % flapEvery === 0,
      };
      specs.push(spec);
      lbs.push({
        ...g.lb().loadBalancer,
        ...common,
        id: lb,
        name: `lb-${index}`,
        vip_address: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`,
      });
      amphorae.push({
        id: spec.amphora,
        load_balancer_id: lb,
        compute_id: null,
        lb_network_ip: '127.0.0.1',
        vrrp_ip: null,
        ha_ip: null,
        vrrp_port_id: null,
        ha_port_id: null,
        cert_expiration: null,
        cert_busy: false,
        role: 'STANDALONE',
        status: 'ALLOCATED',
        vrrp_interface: null,
        vrrp_id: 1,
        vrrp_priority: null,
        cached_zone: null,
        image_id: null,
        compute_flavor: null,
        created_at: common.created_at,
        updated_at: null,
      });
      pools.push(g.pool({ ...common, id: spec.pool, load_balancer_id: lb, name: 'p' }));
      listeners.push(
        g.listener({ ...common, id: spec.listener, load_balancer_id: lb, name: 'l', default_pool_id: spec.pool }),
      );
      spec.members.forEach((id, m) =>
        members.push(
          g.member({
            ...common,
            id,
            pool_id: spec.pool,
            name: `m${m}`,
            address: `10.1.0.${m + 1}`,
            protocol_port: 80,
            operating_status: 'NO_MONITOR',
          }),
        ),
      );
    }
    await db.kysely.transaction().execute(async (trx) => {
      await trx.insertInto('load_balancer').values(lbs).execute();
      await trx.insertInto('amphora').values(amphorae).execute();
      await trx.insertInto('pool').values(pools).execute();
      await trx.insertInto('listener').values(listeners).execute();
      await trx.insertInto('member').values(members).execute();
    });
  }
  return specs;
}

// ------------------------------------------------------------------------------------------ reporting

function udpReceiveErrors(): number {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Udp:'));
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/);
    return Number(values[names.indexOf('RcvbufErrors')]);
  } catch {
    return NaN;
  }
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** Count rows of `table` whose operating status is not ONLINE. */
async function notOnline(db: Db, table: 'load_balancer' | 'listener' | 'pool' | 'member'): Promise<number> {
  const row = await db.kysely
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('operating_status', '!=', 'ONLINE')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

// ----------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const amphoraCount = option('amphorae', 10_000);
  const intervalMs = option('interval-ms', 1000);
  const seconds = option('seconds', 10);
  const flapping = option('flapping', 0.1);
  const postgres = args.includes('--postgres');
  const rounds = Math.max(1, Math.round((seconds * 1000) / intervalMs));
  const rate = (amphoraCount * 1000) / intervalMs;

  const dataDir = mkdtempSync(join(tmpdir(), 'tavia-health-bench-'));
  const database = postgres ? await freshPostgres() : { url: 'sqlite:tavia.db', drop: async () => {} };
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      database: { url: database.url },
      health: { host: '127.0.0.1', port: 0, heartbeatIntervalMs: intervalMs },
    },
  });
  const db = openDatabase(config.database.url, config.dataDir);
  let sender: ChildProcess | undefined;
  let stopManager: (() => Promise<void>) | undefined;
  try {
    await migrateToLatest(db);
    const cacheMb = option('sqlite-cache-mb', 0);
    if (cacheMb > 0 && db.dialect === 'sqlite')
      await sql.raw(`pragma cache_size = -${cacheMb * 1024}`).execute(db.kysely);
    console.log(
      `Tavia health manager benchmark: ${postgres ? 'PostgreSQL' : 'SQLite'}` +
        `${!postgres && option('sqlite-cache-mb', 0) > 0 ? ` (page cache ${option('sqlite-cache-mb', 0)} MiB)` : ''}, Node ${process.version}, ` +
        `${cpus().length} CPU (${cpus()[0]?.model ?? 'unknown'}), load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    );
    let t = performance.now();
    const specs = await createRows(db, amphoraCount, flapping);
    console.log(
      `${amphoraCount} load balancers with amphora, listener, pool, 2 members: ${fmt(performance.now() - t, 0)} ms`,
    );

    const key = randomBytes(32).toString('hex');
    const specPath = join(dataDir, 'sender.json');
    const firstSeq = Date.now();
    writeFileSync(
      specPath,
      JSON.stringify({ key, amphorae: specs, rounds, intervalMs, firstSeq } satisfies SenderSpec),
    );
    t = performance.now();
    sender = fork(fileURLToPath(import.meta.url), ['--sender', specPath], { stdio: 'inherit' });
    const fromSender = () =>
      new Promise<FromSender>((resolve, reject) => {
        sender!.once('message', (m) => resolve(m as FromSender));
        sender!.once('exit', (code) => reject(new Error(`sender exited (${code})`)));
      });
    const ready = await fromSender();
    if (ready.type !== 'ready') throw new Error('sender did not get ready');
    console.log(`sender signed ${ready.datagrams} heartbeats in ${fmt(ready.encodeMs, 0)} ms (separate process)`);

    const hm = await startHealthManager({
      db,
      config,
      log: createLogger('warn'),
      key,
      batchMaxMessages: option('batch', 1000),
      batchMaxDelayMs: option('batch-delay-ms', 50),
    });
    stopManager = hm.stop;
    const counters = hm.counters;

    /** Send one set of heartbeats at the target rate and measure until everything received is applied. */
    const runRound = async (round: Round) => {
      const before = { ...counters, dropped: { ...counters.dropped } };
      counters.lag = new LagHistogram();
      const udpErrorsBefore = udpReceiveErrors();
      const cpu0 = process.cpuUsage();
      const wall0 = performance.now();
      sender!.send({ type: 'run', port: hm.address.port, round } satisfies ToSender);
      const sent = await fromSender();
      if (sent.type !== 'sent') throw new Error('unexpected sender message');
      // Wait for the stragglers, then for everything received to be applied.
      const deadline = Date.now() + 30_000;
      while (counters.received - before.received < sent.count && Date.now() < deadline) {
        const seen = counters.received;
        await sleep(200);
        if (counters.received === seen) break;
      }
      await hm.idle();
      const wallMs = performance.now() - wall0;
      const cpu = process.cpuUsage(cpu0);
      return {
        sent,
        wallMs,
        cpuMs: (cpu.user + cpu.system) / 1000,
        received: counters.received - before.received,
        accepted: counters.accepted - before.accepted,
        batches: counters.batches - before.batches,
        statusWrites: counters.statusWrites - before.statusWrites,
        graphsRead: counters.graphsRead - before.graphsRead,
        lag: counters.lag,
        udpErrors: udpReceiveErrors() - udpErrorsBefore,
      };
    };
    type Measured = Awaited<ReturnType<typeof runRound>>;
    const row = (name: string, m: Measured) => [
      name,
      String(m.sent.count),
      String(m.received),
      String(m.accepted),
      fmt(m.accepted / (m.wallMs / 1000), 0),
      fmt(m.cpuMs / m.wallMs, 2),
      fmt((m.cpuMs * 1000) / Math.max(1, m.accepted), 1),
      String(m.batches),
      String(m.statusWrites),
      String(m.graphsRead),
      fmt(m.lag.percentileMs(50), 0),
      fmt(m.lag.percentileMs(99), 0),
      fmt(m.lag.maxMs, 0),
      String(m.udpErrors),
    ];

    const warmup = await runRound('warmup');
    // Timed phase: N heartbeats per interval for `seconds`.
    const profilePath = args.includes('--cpu-profile') ? args[args.indexOf('--cpu-profile') + 1] : undefined;
    const profiler = profilePath ? new Session() : undefined;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    const timed = await runRound('timed');
    if (profiler && profilePath) {
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(profilePath, JSON.stringify(profile));
      profiler.disconnect();
    }
    // The last, healthy round: every amphora reports every member UP with the last sequence number.
    const finalStart = Date.now();
    const final = await runRound('final');
    const finalSent = final.sent;

    // Correctness, read from the database.
    const health = await db.kysely
      .selectFrom('amphora_health')
      .select(['amphora_id', 'last_seq', 'last_update_ms'])
      .execute();
    const notLastSeq =
      health.filter((h) => Number(h.last_seq) !== finalSent.lastSeq).length + (amphoraCount - health.length);
    const notRefreshed =
      health.filter((h) => Number(h.last_update_ms) < finalStart).length + (amphoraCount - health.length);
    const stats = await db.kysely.selectFrom('listener_statistics').selectAll().execute();
    const inexact = stats.filter(
      (s) =>
        Number(s.bytes_in) !== 100 * Number(s.total_connections) ||
        Number(s.bytes_out) !== 1000 * Number(s.total_connections),
    ).length;
    const connections = stats.reduce((sum, s) => sum + Number(s.total_connections), 0);
    const statusOff = {
      load_balancer: await notOnline(db, 'load_balancer'),
      listener: await notOnline(db, 'listener'),
      pool: await notOnline(db, 'pool'),
      member: await notOnline(db, 'member'),
    };

    console.log(
      `\n${amphoraCount} amphorae every ${intervalMs} ms = ${fmt(rate, 0)} heartbeats/s offered; timed phase ` +
        `${rounds} rounds, ${fmt(flapping * 100, 0)}% of the amphorae flapping a member DOWN/UP`,
    );
    console.log(
      table([
        [
          'phase',
          'sent',
          'received',
          'accepted',
          'accepted/s',
          'HM CPU s/s',
          'CPU us/heartbeat',
          'batches',
          'status writes',
          'graph reads',
          'lag p50 ms',
          'lag p99 ms',
          'lag max ms',
          'UDP rcvbuf errors',
        ],
        row('warm-up (cold cache, 1 round)', warmup),
        row(`timed (${rounds} rounds)`, timed),
        row('final healthy round', final),
      ]),
    );
    console.log('(lag: arrival to commit, bucket bounds; CPU: this process, the health manager, all threads)');
    const checks: Array<[string, boolean, string]> = [
      ['every amphora has the last sequence number', notLastSeq === 0, `${notLastSeq} without`],
      ['every amphora refreshed by the last round', notRefreshed === 0, `${notRefreshed} stale`],
      ['counter rows exact (100 / 1000 bytes per connection)', inexact === 0, `${inexact} inexact of ${stats.length}`],
      [
        'total connections = heartbeats accepted',
        connections === counters.accepted,
        `${connections} vs ${counters.accepted}`,
      ],
      [
        'every status ONLINE after the healthy round',
        Object.values(statusOff).every((n) => n === 0),
        JSON.stringify(statusOff),
      ],
      ['dropped heartbeats', Object.values(counters.dropped).every((n) => n === 0), JSON.stringify(counters.dropped)],
    ];
    console.log('\nCorrectness');
    for (const [name, ok, detail] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${name} (${detail})`);
    if (!checks.every(([, ok]) => ok)) process.exitCode = 1;
  } finally {
    if (sender?.connected) sender.disconnect();
    sender?.kill();
    await stopManager?.();
    await db.close();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (args[0] === '--sender') void runSender(args[1]!);
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
