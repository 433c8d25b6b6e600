import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseShowProc, pidAlive } from '../../src/amphora/agent/haproxy-process.js';
import { processAgentStateDir } from '../../src/compute/process/amphora-paths.js';
import type { Db } from '../../src/db/database.js';
import { TestService } from '../helpers/service.js';
import {
  BACKEND_ADDRESSES,
  createTrafficLoadBalancer,
  freePorts,
  HttpBackend,
  httpGet,
  memberOf,
  waitFor,
  type TrafficLoadBalancer,
} from '../helpers/traffic.js';

/**
 * kill -9 of an amphora's HAProxy (master and workers) on a real data plane (process compute, loopback
 * network, REST amphora driver): its heartbeats stop refreshing its health, the failover watch replaces
 * it, and the VIP answers again from a new amphora.
 *
 * Everything is real: the amphora's agent sends heartbeats, the node's health manager refreshes an
 * amphora's health only while every enabled listener is reported, and a killed HAProxy's listener is
 * missing from the heartbeat, so the node's failover watch sees the amphora fall silent.
 */

/** From kill -9 to the VIP answering again: the goal is 5 s at p50; bounded generously for a loaded machine. */
const RECOVERY_BOUND_MS = 20_000;

/** The HAProxy master pid of an amphora for a load balancer, from the pid file the agent keeps. */
function haproxyMasterPid(dataDir: string, amphoraId: string, lbId: string): number | undefined {
  const file = join(processAgentStateDir(dataDir, amphoraId), 'lb', lbId, 'haproxy.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** `show proc` on the master CLI: the worker pids. */
function workerPids(dataDir: string, amphoraId: string, lbId: string): Promise<number[]> {
  const socket = join(processAgentStateDir(dataDir, amphoraId), 'lb', lbId, 'master.sock');
  return new Promise((resolve, reject) => {
    const conn = connect(socket);
    let text = '';
    conn.setEncoding('utf8');
    conn.setTimeout(2000, () => conn.destroy(new Error('master CLI timed out')));
    conn.on('connect', () => conn.end('show proc\n'));
    conn.on('data', (chunk: string) => (text += chunk));
    conn.on('error', reject);
    conn.on('close', () => resolve(parseShowProc(text)?.workers.map((w) => w.pid) ?? []));
  });
}

async function amphoraOf(db: Db, lbId: string): Promise<string> {
  const rows = await db.kysely.selectFrom('amphora').select('id').where('load_balancer_id', '=', lbId).execute();
  assert.equal(rows.length, 1, `amphorae of ${lbId}: ${JSON.stringify(rows)}`);
  return rows[0]!.id;
}

describe('failover: kill -9 of an amphora HAProxy', () => {
  let svc: TestService | undefined;
  let startedAt = 0;
  const backends: HttpBackend[] = [];
  let victim: TrafficLoadBalancer;
  let bystander: TrafficLoadBalancer;

  before(async () => {
    startedAt = Date.now();
    svc = await TestService.start({
      drivers: { compute: 'process', network: 'loopback', amphora: 'rest' },
      health: { port: 0 },
    });
    backends.push(
      await HttpBackend.start('a', BACKEND_ADDRESSES[0]),
      await HttpBackend.start('b', BACKEND_ADDRESSES[1]),
    );
    const ports = await freePorts(2);
    const graph = (name: string, port: number) => ({
      name,
      listeners: [
        {
          name: `${name}-http`,
          protocol: 'HTTP',
          protocol_port: port,
          default_pool: {
            name: `${name}-pool`,
            protocol: 'HTTP',
            lb_algorithm: 'ROUND_ROBIN',
            members: backends.map((b) => memberOf(b)),
          },
        },
      ],
    });
    victim = await createTrafficLoadBalancer(svc, graph('victim', ports[0]!));
    bystander = await createTrafficLoadBalancer(svc, graph('bystander', ports[1]!));
  });

  after(async () => {
    await svc?.stop();
    for (const b of backends) await b.stop();
  });

  it('replaces the amphora: PENDING_UPDATE, then ACTIVE with a new amphora, and the VIP answers again', async (t) => {
    const s = svc!;
    const db = s.node.db;
    const endpoint = victim.listeners['victim-http']!.endpoint;
    const other = bystander.listeners['bystander-http']!.endpoint;
    assert.equal((await httpGet(endpoint)).status, 200);
    const old = await amphoraOf(db, victim.id);
    const bystanderAmphora = await amphoraOf(db, bystander.id);
    // The watch has listened for a whole heartbeat timeout before anything may be failed over.
    const { heartbeatTimeoutMs, checkIntervalMs } = s.config.health;
    const readyAt = startedAt + heartbeatTimeoutMs + 3 * checkIntervalMs;
    await new Promise((r) => setTimeout(r, Math.max(0, readyAt - Date.now())));
    await waitFor('both amphorae heard from', 10_000, async () => {
      const rows = await db.kysely
        .selectFrom('amphora_health')
        .select('last_update_ms')
        .where('amphora_id', 'in', [old, bystanderAmphora])
        .execute();
      return rows.length === 2 && rows.every((r) => Date.now() - r.last_update_ms < heartbeatTimeoutMs)
        ? true
        : undefined;
    });
    assert.equal(await amphoraOf(db, victim.id), old, 'a healthy amphora is left alone');

    const master = haproxyMasterPid(s.config.dataDir, old, victim.id);
    assert.ok(master !== undefined && pidAlive(master), 'the amphora HAProxy runs');
    const workers = await workerPids(s.config.dataDir, old, victim.id);
    assert.ok(workers.length > 0, 'show proc lists the workers');
    const killedAt = Date.now();
    for (const pid of [master, ...workers]) process.kill(pid, 'SIGKILL');
    await waitFor('the HAProxy processes to be gone', 5000, async () =>
      [master, ...workers].every((pid) => !pidAlive(pid)) ? true : undefined,
    );
    await assert.rejects(httpGet(endpoint, '/', { timeoutMs: 1000 }), 'the VIP no longer answers');

    // Watch the load balancer's status closely until it is ACTIVE again on another amphora.
    const seen: string[] = [];
    let answeredAt = 0;
    const deadline = killedAt + RECOVERY_BOUND_MS;
    for (;;) {
      assert.ok(Date.now() < deadline, `not failed over within ${RECOVERY_BOUND_MS} ms; statuses seen: ${seen}`);
      const lb = await db.kysely
        .selectFrom('load_balancer')
        .select('provisioning_status')
        .where('id', '=', victim.id)
        .executeTakeFirstOrThrow();
      if (seen.at(-1) !== lb.provisioning_status) seen.push(lb.provisioning_status);
      if (!answeredAt) {
        const answer = await httpGet(endpoint, '/', { timeoutMs: 200 }).catch(() => undefined);
        if (answer?.status === 200) answeredAt = Date.now();
      }
      if (lb.provisioning_status === 'ACTIVE' && seen.includes('PENDING_UPDATE') && answeredAt) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    t.diagnostic(`kill -9 -> VIP answering: ${answeredAt - killedAt} ms; statuses ${seen.join(' -> ')}`);
    assert.deepEqual(seen, ['ACTIVE', 'PENDING_UPDATE', 'ACTIVE']);

    const replacement = await amphoraOf(db, victim.id);
    assert.notEqual(replacement, old);
    const shown = await s.get(`/v2/octavia/amphorae/${replacement}`);
    assert.equal(shown.body.amphora.status, 'ALLOCATED');
    assert.equal(shown.body.amphora.vrrp_ip, victim.vip, 'the replacement carries the same VIP');
    assert.equal((await s.get(`/v2/octavia/amphorae/${old}`)).status, 404);
    const oldHealth = await db.kysely
      .selectFrom('amphora_health')
      .select('amphora_id')
      .where('amphora_id', '=', old)
      .executeTakeFirst();
    assert.equal(oldHealth, undefined, 'the old amphora health row is gone');
    const newHealth = await db.kysely
      .selectFrom('amphora_health')
      .selectAll()
      .where('amphora_id', '=', replacement)
      .executeTakeFirstOrThrow();
    assert.ok(Number(newHealth.last_update_ms) >= killedAt);
    // Every member answers through the new amphora, on the same VIP and port.
    const names = new Set<string>();
    for (let i = 0; i < 6; i++) names.add((await httpGet(endpoint)).body);
    assert.deepEqual([...names].sort(), ['a', 'b']);
    for (const path of [
      `/v2/lbaas/loadbalancers/${victim.id}`,
      `/v2/lbaas/listeners/${victim.listeners['victim-http']!.id}`,
      `/v2/lbaas/pools/${victim.pools['victim-pool']}`,
    ]) {
      const body = Object.values((await s.get(path)).body as Record<string, { provisioning_status: string }>)[0]!;
      assert.equal(body.provisioning_status, 'ACTIVE', path);
    }
    // The other load balancer was never touched.
    assert.equal(await amphoraOf(db, bystander.id), bystanderAmphora);
    assert.equal((await httpGet(other)).status, 200);
    const jobs = await db.kysely
      .selectFrom('job')
      .select(['resource_id', 'state'])
      .where('flow', '=', 'loadbalancer.failover')
      .execute();
    assert.deepEqual(jobs, [{ resource_id: old, state: 'done' }]);
  });
});
