import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchConfig, REAL_DRIVERS } from '../lib/bench-config.js';
import { createLogger } from '../../src/common/logger.js';
import { startNode, type TaviaNode } from '../../src/service/node.js';
import { backendsConfig, baselineConfig } from '../lib/haproxy-configs.js';
import { HaproxyProcess } from '../lib/haproxy-process.js';
import { untilServedBy } from '../lib/http-probe.js';
import { freePort } from '../lib/process-tools.js';
import { LB_PATH, TaviaApi } from '../lib/tavia-api.js';
import { settled, vipSubnetId } from '../lib/tavia-db.js';

export const SETTLE_TIMEOUT_MS = 60000;

/** Backend ports on 127.0.0.1: a and b serve the pools; c (two ports, one name) is for members added later. */
export interface BackendPorts {
  a: number;
  b: number;
  c: [number, number];
}

/** One listener of the benchmark's load balancer, and the hand-written HAProxy it is compared with. */
export interface Target {
  taviaUrl: string;
  baselineUrl: string;
  poolId: string;
  /** The pool's two members, on backend-a and backend-b. */
  memberIds: [string, string];
}

export interface BenchEnv {
  node: TaviaNode;
  api: TaviaApi;
  subnetId: string;
  backends: BackendPorts;
  loadBalancerId: string;
  http: Target;
  tcp: Target;
  /** From the first POST until both listeners answered from both backends. */
  setupMs: number;
}

type Stops = Array<() => Promise<void>>;

/** Start an HAProxy from a config text and register its stop before waiting for it. */
async function startHaproxy(workDir: string, name: string, text: string, port: number, stops: Stops): Promise<void> {
  const path = join(workDir, `${name}.cfg`);
  writeFileSync(path, text);
  const proxy = new HaproxyProcess(path);
  stops.push(() => proxy.stop());
  await proxy.ready(port);
}

/** POST a listener, its default pool and two members (one at a time, each settled), as a user would. */
async function createListener(
  env: { node: TaviaNode; api: TaviaApi },
  loadBalancerId: string,
  protocol: 'HTTP' | 'TCP',
  memberPorts: [number, number],
): Promise<{ port: number; poolId: string; memberIds: [string, string] }> {
  const port = await freePort();
  const listener = await env.api.call<{ listener: { id: string } }>('POST', '/v2/lbaas/listeners', 201, {
    listener: { loadbalancer_id: loadBalancerId, protocol, protocol_port: port, name: `bench-${protocol}` },
  });
  await settled(env.node.db, SETTLE_TIMEOUT_MS);
  const pool = await env.api.call<{ pool: { id: string } }>('POST', '/v2/lbaas/pools', 201, {
    pool: { listener_id: listener.listener.id, protocol, lb_algorithm: 'ROUND_ROBIN' },
  });
  await settled(env.node.db, SETTLE_TIMEOUT_MS);
  const memberIds: string[] = [];
  for (const memberPort of memberPorts) {
    const m = await env.api.call<{ member: { id: string } }>('POST', `/v2/lbaas/pools/${pool.pool.id}/members`, 201, {
      member: { address: '127.0.0.1', protocol_port: memberPort },
    });
    memberIds.push(m.member.id);
    await settled(env.node.db, SETTLE_TIMEOUT_MS);
  }
  return { port, poolId: pool.pool.id, memberIds: memberIds as [string, string] };
}

/**
 * Everything the measurements run against: the backends, an HTTP and a TCP baseline HAProxy, and a Tavia
 * node in this process (process compute, loopback network, REST amphora driver: real agents and real
 * HAProxies) with one load balancer holding an HTTP and a TCP listener, each with a round-robin pool of
 * backend-a and backend-b. Every process started is registered in `stops` before it is waited for.
 */
export async function startBenchEnv(workDir: string, stops: Stops): Promise<BenchEnv> {
  const backends: BackendPorts = {
    a: await freePort(),
    b: await freePort(),
    c: [await freePort(), await freePort()],
  };
  const specs = [
    { name: 'backend-a', ports: [backends.a] },
    { name: 'backend-b', ports: [backends.b] },
    { name: 'backend-c', ports: backends.c },
  ];
  await startHaproxy(workDir, 'backends', backendsConfig(specs), backends.a, stops);
  const pair: [number, number] = [backends.a, backends.b];
  const httpBaselinePort = await freePort();
  await startHaproxy(workDir, 'baseline-http', baselineConfig('http', httpBaselinePort, pair), httpBaselinePort, stops);
  const tcpBaselinePort = await freePort();
  await startHaproxy(workDir, 'baseline-tcp', baselineConfig('tcp', tcpBaselinePort, pair), tcpBaselinePort, stops);

  const config = benchConfig(join(workDir, 'data'), 'sqlite:tavia.db', {
    worker: { pollIntervalMs: 100 },
    drivers: REAL_DRIVERS,
  });
  const node = await startNode(config, { api: true, worker: true }, createLogger('silent'));
  // node.stop() stops every amphora agent the process driver started, and their HAProxies.
  stops.push(() => node.stop());
  const api = new TaviaApi(node.url!);
  const subnetId = await vipSubnetId(node.db);

  const t0 = performance.now();
  const lb = await api.call<{ loadbalancer: { id: string; vip_address: string } }>('POST', LB_PATH, 201, {
    loadbalancer: { name: 'dataplane-bench', vip_subnet_id: subnetId },
  });
  await settled(node.db, SETTLE_TIMEOUT_MS);
  const env = { node, api };
  const http = await createListener(env, lb.loadbalancer.id, 'HTTP', pair);
  const tcp = await createListener(env, lb.loadbalancer.id, 'TCP', pair);
  const target = (port: number, baselinePort: number, made: typeof http): Target => ({
    taviaUrl: `http://${lb.loadbalancer.vip_address}:${port}/`,
    baselineUrl: `http://127.0.0.1:${baselinePort}/`,
    poolId: made.poolId,
    memberIds: made.memberIds,
  });
  const result: BenchEnv = {
    node,
    api,
    subnetId,
    backends,
    loadBalancerId: lb.loadbalancer.id,
    http: target(http.port, httpBaselinePort, http),
    tcp: target(tcp.port, tcpBaselinePort, tcp),
    setupMs: 0,
  };
  for (const t of [result.http, result.tcp]) {
    await untilServedBy(t.taviaUrl, ['backend-a', 'backend-b']);
    await untilServedBy(t.baselineUrl, ['backend-a', 'backend-b']);
  }
  result.setupMs = performance.now() - t0;
  return result;
}
