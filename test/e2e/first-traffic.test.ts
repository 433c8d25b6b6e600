import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pidAlive } from '../../src/amphora/agent/haproxy-process.js';
import { processAgentStateDir, processAmphoraDir } from '../../src/compute/process/amphora-paths.js';
import { LoopbackNetworkDriver } from '../../src/network/loopback/loopback-network-driver.js';
import { subnetIdByName } from '../helpers/networks.js';
import { freePort } from '../helpers/process-node.js';
import { TestService } from '../helpers/service.js';

/**
 * The first slice of real traffic: process amphorae (the real agent as a child process), loopback VIPs
 * and the REST amphora driver move HTTP requests through a real HAProxy to real backends.
 */

const SETTLE_MS = 60_000;
const REQUEST_TIMEOUT_MS = 3_000;

function startBackend(name: string): Promise<Server> {
  const server = createServer((_req, res) => {
    res.setHeader('Connection', 'close');
    res.end(name);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

const portOf = (s: Server): number => {
  const address = s.address();
  return typeof address === 'object' && address ? address.port : 0;
};

/** The body of GET url, or an Error when nothing answers in time. */
async function fetchText(url: string): Promise<string | Error> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), headers: { connection: 'close' } });
    return await res.text();
  } catch (err) {
    return err as Error;
  }
}

/** True when something accepts a TCP connection on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Wait for the controller, then fail with the flow's own error if a job failed. */
async function settled(s: TestService): Promise<void> {
  await s.settle(SETTLE_MS);
  const failed = await s.node.db.kysely
    .selectFrom('job')
    .select(['flow', 'error'])
    .where('state', '=', 'failed')
    .execute();
  assert.deepEqual(failed, []);
}

describe('first traffic: process compute, loopback network, REST amphora driver', () => {
  let svc: TestService | undefined;
  const backends: Server[] = [];

  before(async () => {
    svc = await TestService.start({ drivers: { compute: 'process', network: 'loopback', amphora: 'rest' } });
    backends.push(await startBackend('backend-a'), await startBackend('backend-b'));
  });

  after(async () => {
    // node.stop() stops every agent the process driver started (and their HAProxies).
    await svc?.stop();
    for (const b of backends) {
      b.closeAllConnections();
      await new Promise((r) => b.close(r));
    }
  });

  it('balances HTTP across members, follows a member delete, and cleans up on cascade delete', async () => {
    const s = svc!;
    const subnetId = await subnetIdByName(s.node.db, 'private-subnet');
    const lb = await s.post('/v2/lbaas/loadbalancers', {
      loadbalancer: { name: 'traffic', vip_subnet_id: subnetId },
    });
    assert.equal(lb.status, 201, JSON.stringify(lb.body));
    const lbId = lb.body.loadbalancer.id as string;
    const vip = lb.body.loadbalancer.vip_address as string;
    // The private subnet's pool: 127.10.0.2 - 127.10.191.254.
    assert.match(vip, /^127\.10\.\d+\.\d+$/);
    // A fresh driver (as after a restart) knows the address is taken from the database alone.
    const driver = new LoopbackNetworkDriver(s.node.db);
    const fresh = await driver.allocateVip({ loadBalancerId: 'x', projectId: 'p', subnetId });
    assert.notEqual(fresh.address, vip);
    await driver.deallocateVip('x', fresh);
    await assert.rejects(
      driver.allocateVip({ loadBalancerId: 'y', projectId: 'p', subnetId, address: vip }),
      /already allocated/,
    );
    await settled(s);

    const amphora = await s.node.db.kysely
      .selectFrom('amphora')
      .selectAll()
      .where('load_balancer_id', '=', lbId)
      .executeTakeFirstOrThrow();
    assert.equal(amphora.lb_network_ip, '127.0.0.1');
    assert.match(amphora.compute_id ?? '', new RegExp(`^process:${amphora.id}:\\d+$`));

    const port = await freePort();
    const listener = await s.post('/v2/lbaas/listeners', {
      listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: port },
    });
    assert.equal(listener.status, 201, JSON.stringify(listener.body));
    await settled(s);
    const pool = await s.post('/v2/lbaas/pools', {
      pool: { listener_id: listener.body.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' },
    });
    assert.equal(pool.status, 201, JSON.stringify(pool.body));
    await settled(s);
    const poolId = pool.body.pool.id as string;
    const memberIds: string[] = [];
    for (const b of backends) {
      const m = await s.post(`/v2/lbaas/pools/${poolId}/members`, {
        member: { address: '127.0.0.1', protocol_port: portOf(b) },
      });
      assert.equal(m.status, 201, JSON.stringify(m.body));
      memberIds.push(m.body.member.id);
      await settled(s);
    }

    const status = await s.get(`/v2/lbaas/loadbalancers/${lbId}`);
    assert.equal(status.body.loadbalancer.provisioning_status, 'ACTIVE');
    for (const path of [
      `/v2/lbaas/listeners/${listener.body.listener.id}`,
      `/v2/lbaas/pools/${poolId}`,
      ...memberIds.map((id) => `/v2/lbaas/pools/${poolId}/members/${id}`),
    ]) {
      const res = await s.get(path);
      const body = Object.values(res.body as Record<string, { provisioning_status: string }>)[0]!;
      assert.equal(body.provisioning_status, 'ACTIVE', path);
    }

    const url = `http://${vip}:${port}/`;
    const answers: Array<string | Error> = [];
    for (let i = 0; i < 10; i++) answers.push(await fetchText(url));
    for (const a of answers) assert.ok(typeof a === 'string', `request failed: ${String(a)}`);
    for (let i = 1; i < answers.length; i++) assert.notEqual(answers[i], answers[i - 1], `answers: ${answers}`);
    assert.deepEqual(new Set(answers), new Set(['backend-a', 'backend-b']));

    const removed = await s.del(`/v2/lbaas/pools/${poolId}/members/${memberIds[0]}`);
    assert.equal(removed.status, 204);
    await settled(s);
    const after: Array<string | Error> = [];
    for (let i = 0; i < 6; i++) after.push(await fetchText(url));
    assert.deepEqual(after, Array(6).fill('backend-b'));

    const amphoraDir = processAmphoraDir(s.config.dataDir, amphora.id);
    const stateDir = processAgentStateDir(s.config.dataDir, amphora.id);
    assert.ok(stateDir.startsWith(s.config.dataDir), 'the agent state stays in the data dir when paths allow');
    const haproxyPid = Number(await readFile(`${stateDir}/lb/${lbId}/haproxy.pid`, 'utf8'));
    assert.ok(pidAlive(haproxyPid), 'the amphora HAProxy runs before the delete');
    const agentPort = Number(/:(\d+)$/.exec(amphora.compute_id!)![1]);
    assert.ok(await accepts(agentPort), 'the amphora agent listens before the delete');

    const deleted = await s.del(`/v2/lbaas/loadbalancers/${lbId}?cascade=true`);
    assert.equal(deleted.status, 204);
    await settled(s);
    assert.equal((await s.get(`/v2/lbaas/loadbalancers/${lbId}`)).status, 404);
    const vipPort = await s.node.db.kysely
      .selectFrom('port')
      .select('id')
      .where('id', '=', lb.body.loadbalancer.vip_port_id)
      .executeTakeFirst();
    assert.equal(vipPort, undefined, 'the VIP port is deleted with its load balancer');
    const closed = await fetchText(url);
    assert.ok(closed instanceof Error, `the VIP port still answers: ${String(closed)}`);
    const deadline = Date.now() + 5000;
    while (pidAlive(haproxyPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(pidAlive(haproxyPid), false, 'the HAProxy is gone');
    assert.equal(await accepts(agentPort), false, 'the amphora agent no longer listens');
    assert.equal(existsSync(amphoraDir), false, 'certificates removed');
    assert.equal(existsSync(stateDir), false, 'agent state removed');
  });
});
