/**
 * Data-plane benchmark: HTTP requests per second through a Tavia load balancer (process compute, loopback
 * network, REST amphora driver: a real agent and a real HAProxy), against a hand-written minimal HAProxy
 * measured in the same run on the same backends; and how long a new member takes to serve its first request.
 *
 *   npm run bench:dataplane     # needs wrk (apt-get install -y wrk) and /usr/sbin/haproxy
 *
 * Every loop is bounded in count and in time; all traffic stays on the loopback interface (127.0.0.1 and
 * the 127.1.x.x VIP). Everything started here is stopped at the end, also on error or Ctrl-C.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/common/config.js';
import { createLogger } from '../src/common/logger.js';
import { countOpenJobs } from '../src/controller/jobs/job-queue.js';
import { startNode, type TaviaNode } from '../src/service/node.js';

const HAPROXY = '/usr/sbin/haproxy';
const WRK_THREADS = 2;
const WRK_CONNECTIONS = 32;
const SLICE_SECONDS = 5;
const SLICES = 5;
const WARMUP_SECONDS = 2;
const MEMBER_TRIES = 5;
const FIRST_SERVED_TIMEOUT_MS = 15000;
const FIRST_SERVED_MAX_REQUESTS = 20000;
const SETTLE_TIMEOUT_MS = 60000;
const REQUEST_TIMEOUT_MS = 2000;
const VIP_SUBNET = '11111111-2222-3333-4444-555555555555';
const HEADERS = { 'content-type': 'application/json', 'x-project-id': 'bench' };
const BACKEND_NAMES = ['backend-a', 'backend-b', 'backend-c'] as const;

/** A free TCP port on 127.0.0.1 (the kernel's pick, released at once). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** One HAProxy in master-worker mode, in the foreground, owned by this process. */
class HaproxyProcess {
  private stderr = '';
  private readonly child: ChildProcess;

  /** Spawn at once, so the caller can register the stop before waiting for the process to answer. */
  constructor(private readonly cfgPath: string) {
    this.child = spawn(HAPROXY, ['-W', '-db', '-f', cfgPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  /** Wait until a GET on 127.0.0.1:port answers 200; bounded to 5 s. */
  async ready(port: number): Promise<void> {
    const deadline = Date.now() + 5000;
    while ((await get(`http://127.0.0.1:${port}/`)) instanceof Error) {
      if (this.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`haproxy -f ${this.cfgPath} did not start: ${this.stderr.trim()}`);
      await sleep(50);
    }
  }

  /** SIGTERM to the master (it stops its workers), SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The body of GET url on a fresh connection, or an Error. */
function get(url: string): Promise<string | Error> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, headers: { connection: 'close' }, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 ? body : new Error(`status ${res.statusCode}`)));
      res.on('error', resolve);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', resolve);
    req.end();
  });
}

/**
 * The backends: one HAProxy answering each port with its name as a constant body (`http-request return`).
 * It is cheaper per request than a Node server, so more of the shared CPU is left for the proxies measured.
 */
function backendsConfig(ports: number[]): string {
  const lines = ['global', '  maxconn 4000', 'defaults', '  mode http', '  timeout connect 2s', '  timeout client 30s'];
  lines.push('  timeout server 30s', '  option http-keep-alive');
  ports.forEach((port, i) => {
    lines.push(`frontend ${BACKEND_NAMES[i]}`, `  bind 127.0.0.1:${port}`);
    lines.push(`  http-request return status 200 content-type text/plain string ${BACKEND_NAMES[i]}`);
  });
  return lines.join('\n') + '\n';
}

/** The baseline: the smallest haproxy.cfg that balances the same two backends round robin. */
function baselineConfig(port: number, backendPorts: number[]): string {
  return [
    'global',
    '  maxconn 4000',
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    '  timeout client 50s',
    '  timeout server 50s',
    '  option http-keep-alive',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    '  default_backend be',
    'backend be',
    '  balance roundrobin',
    ...backendPorts.map((p, i) => `  server s${i} 127.0.0.1:${p}`),
    '',
  ].join('\n');
}

interface WrkResult {
  requests: number;
  seconds: number;
  p99Ms: number;
  errors: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60000 };

/** The wrk run under way, killed by the cleanup when the benchmark stops early. */
let running: ChildProcess | undefined;

/** Set by SIGINT/SIGTERM: the run stops, cleans up and exits 130. */
let interrupted = false;

/** Run wrk for `seconds` on url and read its summary. */
function wrk(url: string, seconds: number, close: boolean): Promise<WrkResult> {
  const args = [`-t${WRK_THREADS}`, `-c${WRK_CONNECTIONS}`, `-d${seconds}s`, '--latency'];
  if (close) args.push('-H', 'Connection: close');
  return new Promise((resolve, reject) => {
    running = execFile('wrk', [...args, url], { timeout: (seconds + 15) * 1000 }, (err, stdout) => {
      running = undefined;
      if (err) return reject(new Error(`wrk ${args.join(' ')} ${url} failed: ${err.message}`));
      const requests = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(stdout);
      const p99 = /^\s*99%\s+([\d.]+)(us|ms|s|m)/m.exec(stdout);
      if (!requests || !p99) return reject(new Error(`unexpected wrk output:\n${stdout}`));
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
      const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
      const errors =
        (socket ? socket.slice(1).reduce((a, n) => a + Number(n), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
      resolve({
        requests: Number(requests[1]),
        seconds: (Number(requests[2]) * UNIT_MS[requests[3]!]!) / 1000,
        p99Ms: Number(p99[1]) * UNIT_MS[p99[2]!]!,
        errors,
      });
    });
  });
}

interface Throughput {
  rps: number;
  sliceRps: number[];
  p99Ms: number;
  errors: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Warm both up, then alternate `SLICES` wrk slices between them, so background load hits both alike. */
async function compareThroughput(urls: string[], close: boolean): Promise<Throughput[]> {
  for (const url of urls) await wrk(url, WARMUP_SECONDS, close);
  const slices: WrkResult[][] = urls.map(() => []);
  for (let i = 0; i < SLICES; i++)
    for (const [j, url] of urls.entries()) slices[j]!.push(await wrk(url, SLICE_SECONDS, close));
  return slices.map((runs) => ({
    rps: runs.reduce((a, r) => a + r.requests, 0) / runs.reduce((a, r) => a + r.seconds, 0),
    sliceRps: runs.map((r) => r.requests / r.seconds),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    errors: runs.reduce((a, r) => a + r.errors, 0),
  }));
}

/** A small client for the node's API that fails loudly on an unexpected status. */
function apiClient(base: string) {
  return async <T>(method: string, path: string, expect: number, body?: unknown): Promise<T> => {
    const res = await fetch(base + path, {
      method,
      headers: HEADERS,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== expect) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
}

/** Wait until the worker has no open job, then fail if any job failed. */
async function settled(node: TaviaNode): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while ((await countOpenJobs(node.db)) > 0) {
    if (Date.now() > deadline) throw new Error(`jobs still open after ${SETTLE_TIMEOUT_MS} ms`);
    await sleep(10);
  }
  const failed = await node.db.kysely
    .selectFrom('job')
    .select(['flow', 'error'])
    .where('state', '=', 'failed')
    .execute();
  if (failed.length > 0) throw new Error(`failed jobs: ${JSON.stringify(failed)}`);
}

/** GET url on fresh connections until one of `names` answers; bounded in requests and time. */
async function untilServedBy(url: string, names: string[]): Promise<{ ms: number; requests: number }> {
  const t0 = performance.now();
  const seen = new Set<string>();
  for (let requests = 1; requests <= FIRST_SERVED_MAX_REQUESTS; requests++) {
    const answer = await get(url);
    if (typeof answer === 'string') seen.add(answer);
    if (names.every((n) => seen.has(n))) return { ms: performance.now() - t0, requests };
    if (performance.now() - t0 > FIRST_SERVED_TIMEOUT_MS) break;
  }
  throw new Error(`${url} did not answer as ${names.join(', ')} in time (seen: ${[...seen].join(', ')})`);
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '))
    .join('\n');
}

async function main(): Promise<number> {
  if (!onPath('wrk')) {
    console.error('wrk is not installed; install it with: apt-get install -y wrk');
    return 2;
  }
  const workDir = mkdtempSync(join(tmpdir(), 'tavia-dataplane-bench-'));
  const dataDir = join(workDir, 'data');
  const stops: Array<() => Promise<void>> = [];
  // One cleanup, shared by the normal end, an error and a signal: whoever comes first starts it, all await it.
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      running?.kill('SIGKILL');
      for (const stop of stops.splice(0).reverse()) await stop().catch((err) => console.error('cleanup:', err));
      rmSync(workDir, { recursive: true, force: true });
    })());
  const onSignal = () => {
    interrupted = true;
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const backendPorts = await Promise.all(BACKEND_NAMES.map(() => freePort()));
    writeFileSync(join(workDir, 'backends.cfg'), backendsConfig(backendPorts));
    const backends = new HaproxyProcess(join(workDir, 'backends.cfg'));
    stops.push(() => backends.stop());
    await backends.ready(backendPorts[0]!);

    const baselinePort = await freePort();
    writeFileSync(join(workDir, 'baseline.cfg'), baselineConfig(baselinePort, backendPorts.slice(0, 2)));
    const baseline = new HaproxyProcess(join(workDir, 'baseline.cfg'));
    stops.push(() => baseline.stop());
    await baseline.ready(baselinePort);

    const config = loadConfig({
      env: {},
      overrides: {
        dataDir,
        database: { url: 'sqlite:tavia.db' },
        api: { host: '127.0.0.1', port: 0 },
        worker: { pollIntervalMs: 100 },
        drivers: { compute: 'process', network: 'loopback', amphora: 'rest' },
      },
    });
    const node = await startNode(config, { api: true, worker: true }, createLogger('silent'));
    // node.stop() stops every amphora agent the process driver started, and their HAProxies.
    stops.push(() => node.stop());
    const api = apiClient(node.url!);

    const setupStart = performance.now();
    const lb = await api<{ loadbalancer: { id: string; vip_address: string } }>(
      'POST',
      '/v2/lbaas/loadbalancers',
      201,
      {
        loadbalancer: { name: 'dataplane-bench', vip_subnet_id: VIP_SUBNET },
      },
    );
    await settled(node);
    const listenerPort = await freePort();
    const listener = await api<{ listener: { id: string } }>('POST', '/v2/lbaas/listeners', 201, {
      listener: { loadbalancer_id: lb.loadbalancer.id, protocol: 'HTTP', protocol_port: listenerPort },
    });
    await settled(node);
    const pool = await api<{ pool: { id: string } }>('POST', '/v2/lbaas/pools', 201, {
      pool: { listener_id: listener.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' },
    });
    await settled(node);
    const membersPath = `/v2/lbaas/pools/${pool.pool.id}/members`;
    for (const port of backendPorts.slice(0, 2)) {
      await api('POST', membersPath, 201, { member: { address: '127.0.0.1', protocol_port: port } });
      await settled(node);
    }
    const vipUrl = `http://${lb.loadbalancer.vip_address}:${listenerPort}/`;
    const baselineUrl = `http://127.0.0.1:${baselinePort}/`;
    await untilServedBy(vipUrl, ['backend-a', 'backend-b']);
    await untilServedBy(baselineUrl, ['backend-a', 'backend-b']);
    const setupMs = performance.now() - setupStart;

    console.log(
      `Tavia data-plane benchmark: process compute, loopback network, REST amphora driver, SQLite; ` +
        `Node ${process.version}, ${cpus().length} CPU (${cpus()[0]?.model ?? 'unknown'})`,
    );
    console.log(
      `load balancer, HTTP listener, ROUND_ROBIN pool and 2 members created and serving in ${fmt(setupMs)} ms; ` +
        `VIP ${vipUrl}`,
    );

    // (a) throughput, keep-alive and a new connection per request.
    const rows: string[][] = [
      [
        '',
        'Tavia req/s',
        'p99 ms',
        'baseline req/s',
        'p99 ms',
        'Tavia / baseline',
        'errors',
        'Tavia slices',
        'baseline slices',
      ],
    ];
    for (const close of [false, true]) {
      const [tavia, floor] = await compareThroughput([vipUrl, baselineUrl], close);
      rows.push([
        close ? 'Connection: close' : 'keep-alive',
        fmt(tavia!.rps),
        fmt(tavia!.p99Ms, 2),
        fmt(floor!.rps),
        fmt(floor!.p99Ms, 2),
        fmt(tavia!.rps / floor!.rps, 3),
        String(tavia!.errors + floor!.errors),
        tavia!.sliceRps.map((r) => fmt(r)).join('/'),
        floor!.sliceRps.map((r) => fmt(r)).join('/'),
      ]);
    }
    console.log(
      `\n(a) HTTP GET through the VIP vs a minimal haproxy.cfg on the same 2 backends: ` +
        `wrk -t${WRK_THREADS} -c${WRK_CONNECTIONS}, ${SLICES} alternating slices of ${SLICE_SECONDS} s each after a ${WARMUP_SECONDS} s warm-up`,
    );
    console.log(table(rows));

    // (b) POST member -> first request served by it.
    const served: number[] = [];
    const posts: number[] = [];
    const probes: number[] = [];
    for (let i = 0; i < MEMBER_TRIES; i++) {
      const t0 = performance.now();
      const member = await api<{ member: { id: string } }>('POST', membersPath, 201, {
        member: { address: '127.0.0.1', protocol_port: backendPorts[2], name: `new-${i}` },
      });
      posts.push(performance.now() - t0);
      const first = await untilServedBy(vipUrl, ['backend-c']);
      served.push(performance.now() - t0);
      probes.push(first.requests);
      await settled(node);
      await api('DELETE', `${membersPath}/${member.member.id}`, 204);
      await settled(node);
    }
    console.log(
      `\n(b) POST member -> first request answered by it through the VIP, ${MEMBER_TRIES} tries ` +
        `(GETs on fresh connections back to back; member deleted and settled between tries)`,
    );
    console.log(
      table([
        ['', 'p50 ms', 'min ms', 'max ms', 'all ms'],
        [
          'POST -> first served',
          fmt(median(served), 1),
          fmt(Math.min(...served), 1),
          fmt(Math.max(...served), 1),
          served.map((v) => fmt(v)).join(' '),
        ],
        [
          'POST alone (201)',
          fmt(median(posts), 1),
          fmt(Math.min(...posts), 1),
          fmt(Math.max(...posts), 1),
          posts.map((v) => fmt(v)).join(' '),
        ],
      ]),
    );
    console.log(`probe GETs per try: ${probes.join(' ')}`);
    console.log(
      '\nbackends: one HAProxy answering its name with `http-request return`; baseline: haproxy -W -db with ' +
        'a minimal haproxy.cfg (round robin, keep-alive); wrk, proxies and backends share the same CPUs.',
    );
    return 0;
  } finally {
    await stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (!interrupted) console.error(err instanceof Error ? err.stack : err);
    process.exit(interrupted ? 130 : 1);
  },
);
