import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { pidAlive } from '../../src/amphora/agent/haproxy-process.js';
import { amphoraHostDir } from '../../src/compute/process/amphora-paths.js';
import { subnetIdByName } from '../helpers/networks.js';
import { freePort, killAllProcessNodes, NodeSandbox, ProcessNode } from '../helpers/process-node.js';

/**
 * The process compute driver's amphorae across control plane lives, with `tavia up` as a real child
 * process: one amphora host runs every amphora; a crashed controller leaves them serving; a restarted one
 * finds them; a clean stop stops them all; the next start brings them back from their stored configs.
 */

const REQUEST_TIMEOUT_MS = 3_000;
const SETTLE_TIMEOUT_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

async function fetchText(url: string): Promise<string | Error> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), headers: { connection: 'close' } });
    return await res.text();
  } catch (err) {
    return err as Error;
  }
}

/** Every HAProxy or amphora host whose command line names a path under `dir`. */
function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(dir) && /haproxy|amphora-host/.test(cmdline) && pidAlive(Number(entry)))
        pids.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

/** Wait (bounded) until `check` holds. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

/** Wait until nothing is PENDING_* and no job is open; fail on a failed job. */
async function settled(node: ProcessNode, sandbox: NodeSandbox): Promise<void> {
  const db = sandbox.openDb();
  try {
    await until(
      'the controller is idle',
      async () => {
        const open = await db.kysely
          .selectFrom('job')
          .select('id')
          .where('state', 'in', ['queued', 'running'])
          .execute();
        return open.length === 0;
      },
      SETTLE_TIMEOUT_MS,
    );
    const failed = await db.kysely.selectFrom('job').select(['flow', 'error']).where('state', '=', 'failed').execute();
    assert.deepEqual(failed, [], node.logs());
  } finally {
    await db.close();
  }
}

async function vipSubnetId(sandbox: NodeSandbox): Promise<string> {
  const db = sandbox.openDb();
  try {
    return await subnetIdByName(db, 'private-subnet');
  } finally {
    await db.close();
  }
}

describe('amphorae across control plane restarts (process compute driver)', () => {
  let sandbox: NodeSandbox;
  const backends: Server[] = [];

  before(async () => {
    sandbox = await NodeSandbox.create();
    backends.push(await startBackend('backend-a'), await startBackend('backend-b'));
  });

  after(async () => {
    await killAllProcessNodes();
    // Removing the data directory makes a host left behind by a failed test stop by itself.
    await sandbox.destroy();
    for (const b of backends) {
      b.closeAllConnections();
      await new Promise((r) => b.close(r));
    }
  });

  it('keeps serving through a crash, is found again, stops with the node and comes back on start', async () => {
    let node = await ProcessNode.start(sandbox, { nodeId: 'n1', realDrivers: true });
    const subnet = await vipSubnetId(sandbox);
    const ports = [await freePort(), await freePort()];
    const lbs: Array<{ id: string; url: string }> = [];
    for (const [i, port] of ports.entries()) {
      const created = await node.post('/v2/lbaas/loadbalancers', {
        loadbalancer: {
          name: `lb-${i}`,
          vip_subnet_id: subnet,
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
      assert.equal(created.status, 201, JSON.stringify(created.body));
      lbs.push({ id: created.body.loadbalancer.id, url: `http://${created.body.loadbalancer.vip_address}:${port}/` });
    }
    await settled(node, sandbox);
    for (const lb of lbs) assert.match(String(await fetchText(lb.url)), /^backend-[ab]$/);

    // One amphora host for both amphorae, each amphora with its own HAProxy master and worker.
    const hostDir = amphoraHostDir(sandbox.dataDir);
    const hostPid = Number(readFileSync(`${hostDir}/host.pid`, 'utf8'));
    assert.ok(pidAlive(hostPid));
    const amphorae = await node.get('/v2/octavia/amphorae');
    assert.equal(amphorae.status, 200);
    assert.equal(amphorae.body.amphorae.length, 2);
    for (const a of amphorae.body.amphorae) {
      assert.equal(a.status, 'ALLOCATED');
      assert.equal(a.role, 'STANDALONE');
      assert.equal(a.lb_network_ip, '127.0.0.1');
      assert.match(a.compute_id, new RegExp(`^process:${a.id}:\\d+$`));
      assert.ok(lbs.some((lb) => lb.id === a.loadbalancer_id));
      assert.ok(Date.parse(`${a.cert_expiration}Z`) > Date.now() + 300 * 24 * 3600 * 1000, a.cert_expiration);
    }

    // A crash of the control plane: the amphorae go on serving.
    node.kill('SIGKILL');
    await node.waitForExit();
    assert.ok(pidAlive(hostPid), 'the amphora host outlives a crashed controller');
    for (const lb of lbs) assert.match(String(await fetchText(lb.url)), /^backend-[ab]$/);

    // The restarted controller finds them (same host, same agents) and can change them.
    node = await ProcessNode.start(sandbox, { nodeId: 'n1', realDrivers: true });
    assert.equal(Number(readFileSync(`${hostDir}/host.pid`, 'utf8')), hostPid, 'no second host was started');
    const pools = await node.get(`/v2/lbaas/pools?loadbalancer_id=${lbs[0]!.id}`);
    const poolId = pools.body.pools[0].id as string;
    const members = await node.get(`/v2/lbaas/pools/${poolId}/members`);
    const memberA = members.body.members.find(
      (m: { protocol_port: number }) => m.protocol_port === portOf(backends[0]!),
    );
    const updated = await node.put(`/v2/lbaas/pools/${poolId}/members/${memberA.id}`, {
      member: { admin_state_up: false },
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    await settled(node, sandbox);
    for (let i = 0; i < 4; i++) assert.equal(await fetchText(lbs[0]!.url), 'backend-b');

    // A clean stop stops every amphora: nothing of them is left running.
    await node.stop('SIGTERM', 30_000);
    await until('the amphora host and its HAProxies are gone', () => processesUnder(sandbox.dataDir).length === 0);
    for (const lb of lbs) assert.ok((await fetchText(lb.url)) instanceof Error, 'the VIP no longer answers');

    // The next start boots them again from their last applied configs.
    node = await ProcessNode.start(sandbox, { nodeId: 'n1', realDrivers: true });
    await until('the VIPs answer again', async () => typeof (await fetchText(lbs[1]!.url)) === 'string', 20_000);
    assert.match(String(await fetchText(lbs[1]!.url)), /^backend-[ab]$/);
    for (let i = 0; i < 4; i++) assert.equal(await fetchText(lbs[0]!.url), 'backend-b', 'the member stays disabled');

    for (const lb of lbs) assert.equal((await node.del(`/v2/lbaas/loadbalancers/${lb.id}?cascade=true`)).status, 204);
    await settled(node, sandbox);
    await node.stop('SIGTERM', 30_000);
    await until('nothing is left running', () => processesUnder(sandbox.dataDir).length === 0);
  });
});
