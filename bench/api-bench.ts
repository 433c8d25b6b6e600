/**
 * API benchmark: how fast Tavia answers, against a constant-serving Fastify route measured in the same
 * run, and against the Python Octavia figures in /work/shared/reference/README.md.
 *
 *   npm run bench:api               # SQLite in a temporary directory
 *   npm run bench:api -- --postgres # a fresh PostgreSQL database (TAVIA_BENCH_PG_URL, default local trust auth)
 *
 * Every loop is bounded in count and in time; all traffic goes to 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Fastify from 'fastify';
import pg from 'pg';
import { useNoopDrivers } from '../src/common/config.js';
import { benchConfig } from './lib/bench-config.js';
import { createLogger } from '../src/common/logger.js';
import { countOpenJobs } from '../src/controller/jobs/job-queue.js';
import { startNode } from '../src/service/node.js';

const CREATE_SAMPLES = 200;
const LOAD_BALANCERS = 1000;
const IN_FLIGHT = 16;
const LOAD_SECONDS = 5;
const LOAD_MAX_REQUESTS = 50000;
const ROUNDS = 5;
const WARMUP_REQUESTS = 200;
const ACTIVE_TIMEOUT_MS = 10000;
const VIP_SUBNET = '11111111-2222-3333-4444-555555555555';
const HEADERS = { 'content-type': 'application/json', 'x-project-id': 'bench' };

/** Figures measured on Octavia 11 (noop drivers, same machine kind); not measured here. */
const OCTAVIA = { postToActiveMedianMs: 1500, list100Rps: 10, getOneRps: 14 };

interface Stats {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function summarize(latencies: number[], seconds: number, errors: number): Stats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return {
    requests: sorted.length,
    seconds,
    rps: sorted.length / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean,
    errors,
  };
}

/** Latencies and time spent on one target, summed over the rounds it was measured in. */
class Meter {
  latencies: number[] = [];
  seconds = 0;
  errors = 0;
  constructor(readonly urls: string[]) {}
  stats(): Stats {
    return summarize(this.latencies, this.seconds, this.errors);
  }
}

async function getOk(url: string): Promise<boolean> {
  const res = await fetch(url, { headers: HEADERS });
  await res.arrayBuffer();
  return res.status === 200;
}

/** GET the meter's urls in turn with `IN_FLIGHT` requests outstanding, for `seconds` or until the meter has its request budget. */
async function drive(meter: Meter, seconds: number): Promise<void> {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let next = meter.latencies.length;
  const client = async () => {
    while (next < LOAD_MAX_REQUESTS && performance.now() < deadline) {
      const url = meter.urls[next++ % meter.urls.length]!;
      const t = performance.now();
      if (!(await getOk(url))) meter.errors++;
      meter.latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, client));
  meter.seconds += (performance.now() - start) / 1000;
}

/**
 * Measure several targets for `LOAD_SECONDS` each, in `ROUNDS` alternating slices after a short warm-up,
 * so a change in the machine's background load hits the API and its baseline alike.
 */
async function compare(...urlSets: string[][]): Promise<Stats[]> {
  const meters = urlSets.map((urls) => new Meter(urls));
  for (const meter of meters)
    for (let i = 0; i < WARMUP_REQUESTS; i += IN_FLIGHT)
      await Promise.all(Array.from({ length: IN_FLIGHT }, (_, j) => getOk(meter.urls[(i + j) % meter.urls.length]!)));
  for (let round = 0; round < ROUNDS; round++) for (const meter of meters) await drive(meter, LOAD_SECONDS / ROUNDS);
  return meters.map((m) => m.stats());
}

async function postLoadBalancer(base: string, name: string): Promise<string> {
  const res = await fetch(`${base}/v2/lbaas/loadbalancers`, {
    method: 'POST',
    headers: HEADERS,
    body: JSON.stringify({ loadbalancer: { name, vip_subnet_id: VIP_SUBNET } }),
  });
  const body = (await res.json()) as { loadbalancer?: { id: string } };
  if (res.status !== 201 || !body.loadbalancer)
    throw new Error(`POST loadbalancer answered ${res.status}: ${JSON.stringify(body)}`);
  return body.loadbalancer.id;
}

/** POST a load balancer, then GET it back to back until it is ACTIVE: what a client waiting on it sees. */
async function postToActive(
  base: string,
  name: string,
): Promise<{ id: string; totalMs: number; postMs: number; polls: number }> {
  const t0 = performance.now();
  const id = await postLoadBalancer(base, name);
  const postMs = performance.now() - t0;
  for (let polls = 1; ; polls++) {
    const res = await fetch(`${base}/v2/lbaas/loadbalancers/${id}`, { headers: HEADERS });
    const body = (await res.json()) as { loadbalancer?: { provisioning_status: string } };
    const status = body.loadbalancer?.provisioning_status;
    if (status === 'ACTIVE') return { id, totalMs: performance.now() - t0, postMs, polls };
    if (status === 'ERROR' || res.status !== 200) throw new Error(`load balancer ${id}: ${res.status} ${status}`);
    if (performance.now() - t0 > ACTIVE_TIMEOUT_MS)
      throw new Error(`load balancer ${id} not ACTIVE after ${ACTIVE_TIMEOUT_MS} ms`);
  }
}

/** A fresh PostgreSQL database for this run, dropped at the end. */
async function freshPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = process.env.TAVIA_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `tavia_bench_${process.pid}_${Date.now().toString(36)}`;
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

/** A bare Fastify server answering each path with a constant body: the floor any JSON API pays. */
async function constantServer(bodies: Record<string, string>) {
  const app = Fastify({ logger: false });
  for (const [path, body] of Object.entries(bodies))
    app.get(path, async (_req, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(body));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '))
    .join('\n');
}

async function main(): Promise<void> {
  const postgres = process.argv.includes('--postgres');
  const dataDir = mkdtempSync(join(tmpdir(), 'tavia-bench-'));
  const database = postgres ? await freshPostgres() : { url: 'sqlite:tavia.db', drop: async () => {} };
  const config = benchConfig(dataDir, database.url);
  useNoopDrivers(config);
  const node = await startNode(config, { api: true, worker: true }, createLogger('silent'));
  let baseline: Awaited<ReturnType<typeof constantServer>> | undefined;
  try {
    const base = node.url!;
    console.log(
      `Tavia API benchmark: ${postgres ? 'PostgreSQL' : 'SQLite'}, noop drivers, Node ${process.version}, ` +
        `${cpus().length} CPU (${cpus()[0]?.model ?? 'unknown'}); client, API and worker in one process`,
    );

    // (a) POST -> ACTIVE, one load balancer at a time.
    const created: string[] = [];
    const totals: number[] = [];
    const posts: number[] = [];
    let polls = 0;
    const createStart = performance.now();
    for (let i = 0; i < CREATE_SAMPLES; i++) {
      const r = await postToActive(base, `bench-${i}`);
      created.push(r.id);
      totals.push(r.totalMs);
      posts.push(r.postMs);
      polls += r.polls;
    }
    const createSeconds = (performance.now() - createStart) / 1000;
    const toActive = summarize(totals, createSeconds, 0);
    const postOnly = summarize(posts, createSeconds, 0);

    // (b) fill up to LOAD_BALANCERS, IN_FLIGHT POSTs at a time, then wait for the worker.
    for (let i = created.length; i < LOAD_BALANCERS; i += IN_FLIGHT) {
      const batch = Array.from({ length: Math.min(IN_FLIGHT, LOAD_BALANCERS - i) }, (_, j) =>
        postLoadBalancer(base, `bench-${i + j}`),
      );
      created.push(...(await Promise.all(batch)));
    }
    const settleDeadline = Date.now() + 120000;
    while ((await countOpenJobs(node.db)) > 0) {
      if (Date.now() > settleDeadline) throw new Error('the worker did not settle the load balancers within 120 s');
      await new Promise((r) => setTimeout(r, 20));
    }

    const paths = {
      list: '/v2/lbaas/loadbalancers',
      list100: '/v2/lbaas/loadbalancers?limit=100',
      list50: '/v2/lbaas/loadbalancers?limit=50',
      one: `/v2/lbaas/loadbalancers/${created[0]}`,
    };
    const bodies: Record<string, string> = {};
    for (const [key, path] of Object.entries(paths)) {
      const res = await fetch(base + path, { headers: HEADERS });
      bodies[`/${key}`] = await res.text();
      if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
    }
    const listed = (JSON.parse(bodies['/list']!) as { loadbalancers: unknown[] }).loadbalancers.length;
    if (listed !== LOAD_BALANCERS)
      throw new Error(`the full list has ${listed} load balancers, expected ${LOAD_BALANCERS}`);
    baseline = await constantServer(bodies);

    const measured: Array<[string, Stats, Stats, number | undefined]> = [];
    const measure = async (label: string, key: keyof typeof paths, urls: string[], octaviaRps?: number) => {
      const [api, floor] = await compare(urls, [`${baseline!.url}/${key}`]);
      measured.push([label, api!, floor!, octaviaRps]);
    };
    await measure(`GET list, all ${LOAD_BALANCERS}`, 'list', [base + paths.list]);
    await measure('GET list ?limit=100', 'list100', [base + paths.list100], OCTAVIA.list100Rps);
    await measure('GET list ?limit=50', 'list50', [base + paths.list50]);
    await measure(
      'GET one',
      'one',
      created.map((id) => `${base}/v2/lbaas/loadbalancers/${id}`),
      OCTAVIA.getOneRps,
    );

    console.log(
      `\n(a) POST loadbalancer -> ACTIVE, ${CREATE_SAMPLES} sequential, GET polled back to back (${fmt(polls / CREATE_SAMPLES)} GETs per create)`,
    );
    console.log(
      table([
        ['', 'p50 ms', 'p99 ms', 'mean ms', 'Octavia median ms*', 'Octavia / Tavia p50*'],
        [
          'POST -> ACTIVE',
          fmt(toActive.p50, 2),
          fmt(toActive.p99, 2),
          fmt(toActive.mean, 2),
          String(OCTAVIA.postToActiveMedianMs),
          `${fmt(OCTAVIA.postToActiveMedianMs / toActive.p50, 0)}x`,
        ],
        ['POST alone (201)', fmt(postOnly.p50, 2), fmt(postOnly.p99, 2), fmt(postOnly.mean, 2), '', ''],
      ]),
    );

    console.log(
      `\n(b) ${LOAD_BALANCERS} load balancers present; ${IN_FLIGHT} requests in flight, ${LOAD_SECONDS} s or ${LOAD_MAX_REQUESTS} requests ` +
        `per target, in ${ROUNDS} slices alternating with the baseline`,
    );
    console.log(
      table([
        [
          '',
          'requests',
          'req/s',
          'p50 ms',
          'p99 ms',
          'errors',
          'baseline req/s',
          'API / baseline',
          'Octavia req/s*',
          'Tavia / Octavia*',
        ],
        ...measured.map(([label, api, floor, octavia]) => [
          label,
          String(api.requests),
          fmt(api.rps, 0),
          fmt(api.p50, 2),
          fmt(api.p99, 2),
          String(api.errors + floor.errors),
          fmt(floor.rps, 0),
          fmt(api.rps / floor.rps, 2),
          octavia === undefined ? '' : String(octavia),
          octavia === undefined ? '' : `${fmt(api.rps / octavia, 0)}x`,
        ]),
      ]),
    );
    console.log('\nbaseline: a bare Fastify route in this process answering the same bytes as a constant.');
    console.log(
      '* Octavia figures are quoted from /work/shared/reference/README.md (Octavia 11, noop drivers, same machine kind),',
    );
    console.log("  not measured in this run; Octavia's list figure is for a list of 100 load balancers.");
  } finally {
    await baseline?.close();
    await node.stop();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
