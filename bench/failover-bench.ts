/**
 * Time from `kill -9` of an amphora's HAProxy (master and workers) to its VIP answering again, and where
 * that time goes: waiting for the silence to last a heartbeat timeout (detection), then the failover flow
 * (a new amphora built, configured with the same VIP, the old one removed).
 *
 *   npm run build && node dist/bench/failover-bench.js [--tries 5]
 *   npx tsx bench/failover-bench.ts [--tries 5]
 *
 * One Tavia node in this process with the real data plane drivers (process compute, loopback network, REST
 * amphora driver) and the failover watch with the default health settings (1 s heartbeats, 3 s timeout,
 * 0.5 s checks), all real: the agents send heartbeats, the node's health manager refreshes an amphora only
 * while its heartbeat lists every enabled listener, so a killed HAProxy makes it fall silent. Each try uses a new load balancer (the watch holds a load
 * balancer failed over 3 times within 10 minutes).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseShowProc } from '../src/amphora/agent/haproxy-process.js';
import { RestAmphoraDriver } from '../src/amphora/driver/rest/rest-amphora-driver.js';
import { createLogger } from '../src/common/logger.js';
import { processAgentStateDir } from '../src/compute/process/amphora-paths.js';
import { ProcessComputeDriver } from '../src/compute/process/process-compute-driver.js';
import { startNode } from '../src/service/node.js';
import { get } from './lib/http-probe.js';
import { benchConfig, REAL_DRIVERS } from './lib/bench-config.js';
import { freePort, sleep } from './lib/process-tools.js';
import { fmt, median, table } from './lib/report.js';
import { LB_PATH, TaviaApi } from './lib/tavia-api.js';
import { settled, vipSubnetId } from './lib/tavia-db.js';

const args = process.argv.slice(2);
const triesAt = args.indexOf('--tries');
const TRIES = triesAt >= 0 ? Number(args[triesAt + 1]) : 5;
const SETTLE_MS = 60_000;
const RECOVERY_LIMIT_MS = 30_000;
const POLL_MS = 10;

/** Durations of the driver calls the failover flow makes, recorded by wrapping the driver classes. */
const driverCalls: Array<{ what: string; at: number; ms: number }> = [];
function timeCalls<T extends object>(proto: T, key: keyof T & string, what: string): void {
  const original = proto[key] as unknown as (...a: unknown[]) => Promise<unknown>;
  (proto as Record<string, unknown>)[key] = async function (this: unknown, ...a: unknown[]) {
    const at = performance.now();
    try {
      return await original.apply(this, a);
    } finally {
      driverCalls.push({ what, at, ms: performance.now() - at });
    }
  };
}
timeCalls(ProcessComputeDriver.prototype, 'build', 'build');
timeCalls(ProcessComputeDriver.prototype, 'destroy', 'destroy');
timeCalls(RestAmphoraDriver.prototype, 'applyConfig', 'configure');

function startBackend(name: string): Promise<Server> {
  const server = createServer((_req, res) => res.end(name));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
const portOf = (s: Server): number => {
  const a = s.address();
  return typeof a === 'object' && a ? a.port : 0;
};

function lbDir(dataDir: string, amphoraId: string, lbId: string): string {
  return join(processAgentStateDir(dataDir, amphoraId), 'lb', lbId);
}

function masterPid(dataDir: string, amphoraId: string, lbId: string): number | undefined {
  const file = join(lbDir(dataDir, amphoraId, lbId), 'haproxy.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
}

function workerPids(dataDir: string, amphoraId: string, lbId: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const conn = connect(join(lbDir(dataDir, amphoraId, lbId), 'master.sock'));
    let text = '';
    conn.setEncoding('utf8');
    conn.setTimeout(2000, () => conn.destroy(new Error('master CLI timed out')));
    conn.on('connect', () => conn.end('show proc\n'));
    conn.on('data', (c: string) => (text += c));
    conn.on('error', reject);
    conn.on('close', () => resolve(parseShowProc(text)?.workers.map((w) => w.pid) ?? []));
  });
}

interface Try {
  /** How old the amphora's last heartbeat was at the kill. */
  lastHeardAgeMs: number;
  /** Kill -> the failover queued (the LB seen PENDING_UPDATE). */
  detectMs: number;
  /** Failover queued -> VIP answering again. */
  flowToServeMs: number;
  killToServeMs: number;
  killToActiveMs: number;
  buildMs: number;
  configureMs: number;
  destroyMs: number;
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'tavia-failover-bench-'));
  const config = benchConfig(join(workDir, 'data'), 'sqlite:tavia.db', {
    worker: { pollIntervalMs: 100 },
    drivers: REAL_DRIVERS,
    health: { port: 0 },
  });
  const backends = [await startBackend('a'), await startBackend('b')];
  // The whole node: API, worker, health manager receiving the agents' real heartbeats, failover watch.
  const node = await startNode(config, { api: true, worker: true, healthManager: true }, createLogger('silent'));
  const db = node.db;
  const api = new TaviaApi(node.url!);
  const subnetId = await vipSubnetId(db);
  const tries: Try[] = [];
  try {
    for (let i = 0; i < TRIES; i++) {
      const port = await freePort();
      const created = await api.call<{ loadbalancer: { id: string; vip_address: string } }>('POST', LB_PATH, 201, {
        loadbalancer: {
          name: `failover-${i}`,
          vip_subnet_id: subnetId,
          listeners: [
            {
              protocol: 'HTTP',
              protocol_port: port,
              default_pool: {
                name: `pool-${i}`,
                protocol: 'HTTP',
                lb_algorithm: 'ROUND_ROBIN',
                members: backends.map((b) => ({ address: '127.0.0.1', protocol_port: portOf(b) })),
              },
            },
          ],
        },
      });
      const lbId = created.loadbalancer.id;
      const url = `http://${created.loadbalancer.vip_address}:${port}/`;
      await settled(db, SETTLE_MS);
      const old = (
        await db.kysely
          .selectFrom('amphora')
          .select('id')
          .where('load_balancer_id', '=', lbId)
          .executeTakeFirstOrThrow()
      ).id;
      if (typeof (await get(url)) !== 'string') throw new Error(`${url} does not answer before the kill`);
      // Kill at a random point of the heartbeat cycle, as a real fault would come.
      await sleep(config.health.heartbeatIntervalMs + Math.random() * config.health.heartbeatIntervalMs);
      const master = masterPid(config.dataDir, old, lbId)!;
      const workers = await workerPids(config.dataDir, old, lbId);
      const health = await db.kysely
        .selectFrom('amphora_health')
        .select('last_update_ms')
        .where('amphora_id', '=', old)
        .executeTakeFirstOrThrow();
      driverCalls.length = 0;
      const killedWall = Date.now();
      const killed = performance.now();
      for (const pid of [master, ...workers]) process.kill(pid, 'SIGKILL');

      let detected = 0;
      let served = 0;
      let active = 0;
      while (!(detected && served && active)) {
        if (performance.now() - killed > RECOVERY_LIMIT_MS) throw new Error(`try ${i}: no recovery in time`);
        const lb = await db.kysely
          .selectFrom('load_balancer')
          .select('provisioning_status')
          .where('id', '=', lbId)
          .executeTakeFirstOrThrow();
        if (!detected && lb.provisioning_status === 'PENDING_UPDATE') detected = performance.now();
        if (detected && !active && lb.provisioning_status === 'ACTIVE') active = performance.now();
        if (lb.provisioning_status === 'ERROR') throw new Error(`try ${i}: load balancer ERROR`);
        if (!served && performance.now() - killed > 200 && typeof (await get(url)) === 'string')
          served = performance.now();
        await sleep(POLL_MS);
      }
      const callMs = (what: string) => driverCalls.filter((c) => c.what === what).reduce((s, c) => s + c.ms, 0);
      tries.push({
        lastHeardAgeMs: killedWall - Number(health.last_update_ms),
        detectMs: detected - killed,
        flowToServeMs: served - detected,
        killToServeMs: served - killed,
        killToActiveMs: active - killed,
        buildMs: callMs('build'),
        configureMs: callMs('configure'),
        destroyMs: callMs('destroy'),
      });
      console.error(`try ${i + 1}/${TRIES}: VIP answering ${fmt(served - killed)} ms after kill -9`);
      await api.call('DELETE', `${LB_PATH}/${lbId}?cascade=true`, 204);
      await settled(db, SETTLE_MS);
    }
  } finally {
    await node.stop();
    for (const b of backends) b.close();
    rmSync(workDir, { recursive: true, force: true });
  }

  const h = config.health;
  const row = (label: string, pick: (t: Try) => number) => [
    label,
    fmt(median(tries.map(pick))),
    fmt(Math.min(...tries.map(pick))),
    fmt(Math.max(...tries.map(pick))),
    tries.map((t) => fmt(pick(t))).join(' '),
  ];
  console.log(
    `Tavia failover benchmark: ${TRIES} tries, SQLite, process/loopback/rest drivers, Node ${process.version}, ` +
      `${cpus().length} CPU; heartbeat ${h.heartbeatIntervalMs} ms, timeout ${h.heartbeatTimeoutMs} ms, ` +
      `check ${h.checkIntervalMs} ms (real heartbeats from the amphora agents)\n`,
  );
  console.log(
    table([
      ['', 'p50 ms', 'min ms', 'max ms', 'all ms'],
      row('kill -9 -> VIP answering again', (t) => t.killToServeMs),
      row('kill -9 -> LB ACTIVE again', (t) => t.killToActiveMs),
      row('  detection: kill -9 -> failover queued', (t) => t.detectMs),
      row('    age of the last heartbeat at the kill', (t) => t.lastHeardAgeMs),
      row('  flow: failover queued -> VIP answering', (t) => t.flowToServeMs),
      row('    build the new amphora (agent)', (t) => t.buildMs),
      row('    configure it (upload, haproxy -c, start)', (t) => t.configureMs),
      row('    remove the old amphora', (t) => t.destroyMs),
    ]),
  );
  const p50 = median(tries.map((t) => t.killToServeMs));
  console.log(`\ngoal: VIP answering again < 5000 ms at p50: ${p50 < 5000 ? 'met' : 'NOT met'} (${fmt(p50)} ms)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
