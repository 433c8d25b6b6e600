/**
 * What heartbeats cost an amphora host: N amphorae (each with one load balancer's HAProxy unless --lbs 0) in one
 * `tavia amphora-host` process, measured with heartbeats off and on (1 s interval), alternating.
 *   npm run build && node dist/bench/heartbeat-host-bench.js --count 200 [--lbs 1] [--slice 10]
 */
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAgentCertificate } from '../src/amphora/agent/agent-cert-files.js';
import { agentRequest } from '../src/amphora/driver/rest/agent-client.js';
import { renderHaproxyConfig } from '../src/amphora/haproxy/render-config.js';
import { CertificateAuthority } from '../src/certs/certificate-authority.js';
import { FileCertificateStore } from '../src/certs/certificate-store.js';
import { AmphoraHostClient } from '../src/compute/process/amphora-host-client.js';
import { processAgentStateDir, processAmphoraDir } from '../src/compute/process/amphora-paths.js';
import { decodeEnvelope } from '../src/heartbeat/envelope.js';
import { parseHeartbeat } from '../src/heartbeat/message.js';
import { g } from '../test/helpers/graph-factory.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) =>
  args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : fallback;
const COUNT = opt('count', 200);
const LBS = opt('lbs', 1);
const SLICE_S = opt('slice', 10);
const KEY = 'bench-key';
const FIRST_PORT = 30_000;
const TICKS = 100; // clock ticks per second (getconf CLK_TCK)

function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}
function haproxyPids(marker: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const c = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (c.includes('haproxy') && c.includes(marker)) out.push(Number(e));
    } catch {}
  }
  return out;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dataDir = mkdtempSync(join(tmpdir(), 'tavia-hbb-'));
const ca = await CertificateAuthority.open(new FileCertificateStore(join(dataDir, 'ca')));
const client = await ca.issueClientCertificate();
const rx = createSocket('udp4');
let valid = 0,
  invalid = 0,
  bytes = 0;
rx.on('message', (d) => {
  bytes += d.length;
  try {
    if (parseHeartbeat(decodeEnvelope(d, KEY))) valid++;
    else invalid++;
  } catch {
    invalid++;
  }
});
await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
const target = `127.0.0.1:${rx.address().port}`;
const backend = createServer((_q, s) => s.end('ok'));
await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
const backendPort = (backend.address() as { port: number }).port;

const host = new AmphoraHostClient(dataDir);
const amphorae: Array<{ id: string; port: number; certDir: string; stateDir: string }> = [];
const spec = (a: (typeof amphorae)[0], targets: string[]) => ({
  port: a.port,
  certDir: a.certDir,
  stateDir: a.stateDir,
  heartbeat: { targets, key: KEY, intervalMs: 1000 },
});
try {
  console.log(`starting ${COUNT} amphorae (${LBS} load balancer each) in one amphora host...`);
  const t0 = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < COUNT) {
        const i = next++;
        const id = randomUUID();
        const certDir = join(processAmphoraDir(dataDir, id), 'certs');
        await writeAgentCertificate(certDir, await ca.issueServerCertificate(id, { ipAddresses: ['127.0.0.1'] }));
        const a = { id, port: 0, certDir, stateDir: processAgentStateDir(dataDir, id) };
        const hosted = await host.ensureAmphora(id, spec(a, []));
        a.port = hosted.port;
        amphorae.push(a);
        for (let l = 0; l < LBS; l++) {
          const graph = g.lb();
          const lbId = randomUUID();
          const listenerId = randomUUID();
          const poolId = randomUUID();
          graph.loadBalancer.id = lbId;
          graph.loadBalancer.vip_address = '127.0.0.1';
          graph.listeners = [
            g.listener({
              id: listenerId,
              load_balancer_id: lbId,
              protocol_port: FIRST_PORT + i * 4 + l,
              default_pool_id: poolId,
            }),
          ];
          graph.pools = [g.pool({ id: poolId, load_balancer_id: lbId })];
          graph.members = [
            g.member({ id: randomUUID(), pool_id: poolId, address: '127.0.0.1', protocol_port: backendPort }),
            g.member({ id: randomUUID(), pool_id: poolId, address: '127.0.0.1', protocol_port: backendPort }),
          ];
          const lbDir = join(a.stateDir, 'lb', lbId);
          const text = renderHaproxyConfig(graph, {
            statsSocketPath: join(lbDir, 'stats.sock'),
            serverStateFilePath: join(lbDir, 'servers.state'),
            certDir: join(lbDir, 'certs'),
            maxConnCap: 100,
          });
          const endpoint = { host: '127.0.0.1', port: a.port, amphoraId: id };
          const put = await agentRequest(endpoint, client, 'PUT', `/1.0/loadbalancer/${id}/${lbId}/haproxy`, text);
          if (put.status !== 202) throw new Error(`upload: ${put.status} ${put.body}`);
          const start = await agentRequest(endpoint, client, 'PUT', `/1.0/loadbalancer/${lbId}/reload`);
          if (start.status !== 202) throw new Error(`start: ${start.status} ${start.body}`);
        }
        if ((i + 1) % 50 === 0) console.log(`  ${i + 1} up, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      }
    }),
  );
  const hostPid = (await host.hostPid())!;
  const measure = async (label: string) => {
    await sleep(2_000); // settle: first heartbeats are spread over one interval
    const hp = haproxyPids(dataDir);
    const [h0, p0, v0, b0, t0] = [cpuTicks(hostPid), hp.reduce((s, p) => s + cpuTicks(p), 0), valid, bytes, Date.now()];
    await sleep(SLICE_S * 1000);
    const secs = (Date.now() - t0) / 1000;
    const hostPct = ((cpuTicks(hostPid) - h0) / TICKS / secs) * 100;
    const haPct = ((hp.reduce((s, p) => s + cpuTicks(p), 0) - p0) / TICKS / secs) * 100;
    const rate = (valid - v0) / secs;
    console.log(
      `${label.padEnd(14)} host ${hostPct.toFixed(1).padStart(5)} % of a core, HAProxy (${hp.length} procs) ${haPct.toFixed(1).padStart(5)} %, ` +
        `${rate.toFixed(0)} heartbeats/s received, ${rate > 0 ? ((bytes - b0) / secs / rate).toFixed(0) : 0} B each`,
    );
    return { hostPct, haPct, rate };
  };
  const set = async (targets: string[]) => {
    for (const a of amphorae) await host.ensureAmphora(a.id, spec(a, targets));
  };
  const results: Record<string, Array<{ hostPct: number; haPct: number; rate: number }>> = { off: [], on: [] };
  for (let round = 0; round < 2; round++) {
    await set([]);
    results.off!.push(await measure('heartbeats off'));
    await set([target]);
    results.on!.push(await measure('heartbeats on'));
  }
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const hostDelta = avg(results.on!.map((r) => r.hostPct)) - avg(results.off!.map((r) => r.hostPct));
  const haDelta = avg(results.on!.map((r) => r.haPct)) - avg(results.off!.map((r) => r.haPct));
  const rate = avg(results.on!.map((r) => r.rate));
  console.log(
    `\n${COUNT} amphorae x ${LBS} LB: heartbeats cost the host ${hostDelta.toFixed(1)} % of a core (+ HAProxy ${haDelta.toFixed(1)} %), ` +
      `${((hostDelta / 100 / rate) * 1e6).toFixed(0)} us host CPU per heartbeat; invalid datagrams: ${invalid}`,
  );
  console.log(
    `extrapolated to 1,000 amphorae at 1 s: ${((hostDelta / rate) * 1000).toFixed(0)} % of a core (host) + ${((haDelta / rate) * 1000).toFixed(0)} % (HAProxy)`,
  );
} finally {
  await host.shutdown();
  rx.close();
  backend.close();
  rmSync(dataDir, { recursive: true, force: true });
}
