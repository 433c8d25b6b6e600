import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, beforeEach, describe, it } from 'node:test';
import { loadConfig } from '../../src/common/config.js';
import { newId, nowTimestamp } from '../../src/common/ids.js';
import { createLogger } from '../../src/common/logger.js';
import { createDrivers } from '../../src/controller/drivers.js';
import { claimJob, enqueueJob, notifyJobsQueued, renewLease } from '../../src/controller/jobs/job-queue.js';
import type { Flow } from '../../src/controller/worker/flow.js';
import { FLOWS } from '../../src/controller/worker/flows/index.js';
import { runJob } from '../../src/controller/worker/runner.js';
import { Worker, type WorkerOptions } from '../../src/controller/worker/worker.js';
import { migrateToLatest, openDatabase, type Db } from '../../src/db/database.js';
import type { LoadBalancerRow } from '../../src/db/schema.js';
import { freshDatabaseUrl, TEST_DIALECT, TestService } from '../helpers/service.js';

/**
 * Four workers (the service's own and three more, each with its own node id) drain one job table.
 * Every step of every job must run exactly once, and the jobs of one load balancer one after another.
 * Leases: a holder keeps its job however long it runs, and a holder that lost its claim backs off.
 *
 * On PostgreSQL each extra worker has its own connection pool, as separate nodes would. On SQLite they
 * share the service's connection: better-sqlite3 waits for a file lock synchronously, so two connections
 * to one file inside one process block each other's event loop (separate processes are fine).
 */

const VIP_SUBNET = '11111111-2222-3333-4444-555555555555';
const EXTRA_WORKERS = 3;
const STEP_DELAY_MS = 3;

/** One run of one flow step, as the instrumented flows saw it. */
interface StepRun {
  job: number;
  lb: string | null;
  flow: string;
  step: number;
  start: number;
  end: number;
}

/** The same flow, recording the start and end of every step it runs. */
function instrumented(flow: Flow, runs: StepRun[]): Flow {
  return {
    ...flow,
    steps: flow.steps.map((step, index) => ({
      ...step,
      async run(ctx) {
        const start = performance.now();
        await step.run(ctx);
        runs.push({
          job: ctx.job.id,
          lb: ctx.job.loadBalancerId,
          flow: flow.name,
          step: index,
          start,
          end: performance.now(),
        });
      },
    })),
  };
}

function loadBalancerRow(name: string): LoadBalancerRow {
  return {
    id: newId(),
    project_id: 'project-a',
    name,
    description: '',
    provisioning_status: 'PENDING_CREATE',
    operating_status: 'OFFLINE',
    admin_state_up: true,
    created_at: nowTimestamp(),
    updated_at: null,
    vip_address: '198.51.100.1',
    vip_port_id: newId(),
    vip_subnet_id: VIP_SUBNET,
    vip_network_id: newId(),
    vip_qos_policy_id: null,
    vip_sg_ids: null,
    additional_vips: '[]',
    provider: 'amphora',
    flavor_id: null,
    availability_zone: null,
    topology: 'SINGLE',
  };
}

const runs: StepRun[] = [];
const originalFlows = { ...FLOWS };
// Every worker in this process runs the instrumented flows.
before(() => {
  for (const [name, flow] of Object.entries(originalFlows)) FLOWS[name] = instrumented(flow, runs);
});
after(() => {
  Object.assign(FLOWS, originalFlows);
});
// Job ids restart with every fresh database: each test looks at its own runs only.
beforeEach(() => {
  runs.length = 0;
});

/** A worker beside a TestService's own, on the same database (its own pool on PostgreSQL, see above). */
async function extraWorker(
  svc: TestService,
  nodeId: string,
  options: Partial<WorkerOptions> = {},
): Promise<{ worker: Worker; db: Db }> {
  const db = TEST_DIALECT === 'postgres' ? openDatabase(svc.config.database.url, svc.config.dataDir) : svc.node.db;
  const worker = new Worker(
    db,
    createDrivers(svc.config),
    { nodeId, concurrency: 4, pollIntervalMs: 20, leaseMs: 15000, stepDelayMs: STEP_DELAY_MS, ...options },
    createLogger('silent'),
  );
  await worker.start();
  return { worker, db };
}

async function stopExtraWorkers(svc: TestService | undefined, extra: Array<{ worker: Worker; db: Db }>): Promise<void> {
  for (const { worker } of extra) await worker.stop();
  for (const { db } of extra) if (db !== svc?.node.db) await db.close();
}

/** Every job ran each of its flow's steps exactly once, in one attempt, and finished; jobs per claiming node. */
async function assertRanExactlyOnce(db: Db, jobIds: number[]): Promise<Map<string, number>> {
  const jobs = await db.kysely.selectFrom('job').selectAll().where('id', 'in', jobIds).execute();
  assert.equal(jobs.length, jobIds.length);
  const claimers = new Map<string, number>();
  for (const job of jobs) {
    assert.equal(job.state, 'done', `job ${job.id}: ${job.error}`);
    assert.equal(job.attempts, 1, `job ${job.id} was claimed ${job.attempts} times`);
    const steps = runs
      .filter((r) => r.job === job.id)
      .map((r) => r.step)
      .sort((a, b) => a - b);
    assert.deepEqual(steps, [...originalFlows[job.flow]!.steps.keys()], `steps run by job ${job.id}`);
    claimers.set(job.claimed_by!, (claimers.get(job.claimed_by!) ?? 0) + 1);
  }
  return claimers;
}

async function assertActiveWithOneAmphora(db: Db, lbIds: string[]): Promise<void> {
  const lbs = await db.kysely
    .selectFrom('load_balancer')
    .select(['id', 'provisioning_status'])
    .where('id', 'in', lbIds)
    .execute();
  assert.equal(lbs.length, lbIds.length);
  for (const lb of lbs) assert.equal(lb.provisioning_status, 'ACTIVE', `load balancer ${lb.id}`);
  const amphorae = await db.kysely
    .selectFrom('amphora')
    .select('load_balancer_id')
    .where('load_balancer_id', 'in', lbIds)
    .execute();
  const perLb = new Map<string, number>();
  for (const a of amphorae) perLb.set(a.load_balancer_id!, (perLb.get(a.load_balancer_id!) ?? 0) + 1);
  for (const id of lbIds) assert.equal(perLb.get(id) ?? 0, 1, `amphorae of load balancer ${id}`);
}

async function createThroughApi(svc: TestService, count: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  // Eight clients at a time, so the workers claim while the API is still queuing.
  for (let batch = 0; batch < count; batch += 8) {
    const responses = await Promise.all(
      Array.from({ length: Math.min(8, count - batch) }, (_, i) =>
        svc.post('/v2/lbaas/loadbalancers', {
          loadbalancer: { name: `${prefix}-${batch + i}`, vip_subnet_id: VIP_SUBNET },
        }),
      ),
    );
    for (const res of responses) {
      assert.equal(res.status, 201);
      ids.push(res.body.loadbalancer.id);
    }
  }
  return ids;
}

async function jobIdsFor(db: Db, lbIds: string[]): Promise<number[]> {
  const rows = await db.kysely.selectFrom('job').select('id').where('load_balancer_id', 'in', lbIds).execute();
  return rows.map((r) => r.id);
}

describe('several workers on one job table', () => {
  let svc: TestService;
  const extra: Array<{ worker: Worker; db: Db }> = [];

  before(async () => {
    svc = await TestService.start({
      nodeId: 'worker-0',
      worker: { concurrency: 4, pollIntervalMs: 20, stepDelayMs: STEP_DELAY_MS },
    });
    for (let i = 1; i <= EXTRA_WORKERS; i++) extra.push(await extraWorker(svc, `worker-${i}`));
  });

  after(async () => {
    await stopExtraWorkers(svc, extra);
    await svc?.stop();
  });

  /** As assertRanExactlyOnce, and the work was shared, not done by one worker while the others idled. */
  async function assertShared(jobIds: number[]): Promise<Map<string, number>> {
    const claimers = await assertRanExactlyOnce(svc.node.db, jobIds);
    assert.ok(claimers.size >= 2, `jobs claimed by ${JSON.stringify([...claimers])}`);
    return claimers;
  }

  it('runs each of 60 load balancer creates exactly once', async (t) => {
    const ids = await createThroughApi(svc, 60, 'lb');
    await svc.settle(30000);
    const jobIds = await jobIdsFor(svc.node.db, ids);
    assert.equal(jobIds.length, 60);
    const claimers = await assertShared(jobIds);
    t.diagnostic(`jobs per worker: ${JSON.stringify(Object.fromEntries(claimers))}`);
    await assertActiveWithOneAmphora(svc.node.db, ids);
  });

  it('runs the jobs of one load balancer in order when several are queued at once', async (t) => {
    const lbIds: string[] = [];
    // 40 load balancers, each with its create and then an update queued in the same transaction.
    await svc.node.db.kysely.transaction().execute(async (trx) => {
      for (let i = 0; i < 40; i++) {
        const row = loadBalancerRow(`ordered-${i}`);
        lbIds.push(row.id);
        await trx.insertInto('load_balancer').values(row).execute();
        await enqueueJob(trx, {
          flow: 'loadbalancer.create',
          loadBalancerId: row.id,
          resourceId: row.id,
          payload: { locked: [] },
        });
        await enqueueJob(trx, {
          flow: 'apply-changes',
          loadBalancerId: row.id,
          resourceId: row.id,
          payload: { locked: [], targets: [{ table: 'load_balancer', id: row.id, action: 'update' }] },
        });
      }
    });
    notifyJobsQueued();
    await svc.settle(30000);

    const jobs = await svc.node.db.kysely
      .selectFrom('job')
      .selectAll()
      .where('load_balancer_id', 'in', lbIds)
      .orderBy('id')
      .execute();
    assert.equal(jobs.length, 80);
    const claimers = await assertShared(jobs.map((j) => j.id));
    t.diagnostic(`jobs per worker: ${JSON.stringify(Object.fromEntries(claimers))}`);
    await assertActiveWithOneAmphora(svc.node.db, lbIds);

    let overlapped = 0;
    for (const lbId of lbIds) {
      const [create, update] = jobs.filter((j) => j.load_balancer_id === lbId);
      assert.equal(create!.flow, 'loadbalancer.create');
      assert.equal(update!.flow, 'apply-changes');
      const createRuns = runs.filter((r) => r.job === create!.id);
      const updateRuns = runs.filter((r) => r.job === update!.id);
      const createEnd = Math.max(...createRuns.map((r) => r.end));
      const updateStart = Math.min(...updateRuns.map((r) => r.start));
      assert.ok(
        updateStart >= createEnd,
        `load balancer ${lbId}: update started ${createEnd - updateStart} ms before its create ended`,
      );
      // Jobs of different load balancers did run side by side, so the order above was not a matter of luck.
      if (runs.some((r) => r.lb !== lbId && r.start < createEnd && r.end > Math.min(...createRuns.map((c) => c.start))))
        overlapped++;
    }
    assert.ok(overlapped > lbIds.length / 2, `only ${overlapped} creates ran beside another load balancer's job`);
  });
});

describe('leases between workers', () => {
  it('keeps a lease shorter than its job alive, so nobody takes the job over', async () => {
    // A create takes 4 x 150 ms here, twice the lease: only the holder's renewals keep it.
    const worker = { leaseMs: 300, stepDelayMs: 150, pollIntervalMs: 20, concurrency: 4 };
    const svc = await TestService.start({ nodeId: 'short-0', worker });
    const extra = [await extraWorker(svc, 'short-1', worker)];
    try {
      const ids = await createThroughApi(svc, 8, 'short-lease');
      await svc.settle(30000);
      await assertRanExactlyOnce(svc.node.db, await jobIdsFor(svc.node.db, ids));
      await assertActiveWithOneAmphora(svc.node.db, ids);
    } finally {
      await stopExtraWorkers(svc, extra);
      await svc.stop();
    }
  });

  it("stops a worker whose claim was taken over, leaving the new holder's work alone", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tavia-lease-'));
    const database = await freshDatabaseUrl();
    const db = openDatabase(database.url, dataDir);
    try {
      await migrateToLatest(db);
      const drivers = createDrivers(loadConfig({ env: { TAVIA_NOOP: '1' } }));
      const log = createLogger('silent');
      const row = loadBalancerRow('stalled');
      await db.kysely.transaction().execute(async (trx) => {
        await trx.insertInto('load_balancer').values(row).execute();
        await enqueueJob(trx, {
          flow: 'loadbalancer.create',
          loadBalancerId: row.id,
          resourceId: row.id,
          payload: { locked: [] },
        });
      });
      // A worker claims the job and stalls past its lease; another takes the job and finishes it.
      const stalled = (await claimJob(db, 'stalled-node', 1))!;
      await new Promise((r) => setTimeout(r, 5));
      const healthy = (await claimJob(db, 'healthy-node', 15000))!;
      assert.equal(healthy.id, stalled.id);
      assert.equal(healthy.attempts, 2);
      const flow = originalFlows['loadbalancer.create']!;
      assert.equal(await runJob(db, drivers, flow, healthy, log), true);
      assert.equal(await renewLease(db, stalled, 15000), false);

      // The stalled worker wakes up: it must notice at its first save and stop, without a second amphora,
      // without reverting the healthy worker's amphora and without writing ERROR.
      assert.equal(await runJob(db, drivers, flow, stalled, log), false);
      const job = await db.kysely.selectFrom('job').selectAll().where('id', '=', stalled.id).executeTakeFirstOrThrow();
      assert.equal(job.state, 'done');
      assert.equal(job.claimed_by, 'healthy-node');
      assert.equal(job.step, flow.steps.length);
      assert.equal(JSON.parse(job.payload).amphoraId, healthy.payload.amphoraId);
      await assertActiveWithOneAmphora(db, [row.id]);
    } finally {
      await db.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
