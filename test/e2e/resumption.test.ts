import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId, nowTimestamp } from '../../src/common/ids.js';
import { countOpenJobs } from '../../src/controller/jobs/job-queue.js';
import { FLOWS } from '../../src/controller/worker/flows/index.js';
import type { Db } from '../../src/db/database.js';
import type { JobRow, ResourceTable } from '../../src/db/schema.js';
import { listenerRow, poolRow } from '../helpers/rows.js';
import { killAllProcessNodes, NodeSandbox, ProcessNode } from '../helpers/process-node.js';

/**
 * Crash safety of the controller: `tavia up` runs as a child process with a pause before every flow
 * step, is killed with SIGKILL while a job is half done, and started again on the same database.
 * The job must finish from where it stopped, without doing a finished step's work twice.
 */

const STEP_DELAY_MS = 300;
const VIP_SUBNET = '11111111-2222-3333-4444-555555555555';
const RESOURCE_TABLES: ResourceTable[] = [
  'load_balancer',
  'listener',
  'pool',
  'member',
  'health_monitor',
  'l7policy',
  'l7rule',
];

type Job = Omit<JobRow, 'id'> & { id: number };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `probe` until it returns a value (not undefined), for at most `timeoutMs`. */
async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  everyMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function jobOf(db: Db, resourceId: string, flow: string): Promise<Job | undefined> {
  const row = await db.kysely
    .selectFrom('job')
    .selectAll()
    .where('resource_id', '=', resourceId)
    .where('flow', '=', flow)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row as Job | undefined;
}

/** Wait until the job has saved at least one step but is not finished, the moment to pull the plug. */
function midFlow(db: Db, resourceId: string, flow: string, minStep = 1): Promise<Job> {
  return waitFor(
    `${flow} of ${resourceId} to be under way`,
    15000,
    async () => {
      const job = await jobOf(db, resourceId, flow);
      return job && job.state === 'running' && job.step >= minStep ? job : undefined;
    },
    5,
  );
}

function finished(db: Db, resourceId: string, flow: string, timeoutMs = 20000): Promise<Job> {
  return waitFor(`${flow} of ${resourceId} to finish`, timeoutMs, async () => {
    const job = await jobOf(db, resourceId, flow);
    return job && (job.state === 'done' || job.state === 'failed') ? job : undefined;
  });
}

async function provisioningStatus(db: Db, table: ResourceTable, id: string): Promise<string | undefined> {
  const row = await db.kysely.selectFrom(table).select('provisioning_status').where('id', '=', id).executeTakeFirst();
  return row?.provisioning_status;
}

/** Every row of every resource table still in a PENDING_* state. */
async function pendingRows(db: Db): Promise<string[]> {
  const found: string[] = [];
  for (const table of RESOURCE_TABLES) {
    const rows = await db.kysely
      .selectFrom(table)
      .select(['id', 'provisioning_status'])
      .where('provisioning_status', 'like', 'PENDING_%')
      .execute();
    for (const r of rows) found.push(`${table} ${r.id} ${r.provisioning_status}`);
  }
  return found;
}

async function amphoraCount(db: Db, lbId: string): Promise<number> {
  const rows = await db.kysely.selectFrom('amphora').select('id').where('load_balancer_id', '=', lbId).execute();
  return rows.length;
}

/** Kill the node with SIGKILL, as a crash would, and check it went down that way. */
async function crash(node: ProcessNode): Promise<void> {
  node.kill('SIGKILL');
  const { signal } = await node.waitForExit(10000);
  assert.equal(signal, 'SIGKILL');
}

/** The job is stopped half way: still claimed, not at its last step. */
function assertHalfDone(job: Job, nodeId: string): void {
  const steps = FLOWS[job.flow]!.steps.length;
  assert.equal(job.state, 'running', 'the job should still be open after the crash');
  assert.equal(job.claimed_by, nodeId);
  assert.ok(job.step >= 1 && job.step < steps, `step ${job.step} should be inside the flow (1..${steps - 1})`);
  assert.equal(job.attempts, 1);
}

async function assertAllSettled(db: Db): Promise<void> {
  assert.deepEqual(await pendingRows(db), []);
  assert.equal(await countOpenJobs(db), 0);
}

/** A listener, a pool (its default) with a health monitor, and two members, all ACTIVE, written straight to the tables. */
async function insertChildren(db: Db, lbId: string): Promise<Record<ResourceTable, string[]>> {
  const now = nowTimestamp();
  const base = {
    project_id: 'project-a',
    provisioning_status: 'ACTIVE',
    operating_status: 'ONLINE',
    admin_state_up: true,
    created_at: now,
    updated_at: null,
  };
  const poolId = newId();
  const listenerId = newId();
  const hmId = newId();
  const memberIds = [newId(), newId()];
  await db.kysely.transaction().execute(async (trx) => {
    await trx
      .insertInto('pool')
      .values(poolRow(lbId, { ...base, id: poolId, name: 'pool' }))
      .execute();
    await trx
      .insertInto('listener')
      .values(listenerRow(lbId, { ...base, id: listenerId, name: 'listener', default_pool_id: poolId }))
      .execute();
    for (const [i, id] of memberIds.entries())
      await trx
        .insertInto('member')
        .values({
          ...base,
          id,
          pool_id: poolId,
          name: `m${i}`,
          address: `192.0.2.${10 + i}`,
          protocol_port: 8080,
          weight: 1,
          backup: false,
          subnet_id: null,
          monitor_address: null,
          monitor_port: null,
          vnic_type: 'normal',
        })
        .execute();
    await trx
      .insertInto('health_monitor')
      .values({
        ...base,
        id: hmId,
        pool_id: poolId,
        name: 'hm',
        type: 'HTTP',
        delay: 5,
        timeout: 3,
        max_retries: 3,
        max_retries_down: 3,
        http_method: 'GET',
        url_path: '/',
        expected_codes: '200',
        http_version: null,
        domain_name: null,
      })
      .execute();
    await trx.insertInto('tag').values({ resource_id: listenerId, tag: 'child' }).execute();
  });
  return {
    load_balancer: [lbId],
    listener: [listenerId],
    pool: [poolId],
    member: memberIds,
    health_monitor: [hmId],
    l7policy: [],
    l7rule: [],
  };
}

describe('controller resumption after kill -9', () => {
  let sandbox: NodeSandbox;
  let db: Db;

  before(async () => {
    sandbox = await NodeSandbox.create();
    db = sandbox.openDb();
  });
  after(async () => {
    await killAllProcessNodes();
    await db?.close();
    await sandbox?.destroy();
  });

  const start = (nodeId: string, configPath?: string) =>
    ProcessNode.start(sandbox, { nodeId, stepDelayMs: STEP_DELAY_MS, configPath });

  /** Create a load balancer through `node` and wait until the worker made it ACTIVE. */
  async function activeLoadBalancer(node: ProcessNode, name: string): Promise<string> {
    const res = await node.post('/v2/lbaas/loadbalancers', { loadbalancer: { name, vip_subnet_id: VIP_SUBNET } });
    assert.equal(res.status, 201);
    const id = res.body.loadbalancer.id as string;
    await finished(db, id, 'loadbalancer.create');
    assert.equal(await provisioningStatus(db, 'load_balancer', id), 'ACTIVE');
    return id;
  }

  it('finishes a load balancer create after a crash, with exactly one amphora', async () => {
    const first = await start('node-a');
    const res = await first.post('/v2/lbaas/loadbalancers', {
      loadbalancer: { name: 'crash-create', vip_subnet_id: VIP_SUBNET },
    });
    assert.equal(res.status, 201);
    const id = res.body.loadbalancer.id as string;
    await midFlow(db, id, 'loadbalancer.create');
    await crash(first);

    const stopped = (await jobOf(db, id, 'loadbalancer.create'))!;
    assertHalfDone(stopped, 'node-a');
    assert.equal(await provisioningStatus(db, 'load_balancer', id), 'PENDING_CREATE');
    const leaseUntil = Number(stopped.lease_until);

    const second = await start('node-a');
    const job = await finished(db, id, 'loadbalancer.create');
    // The same node takes its own jobs back at once instead of waiting for the lease to run out.
    assert.ok(Date.now() < leaseUntil, 'a restarted node should resume its jobs before their lease expires');
    assert.equal(job.state, 'done');
    assert.equal(job.attempts, 2);
    assert.equal(job.step, FLOWS['loadbalancer.create']!.steps.length);
    const shown = await second.get(`/v2/lbaas/loadbalancers/${id}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.loadbalancer.provisioning_status, 'ACTIVE');
    assert.equal(await amphoraCount(db, id), 1);
    const amphora = await db.kysely
      .selectFrom('amphora')
      .selectAll()
      .where('load_balancer_id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(amphora.id, JSON.parse(job.payload).amphoraId);
    assert.equal(amphora.status, 'ALLOCATED');
    await assertAllSettled(db);
    await second.stop();
  });

  it('re-runs a half-done amphora build without building a second amphora', async () => {
    const first = await start('node-a');
    const res = await first.post('/v2/lbaas/loadbalancers', {
      loadbalancer: { name: 'crash-in-build', vip_subnet_id: VIP_SUBNET },
    });
    assert.equal(res.status, 201);
    const id = res.body.loadbalancer.id as string;
    // Stop after the build step wrote its amphora row ...
    await midFlow(db, id, 'loadbalancer.create', 2);
    await crash(first);
    assert.equal(await amphoraCount(db, id), 1);
    // ... and make the job look as if the crash came before the build step recorded its completion.
    await db.kysely
      .updateTable('job')
      .set({ step: 1 })
      .where('resource_id', '=', id)
      .where('flow', '=', 'loadbalancer.create')
      .execute();

    const second = await start('node-a');
    const job = await finished(db, id, 'loadbalancer.create');
    assert.equal(job.state, 'done');
    assert.equal(await provisioningStatus(db, 'load_balancer', id), 'ACTIVE');
    assert.equal(await amphoraCount(db, id), 1);
    await assertAllSettled(db);
    await second.stop();
  });

  it('finishes a load balancer update after a crash', async () => {
    const first = await start('node-a');
    const id = await activeLoadBalancer(first, 'crash-update');
    const res = await first.put(`/v2/lbaas/loadbalancers/${id}`, {
      loadbalancer: { description: 'written before the crash' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.loadbalancer.provisioning_status, 'PENDING_UPDATE');
    await midFlow(db, id, 'apply-changes');
    await crash(first);

    assertHalfDone((await jobOf(db, id, 'apply-changes'))!, 'node-a');
    assert.equal(await provisioningStatus(db, 'load_balancer', id), 'PENDING_UPDATE');

    const second = await start('node-a');
    const job = await finished(db, id, 'apply-changes');
    assert.equal(job.state, 'done');
    assert.equal(job.attempts, 2);
    const shown = await second.get(`/v2/lbaas/loadbalancers/${id}`);
    assert.equal(shown.body.loadbalancer.provisioning_status, 'ACTIVE');
    assert.equal(shown.body.loadbalancer.description, 'written before the crash');
    assert.equal(await amphoraCount(db, id), 1);
    await assertAllSettled(db);
    await second.stop();
  });

  it('finishes a cascade delete after a crash, leaving no child row behind', async () => {
    const first = await start('node-a');
    const id = await activeLoadBalancer(first, 'crash-delete');
    const tree = await insertChildren(db, id);
    const res = await first.del(`/v2/lbaas/loadbalancers/${id}?cascade=true`);
    assert.equal(res.status, 204);
    await midFlow(db, id, 'loadbalancer.delete');
    await crash(first);

    assertHalfDone((await jobOf(db, id, 'loadbalancer.delete'))!, 'node-a');
    for (const [table, ids] of Object.entries(tree) as Array<[ResourceTable, string[]]>)
      for (const rowId of ids)
        assert.equal(await provisioningStatus(db, table, rowId), 'PENDING_DELETE', `${table} ${rowId}`);

    const second = await start('node-a');
    const job = await finished(db, id, 'loadbalancer.delete');
    assert.equal(job.state, 'done');
    assert.equal(job.attempts, 2);
    for (const [table, ids] of Object.entries(tree) as Array<[ResourceTable, string[]]>)
      for (const rowId of ids)
        assert.equal(await provisioningStatus(db, table, rowId), undefined, `${table} ${rowId} should be gone`);
    assert.equal(await amphoraCount(db, id), 0);
    const tags = await db.kysely.selectFrom('tag').select('tag').where('resource_id', 'in', tree.listener).execute();
    assert.deepEqual(tags, []);
    assert.equal((await second.get(`/v2/lbaas/loadbalancers/${id}`)).status, 404);
    await assertAllSettled(db);
    await second.stop();
  });

  it("lets a node with another id take a crashed node's job only once its lease has run out", async () => {
    // Long enough for the second node to be up and polling well before the lease ends.
    const config = sandbox.writeConfig('lease.yaml', 'worker:\n  lease_ms: 15000\n  poll_interval_ms: 100\n');
    const first = await start('node-a', config);
    const res = await first.post('/v2/lbaas/loadbalancers', {
      loadbalancer: { name: 'crash-takeover', vip_subnet_id: VIP_SUBNET },
    });
    assert.equal(res.status, 201);
    const id = res.body.loadbalancer.id as string;
    await midFlow(db, id, 'loadbalancer.create');
    await crash(first);
    const stopped = (await jobOf(db, id, 'loadbalancer.create'))!;
    assertHalfDone(stopped, 'node-a');
    const leaseUntil = Number(stopped.lease_until);

    const second = await start('node-b', config);
    const readyAt = Date.now();
    assert.ok(
      readyAt < leaseUntil - 1000,
      `node-b should be up at least 1 s before the lease ends (${leaseUntil - readyAt} ms left)`,
    );
    // While the lease holds, node-b polls (every 100 ms) and must leave the job alone.
    let observations = 0;
    const takenAt = await waitFor('node-b to take the job over', 30000, async () => {
      const job = (await jobOf(db, id, 'loadbalancer.create'))!;
      const now = Date.now();
      if (job.claimed_by === 'node-b') return now;
      assert.equal(job.claimed_by, 'node-a');
      assert.equal(job.state, 'running');
      assert.equal(job.step, stopped.step, 'nobody should run the job while its lease holds');
      observations++;
      return undefined;
    });
    assert.ok(takenAt >= leaseUntil, `taken over ${leaseUntil - takenAt} ms before the lease ended`);
    assert.ok(observations > 10, 'the job should have been watched while the lease held');

    const job = await finished(db, id, 'loadbalancer.create');
    assert.equal(job.state, 'done');
    assert.equal(job.claimed_by, 'node-b');
    assert.equal(job.attempts, 2);
    assert.equal((await second.get(`/v2/lbaas/loadbalancers/${id}`)).body.loadbalancer.provisioning_status, 'ACTIVE');
    assert.equal(await amphoraCount(db, id), 1);
    await assertAllSettled(db);
    await second.stop();
  });
});
