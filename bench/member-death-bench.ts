/**
 * Time from a backend's death to (a) the member's operating_status ERROR in the API and (b) the last
 * request HAProxy sent to it, under a steady stream of client requests; and how many client requests failed.
 *
 *   npx tsx bench/member-death-bench.ts [--tries 5] [--delay 1] [--retries-down 2]
 *
 * One Tavia node in this process with the real data plane (process compute, loopback network, REST amphora
 * driver) and its health manager receiving the agents' real heartbeats. Each try builds a load balancer with
 * an HTTP health monitor (delay D s, timeout D s, max_retries_down R) over two members, sends requests one
 * after the other, then closes member b's listening socket and cuts its connections (a crashed process:
 * connections are refused from then on) at a random point of the check cycle. "Last request sent" is read
 * from the amphora's HAProxy itself: the member's `stot` (sessions sent to it) in `show stat`, polled.
 * HAProxy's bound for marking the member down is D x R after its last good check; the API adds one heartbeat.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseShowStat } from '../src/amphora/agent/heartbeat/show-stat.js';
import { runtimeCommand } from '../src/amphora/agent/heartbeat/runtime-socket.js';
import { createLogger } from '../src/common/logger.js';
import { processAgentStateDir } from '../src/compute/process/amphora-paths.js';
import { startNode } from '../src/service/node.js';
import { benchConfig, REAL_DRIVERS } from './lib/bench-config.js';
import { freePort, sleep } from './lib/process-tools.js';
import { fmt, median, table } from './lib/report.js';
import { LB_PATH, TaviaApi } from './lib/tavia-api.js';
import { settled, vipSubnetId } from './lib/tavia-db.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}
const TRIES = option('--tries', 5);
const DELAY_S = option('--delay', 1);
const RETRIES_DOWN = option('--retries-down', 2);
const SETTLE_MS = 60_000;
/** A try gives up when the member is not ERROR this long after the kill. */
const ERROR_LIMIT_MS = 30_000;
/** After ERROR, how long `stot` must stay still before the last increase counts as the last request. */
const QUIET_MS = 3_000;
const POLL_MS = 20;
const REQUEST_TIMEOUT_MS = 5_000;

/** An HTTP backend answering its name, whose death can be staged: listening socket closed, connections cut. */
class Backend {
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  port = 0;

  constructor(readonly name: string) {}

  async start(): Promise<void> {
    const server = createServer((_req, res) => res.end(this.name));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    this.server = server;
  }

  kill(): void {
    this.server?.close();
    for (const s of this.sockets) s.destroy();
    this.server = undefined;
  }
}

/** One GET with `Connection: close`: the body, or undefined when it failed. */
async function get(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { headers: { connection: 'close' }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return res.status === 200 ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

/** Server name → sessions HAProxy sent to it (`stot`), from the stats socket. */
async function serverSessions(socketPath: string): Promise<Map<string, number>> {
  const stats = parseShowStat(await runtimeCommand(socketPath, 'show stat', 2000));
  return new Map(stats.servers.map((server) => [server.name, server.stot]));
}

interface Try {
  toErrorMs: number;
  toLastRequestMs: number;
  requestsToDeadMember: number;
  failedRequests: number;
  requests: number;
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'tavia-member-death-bench-'));
  const config = benchConfig(join(workDir, 'data'), 'sqlite:tavia.db', {
    worker: { pollIntervalMs: 100 },
    drivers: REAL_DRIVERS,
    health: { port: 0 },
  });
  const node = await startNode(config, { api: true, worker: true, healthManager: true }, createLogger('silent'));
  const api = new TaviaApi(node.url!);
  const db = node.db;
  const subnetId = await vipSubnetId(db);
  const a = new Backend('a');
  const b = new Backend('b');
  await a.start();
  const tries: Try[] = [];
  try {
    for (let i = 0; i < TRIES; i++) {
      await b.start();
      const port = await freePort();
      const created = await api.call<{ loadbalancer: { id: string; vip_address: string } }>('POST', LB_PATH, 201, {
        loadbalancer: {
          name: `member-death-${i}`,
          vip_subnet_id: subnetId,
          listeners: [
            {
              protocol: 'HTTP',
              protocol_port: port,
              default_pool: {
                name: `pool-${i}`,
                protocol: 'HTTP',
                lb_algorithm: 'ROUND_ROBIN',
                healthmonitor: {
                  type: 'HTTP',
                  delay: DELAY_S,
                  timeout: DELAY_S,
                  max_retries: RETRIES_DOWN,
                  max_retries_down: RETRIES_DOWN,
                  url_path: '/',
                },
                members: [a, b].map((m) => ({ name: m.name, address: '127.0.0.1', protocol_port: m.port })),
              },
            },
          ],
        },
      });
      const lbId = created.loadbalancer.id;
      const url = `http://${created.loadbalancer.vip_address}:${port}/`;
      await settled(db, SETTLE_MS);
      const member = await db.kysely
        .selectFrom('member')
        .select('id')
        .where('name', '=', 'b')
        .where('pool_id', 'in', db.kysely.selectFrom('pool').select('id').where('load_balancer_id', '=', lbId))
        .executeTakeFirstOrThrow();
      const memberStatus = async () =>
        (
          await db.kysely
            .selectFrom('member')
            .select('operating_status')
            .where('id', '=', member.id)
            .executeTakeFirstOrThrow()
        ).operating_status;
      const amphora = await db.kysely
        .selectFrom('amphora')
        .select('id')
        .where('load_balancer_id', '=', lbId)
        .executeTakeFirstOrThrow();
      const statsSocket = join(processAgentStateDir(config.dataDir, amphora.id), 'lb', lbId, 'stats.sock');
      for (let wait = 0; (await memberStatus()) !== 'ONLINE'; wait += 100) {
        if (wait > SETTLE_MS) throw new Error(`try ${i}: member b never ONLINE`);
        await sleep(100);
      }

      // Steady client traffic for the whole try, one request after the other.
      let running = true;
      let requests = 0;
      let failed = 0;
      const load = (async () => {
        while (running) {
          requests++;
          if ((await get(url)) === undefined) failed++;
        }
      })();
      await sleep(500 + Math.random() * DELAY_S * 1000);
      const sessionsAtKill = (await serverSessions(statsSocket)).get(member.id) ?? NaN;
      const killed = performance.now();
      b.kill();

      let errorAt = 0;
      let lastSessions = sessionsAtKill;
      let lastIncreaseAt = killed;
      for (;;) {
        const now = performance.now();
        const sessions = (await serverSessions(statsSocket)).get(member.id) ?? lastSessions;
        if (sessions > lastSessions) {
          lastSessions = sessions;
          lastIncreaseAt = now;
        }
        if (!errorAt && (await memberStatus()) === 'ERROR') errorAt = performance.now();
        if (errorAt && now - Math.max(errorAt, lastIncreaseAt) > QUIET_MS) break;
        if (!errorAt && now - killed > ERROR_LIMIT_MS) throw new Error(`try ${i}: member b not ERROR in time`);
        await sleep(POLL_MS);
      }
      running = false;
      await load;
      tries.push({
        toErrorMs: errorAt - killed,
        toLastRequestMs: lastIncreaseAt - killed,
        requestsToDeadMember: lastSessions - sessionsAtKill,
        failedRequests: failed,
        requests,
      });
      console.error(
        `try ${i + 1}/${TRIES}: ERROR after ${fmt(errorAt - killed)} ms, last request sent after ` +
          `${fmt(lastIncreaseAt - killed)} ms, ${failed} of ${requests} client requests failed`,
      );
      await api.call('DELETE', `${LB_PATH}/${lbId}?cascade=true`, 204);
      await settled(db, SETTLE_MS);
    }
  } finally {
    a.kill();
    b.kill();
    await node.stop();
    rmSync(workDir, { recursive: true, force: true });
  }

  const row = (label: string, pick: (t: Try) => number) => [
    label,
    fmt(median(tries.map(pick))),
    fmt(Math.min(...tries.map(pick))),
    fmt(Math.max(...tries.map(pick))),
    tries.map((t) => fmt(pick(t))).join(' '),
  ];
  console.log(
    `Tavia member death benchmark: ${TRIES} tries, SQLite, real amphorae, Node ${process.version}, ${cpus().length} CPU; ` +
      `HTTP health monitor delay ${DELAY_S} s, timeout ${DELAY_S} s, max_retries_down ${RETRIES_DOWN}; ` +
      `heartbeat interval ${config.health.heartbeatIntervalMs} ms\n`,
  );
  console.log(
    table([
      ['', 'p50', 'min', 'max', 'all'],
      row('backend death -> member ERROR in the API (ms)', (t) => t.toErrorMs),
      row('backend death -> last request sent to it (ms)', (t) => t.toLastRequestMs),
      row('requests sent to the dead member', (t) => t.requestsToDeadMember),
      row('client requests failed', (t) => t.failedRequests),
      row('client requests during the try', (t) => t.requests),
    ]),
  );
  console.log(
    `\nHAProxy's own bound: delay x max_retries_down = ${fmt(DELAY_S * RETRIES_DOWN * 1000)} ms after the last good check`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
