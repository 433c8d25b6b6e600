/**
 * How many ACTIVE load balancers one machine holds with the process compute driver, and what one idle
 * amphora costs in memory. Creates N load balancers (each: an HTTP listener, a ROUND_ROBIN pool, one
 * member) through the API, waits for each to be ACTIVE, checks every VIP answers, then sums the
 * proportional set size (PSS, so shared pages are counted once) of the amphora host and every HAProxy.
 *
 *   npm run bench:density -- --count 1000 [--concurrency 8]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchConfig, REAL_DRIVERS } from './lib/bench-config.js';
import { createLogger } from '../src/common/logger.js';
import { startNode } from '../src/service/node.js';
import { vipSubnetId } from './lib/tavia-db.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const COUNT = option('count', 200);
const CONCURRENCY = option('concurrency', 8);
const FIRST_PORT = 20_000;

/** PSS in kB of one process, from smaps_rollup. */
function pssKb(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Processes whose command line mentions `dir`, grouped as amphora host, HAProxy masters and workers. */
function processesUnder(dir: string): { host: number[]; haproxy: number[] } {
  const found = { host: [] as number[], haproxy: [] as number[] };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes(dir)) continue;
      if (cmdline.includes('amphora-host')) found.host.push(Number(entry));
      else if (cmdline.includes('haproxy')) found.haproxy.push(Number(entry));
    } catch {
      /* exited */
    }
  }
  return found;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tavia-density-'));
  const config = benchConfig(dataDir, 'sqlite:tavia.db', { drivers: REAL_DRIVERS });
  config.worker.concurrency = CONCURRENCY;
  const node = await startNode(config, { api: true, worker: true }, createLogger('warn'));
  const backend: Server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const backendPort = (backend.address() as { port: number }).port;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(node.url! + path, {
      method,
      headers: { 'content-type': 'application/json', 'x-project-id': 'bench' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  try {
    const subnetId = await vipSubnetId(node.db);
    console.log(`Tavia density benchmark: ${COUNT} load balancers, ${CONCURRENCY} at a time, process compute driver`);
    const createMs: number[] = [];
    const vips: string[] = [];
    const started = Date.now();
    let next = 0;
    const createOne = async (i: number) => {
      const t0 = performance.now();
      const port = FIRST_PORT + (i % 40_000);
      const body = await api('POST', '/v2/lbaas/loadbalancers', {
        loadbalancer: {
          name: `lb-${i}`,
          vip_subnet_id: subnetId,
          listeners: [
            {
              protocol: 'HTTP',
              protocol_port: port,
              default_pool: {
                name: `pool-${i}`,
                protocol: 'HTTP',
                lb_algorithm: 'ROUND_ROBIN',
                members: [{ address: '127.0.0.1', protocol_port: backendPort }],
              },
            },
          ],
        },
      });
      const id = body.loadbalancer.id as string;
      for (;;) {
        const lb = await api('GET', `/v2/lbaas/loadbalancers/${id}`);
        const status = lb.loadbalancer.provisioning_status as string;
        if (status === 'ACTIVE') break;
        if (status === 'ERROR') throw new Error(`load balancer ${i} went to ERROR`);
        await new Promise((r) => setTimeout(r, 20));
      }
      createMs.push(performance.now() - t0);
      vips.push(`http://${body.loadbalancer.vip_address}:${port}/`);
    };
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < COUNT) {
          const i = next++;
          await createOne(i);
          if ((i + 1) % 100 === 0) console.log(`  ${i + 1} created, ${((Date.now() - started) / 1000).toFixed(0)} s`);
        }
      }),
    );
    const totalS = (Date.now() - started) / 1000;
    let answered = 0;
    for (const url of vips) {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
      if (res && (await res.text()) === 'ok') answered++;
    }
    const procs = processesUnder(dataDir);
    const hostKb = procs.host.reduce((sum, pid) => sum + pssKb(pid), 0);
    const haproxyKb = procs.haproxy.reduce((sum, pid) => sum + pssKb(pid), 0);
    const controllerKb = pssKb(process.pid);
    const sorted = [...createMs].sort((a, b) => a - b);
    const mb = (kb: number) => (kb / 1024).toFixed(1);
    console.log(`\n${COUNT} load balancers ACTIVE in ${totalS.toFixed(1)} s; ${answered}/${vips.length} VIPs answered`);
    console.log(
      `POST -> ACTIVE (with ${CONCURRENCY} in flight): p50 ${percentile(sorted, 50).toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms`,
    );
    console.log(
      `processes: 1 amphora host (${procs.host.length} found), ${procs.haproxy.length} HAProxy (masters + workers)`,
    );
    console.log(
      `PSS: amphora host ${mb(hostKb)} MB, HAProxy total ${mb(haproxyKb)} MB, controller (API + worker + client) ${mb(controllerKb)} MB`,
    );
    console.log(
      `per amphora: ${mb((hostKb + haproxyKb) / COUNT)} MB (host share ${mb(hostKb / COUNT)} MB + HAProxy ${mb(haproxyKb / COUNT)} MB)`,
    );
    const meminfo = readFileSync('/proc/meminfo', 'utf8');
    const availKb = Number(/^MemAvailable:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
    console.log(
      `machine: ${mb(availKb)} MB still available; at this cost it would hold about ${Math.floor((availKb + hostKb + haproxyKb) / ((hostKb + haproxyKb) / COUNT))} amphorae`,
    );
  } finally {
    await node.stop();
    backend.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
