import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { NoopAmphoraDriver } from '../../src/amphora/driver/noop-amphora-driver.js';
import { NoopComputeDriver } from '../../src/compute/noop/noop-compute-driver.js';
import { openDatabase, type Db } from '../../src/db/database.js';
import { toBool } from '../../src/db/schema.js';
import type { WatchTime } from '../../src/health/failover-decision.js';
import {
  startFailoverWatch,
  type FailoverWatch,
  type FailoverWatchOptions,
  type TickReport,
} from '../../src/health/failover-watch.js';
import { TEST_DIALECT, TestService } from '../helpers/service.js';

/**
 * The failover watch against a real database and worker (noop drivers): heartbeats are simulated by
 * writing amphora_health rows (a last_update_ms in the past is a silent amphora). The watch runs on a
 * clock the test moves, and ticks when the test says, so nothing here waits for real time to pass.
 */

const HEALTH = {
  heartbeatIntervalMs: 1000,
  heartbeatTimeoutMs: 3000,
  checkIntervalMs: 500,
  failoverThreshold: 0.5,
  failoverConcurrency: 10,
};
const SILENT_FOR_MS = 60_000;

/** Real time shifted by an offset the test advances; it starts one timeout behind so a warmed-up watch is on time. */
class TestClock {
  private offset = -HEALTH.heartbeatTimeoutMs;
  now = (): WatchTime => ({ wallMs: Date.now() + this.offset, monoMs: performance.now() + this.offset });
  advance(ms: number): void {
    this.offset += ms;
  }
}

/** Log lines at warn and above, parsed. */
function capturingLogger() {
  const lines: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino({ level: 'warn' }, stream), lines, errors: () => lines.filter((l) => l.level >= 50) };
}

interface Harness {
  svc: TestService;
  db: Db;
  clock: TestClock;
  watch: FailoverWatch;
  logs: ReturnType<typeof capturingLogger>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/**
 * A service whose own configuration would never fail anything over (should a watch run inside the node),
 * and a watch of the test's with the defaults' timing on a test clock.
 */
async function harness(
  health: Partial<typeof HEALTH> = {},
  extra: Partial<FailoverWatchOptions> = {},
): Promise<Harness> {
  const svc = await TestService.start({ health: { port: 0, heartbeatTimeoutMs: 3_600_000 } });
  cleanups.push(() => svc.stop());
  const clock = new TestClock();
  const logs = capturingLogger();
  const watch = startFailoverWatch({
    db: svc.node.db,
    config: { health: { ...svc.config.health, ...HEALTH, ...health } },
    log: logs.log,
    clock: clock.now,
    autoTick: false,
    ...extra,
  });
  cleanups.push(() => watch.stop());
  return { svc, db: svc.node.db, clock, watch, logs };
}

/** Tick every half interval until the watch has watched for a whole timeout; returns the reports. */
async function warmUp(h: { watch: FailoverWatch; clock: TestClock }): Promise<TickReport[]> {
  const reports: TickReport[] = [];
  for (let i = 0; i < 20; i++) {
    const report = await h.watch.tick();
    reports.push(report);
    if (report.ready) return reports;
    h.clock.advance(HEALTH.checkIntervalMs);
  }
  throw new Error('the watch never became ready');
}

async function createLoadBalancers(svc: TestService, count: number): Promise<Array<{ lb: string; amphora: string }>> {
  const out = [];
  for (let i = 0; i < count; i++) {
    const lb = await svc.createLoadBalancer({ name: `fo-${i}` });
    out.push({ lb: lb.id as string, amphora: await amphoraOf(svc.node.db, lb.id) });
  }
  return out;
}

async function amphoraOf(db: Db, lbId: string): Promise<string> {
  const rows = await db.kysely.selectFrom('amphora').select('id').where('load_balancer_id', '=', lbId).execute();
  assert.equal(rows.length, 1, `amphorae of ${lbId}`);
  return rows[0]!.id;
}

async function healthRow(db: Db, amphoraId: string) {
  const row = await db.kysely
    .selectFrom('amphora_health')
    .selectAll()
    .where('amphora_id', '=', amphoraId)
    .executeTakeFirst();
  return row && { lastUpdateMs: Number(row.last_update_ms), lastSeq: Number(row.last_seq), busy: toBool(row.busy) };
}

/** Heartbeats stop (the last one was long ago) or come back (one now), as a health manager would record them. */
async function setHeard(db: Db, ids: string[], atMs: number): Promise<void> {
  await db.kysely.updateTable('amphora_health').set({ last_update_ms: atMs }).where('amphora_id', 'in', ids).execute();
}
const silence = (h: Harness, ids: string[]) => setHeard(h.db, ids, h.clock.now().wallMs - SILENT_FOR_MS);
const hear = (h: Harness, ids: string[]) => setHeard(h.db, ids, h.clock.now().wallMs);

async function amphoraStatus(db: Db, id: string): Promise<string | undefined> {
  const row = await db.kysely.selectFrom('amphora').select('status').where('id', '=', id).executeTakeFirst();
  return row?.status;
}
async function lbStatus(db: Db, id: string): Promise<string> {
  const row = await db.kysely
    .selectFrom('load_balancer')
    .select('provisioning_status')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return row.provisioning_status;
}
async function failoverJobs(db: Db) {
  const rows = await db.kysely
    .selectFrom('job')
    .select(['load_balancer_id', 'resource_id', 'state', 'payload'])
    .where('flow', '=', 'loadbalancer.failover')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> }));
}

describe('failover watch', () => {
  it('gives every built amphora a health row at once, and adopts amphorae without one', async () => {
    const h = await harness();
    const before = Date.now();
    const [first] = await createLoadBalancers(h.svc, 1);
    const row = await healthRow(h.db, first!.amphora);
    // Heard "now" from the moment it is built: an amphora that never sends a heartbeat is failed over too.
    assert.ok(row && row.lastUpdateMs >= before && row.lastUpdateMs <= Date.now(), JSON.stringify(row));
    assert.deepEqual({ lastSeq: row.lastSeq, busy: row.busy }, { lastSeq: 0, busy: false });

    await h.db.kysely.deleteFrom('amphora_health').execute();
    await h.db.kysely
      .insertInto('amphora_health')
      .values({ amphora_id: 'gone', last_update_ms: 1, last_seq: 0, busy: false })
      .execute();
    await h.watch.tick();
    const adopted = await healthRow(h.db, first!.amphora);
    assert.ok(adopted && adopted.lastUpdateMs >= h.clock.now().wallMs - 1000, JSON.stringify(adopted));
    assert.equal(await healthRow(h.db, 'gone'), undefined, 'rows of amphorae that do not exist are removed');
  });

  it('fails over a silent amphora: LB PENDING_UPDATE, then ACTIVE with a new amphora; old health row gone', async () => {
    const h = await harness();
    const lbs = await createLoadBalancers(h.svc, 3);
    const target = lbs[1]!;
    // Silent from before the watch started: the watch must first listen for a whole timeout.
    await silence(h, [target.amphora]);
    await h.svc.whilePaused(async () => {
      const warmup = await warmUp(h);
      assert.ok(warmup.length >= 6, `ready after ${warmup.length} ticks`);
      assert.deepEqual(
        warmup.slice(0, -1).flatMap((r) => r.started),
        [],
      );
      // The first ready tick queued it; one more tick must not queue a second failover.
      assert.deepEqual(warmup.at(-1)!.started, [target.amphora]);
      assert.deepEqual((await h.watch.tick()).started, []);
      assert.equal(await lbStatus(h.db, target.lb), 'PENDING_UPDATE');
      assert.deepEqual((await healthRow(h.db, target.amphora))?.busy, true);
      const jobs = await failoverJobs(h.db);
      assert.equal(jobs.length, 1);
      assert.deepEqual(
        { ...jobs[0], payload: undefined },
        { load_balancer_id: target.lb, resource_id: target.amphora, state: 'pending', payload: undefined },
      );
      assert.deepEqual(jobs[0]!.payload, {
        locked: [{ table: 'load_balancer', id: target.lb }],
        amphoraToReplace: target.amphora,
      });
    });
    const settledAt = Date.now();
    assert.equal(await lbStatus(h.db, target.lb), 'ACTIVE');
    const replacement = await amphoraOf(h.db, target.lb);
    assert.notEqual(replacement, target.amphora);
    assert.equal(await amphoraStatus(h.db, replacement), 'ALLOCATED');
    assert.equal(await amphoraStatus(h.db, target.amphora), undefined);
    assert.equal(await healthRow(h.db, target.amphora), undefined, 'the old amphora health row is removed');
    const fresh = await healthRow(h.db, replacement);
    assert.ok(fresh && fresh.lastUpdateMs >= settledAt - 5000 && !fresh.busy, JSON.stringify(fresh));
    const api = await h.svc.get(`/v2/lbaas/loadbalancers/${target.lb}`);
    assert.equal(api.body.loadbalancer.provisioning_status, 'ACTIVE');
    // The others were never touched.
    for (const other of [lbs[0]!, lbs[2]!]) assert.equal(await amphoraOf(h.db, other.lb), other.amphora);
    assert.equal((await failoverJobs(h.db))[0]!.state, 'done');
    assert.deepEqual((await h.watch.tick()).started, []);
  });

  it('after a stall of the watch, waits a whole timeout again before failing over', async () => {
    const h = await harness();
    const [a, b] = await createLoadBalancers(h.svc, 2);
    await warmUp(h);
    // The process was blocked for 2 s; meanwhile one amphora fell silent, the other keeps sending.
    h.clock.advance(2000);
    await silence(h, [a!.amphora]);
    await hear(h, [b!.amphora]);
    const afterStall = await h.watch.tick();
    assert.equal(afterStall.stalled, true);
    assert.deepEqual(afterStall.started, []);
    assert.ok(h.logs.lines.some((l) => /failover watch was paused/.test(l.msg)));
    const again: TickReport[] = [];
    for (let t = 0; t < 3000; t += 500) {
      h.clock.advance(500);
      await hear(h, [b!.amphora]);
      again.push(await h.watch.tick());
    }
    assert.deepEqual(
      again.slice(0, -1).map((r) => [r.ready, r.started.length]),
      [
        [false, 0],
        [false, 0],
        [false, 0],
        [false, 0],
        [false, 0],
      ],
    );
    assert.deepEqual(again.at(-1)!.started, [a!.amphora]);
    await h.svc.settle();
    assert.notEqual(await amphoraOf(h.db, a!.lb), a!.amphora);
  });

  it('storm guard: many silent at once are held FAILOVER_STOPPED, none failed over; released as they are heard', async () => {
    const h = await harness();
    const lbs = await createLoadBalancers(h.svc, 6);
    await warmUp(h);
    const silentOnes = lbs.slice(0, 4).map((x) => x.amphora);
    await silence(h, silentOnes);
    const storm = await h.watch.tick();
    assert.equal(storm.storm, true);
    assert.equal(storm.silent, 4);
    assert.deepEqual(storm.started, []);
    assert.deepEqual([...storm.held].sort(), [...silentOnes].sort());
    for (const id of silentOnes) {
      assert.equal(await amphoraStatus(h.db, id), 'FAILOVER_STOPPED');
      const shown = await h.svc.get(`/v2/octavia/amphorae/${id}`);
      assert.equal(shown.body.amphora.status, 'FAILOVER_STOPPED');
    }
    for (const x of lbs) assert.equal(await lbStatus(h.db, x.lb), 'ACTIVE');
    const errors = h.logs.errors().filter((l) => /too many amphorae silent/.test(l.msg));
    assert.equal(errors.length, 1);
    assert.deepEqual([errors[0]!.silent, errors[0]!.watched], [4, 6]);

    // Still a storm next time: nothing starts, nothing is logged again as a new storm.
    h.clock.advance(500);
    const still = await h.watch.tick();
    assert.deepEqual([still.storm, still.started, still.held], [true, [], []]);
    assert.equal(h.logs.errors().filter((l) => /too many amphorae silent/.test(l.msg)).length, 1);
    assert.deepEqual(await failoverJobs(h.db), []);

    // The network heals for three of them: they are ALLOCATED again, and the one still silent is failed over.
    await hear(h, silentOnes.slice(0, 3));
    h.clock.advance(500);
    const healed = await h.watch.tick();
    assert.deepEqual([...healed.released].sort(), silentOnes.slice(0, 3).sort());
    assert.equal(healed.storm, false);
    assert.deepEqual(healed.started, [silentOnes[3]]);
    await h.svc.settle();
    for (const id of silentOnes.slice(0, 3)) assert.equal(await amphoraStatus(h.db, id), 'ALLOCATED');
    assert.equal(await amphoraStatus(h.db, silentOnes[3]!), undefined);
    assert.notEqual(await amphoraOf(h.db, lbs[3]!.lb), silentOnes[3]);
    assert.equal((await failoverJobs(h.db)).length, 1);
  });

  it('a held amphora can be failed over with the amphora failover API', async () => {
    const h = await harness();
    const lbs = await createLoadBalancers(h.svc, 2);
    await warmUp(h);
    await silence(
      h,
      lbs.map((x) => x.amphora),
    );
    assert.equal((await h.watch.tick()).held.length, 2);
    const res = await h.svc.put(`/v2/octavia/amphorae/${lbs[0]!.amphora}/failover`, undefined);
    assert.equal(res.status, 202);
    await h.svc.settle();
    assert.equal(await amphoraStatus(h.db, lbs[0]!.amphora), undefined);
    assert.equal(await healthRow(h.db, lbs[0]!.amphora), undefined);
    const replacement = await amphoraOf(h.db, lbs[0]!.lb);
    assert.equal((await healthRow(h.db, replacement))?.busy, false);
    assert.equal(await lbStatus(h.db, lbs[0]!.lb), 'ACTIVE');
  });

  it('leaves an amphora whose load balancer is immutable, and fails it over once the LB is ACTIVE', async () => {
    const h = await harness();
    const [a] = await createLoadBalancers(h.svc, 2);
    await warmUp(h);
    await silence(h, [a!.amphora]);
    await h.db.kysely
      .updateTable('load_balancer')
      .set({ provisioning_status: 'PENDING_UPDATE' })
      .where('id', '=', a!.lb)
      .execute();
    assert.deepEqual((await h.watch.tick()).started, []);
    assert.equal((await healthRow(h.db, a!.amphora))?.busy, false, 'the claim was rolled back');
    assert.deepEqual(await failoverJobs(h.db), []);
    await h.db.kysely
      .updateTable('load_balancer')
      .set({ provisioning_status: 'ERROR' })
      .where('id', '=', a!.lb)
      .execute();
    h.clock.advance(500);
    assert.deepEqual((await h.watch.tick()).started, [a!.amphora]);
    await h.svc.settle();
    assert.equal(await lbStatus(h.db, a!.lb), 'ACTIVE');
  });

  it('does not call silent an amphora whose heartbeats wait unwritten in the health manager', async () => {
    let backlogMs = 2000;
    const h = await harness({}, { unwrittenHeartbeatAgeMs: () => backlogMs });
    const [a] = await createLoadBalancers(h.svc, 2);
    await warmUp(h);
    // Last written 4 s ago: past the 3 s timeout, but heartbeats have waited 2 s to be written.
    await setHeard(h.db, [a!.amphora], h.clock.now().wallMs - 4000);
    assert.deepEqual((await h.watch.tick()).silent, 0);
    backlogMs = 0;
    h.clock.advance(500);
    assert.deepEqual((await h.watch.tick()).started, [a!.amphora]);
    await h.svc.settle();
  });

  it('keeps at most failoverConcurrency failovers under way', async () => {
    const h = await harness({ failoverConcurrency: 2 });
    const lbs = await createLoadBalancers(h.svc, 10);
    await warmUp(h);
    const silentOnes = lbs.slice(0, 4).map((x) => x.amphora);
    await silence(h, silentOnes);
    await h.svc.whilePaused(async () => {
      const first = await h.watch.tick();
      assert.equal(first.storm, false);
      // Longest silent first; equal silence: by id.
      assert.deepEqual(first.started, [...silentOnes].sort().slice(0, 2));
      h.clock.advance(500);
      assert.deepEqual((await h.watch.tick()).started, []);
    });
    h.clock.advance(500);
    const second = await h.watch.tick();
    assert.deepEqual(second.started, [...silentOnes].sort().slice(2));
    await h.svc.settle();
    for (const x of lbs.slice(0, 4)) assert.notEqual(await amphoraOf(h.db, x.lb), x.amphora);
  });

  it('holds a load balancer that keeps failing over, until an operator acts', async () => {
    const h = await harness({}, { flapLimit: 2 });
    const [a] = await createLoadBalancers(h.svc, 3);
    await warmUp(h);
    let current = a!.amphora;
    for (let i = 0; i < 2; i++) {
      await silence(h, [current]);
      h.clock.advance(500);
      assert.deepEqual((await h.watch.tick()).started, [current]);
      await h.svc.settle();
      current = await amphoraOf(h.db, a!.lb);
    }
    // The second replacement never speaks either: held, not replaced a third time.
    await silence(h, [current]);
    h.clock.advance(500);
    const held = await h.watch.tick();
    assert.deepEqual([held.started, held.held], [[], [current]]);
    assert.equal(await amphoraStatus(h.db, current), 'FAILOVER_STOPPED');
    assert.ok(h.logs.errors().some((l) => /failed over too often/.test(l.msg)));
    h.clock.advance(500);
    assert.deepEqual((await h.watch.tick()).started, []);
    assert.equal((await failoverJobs(h.db)).length, 2);
  });

  it('several watches on one database start one failover per amphora', async () => {
    const h = await harness();
    const lbs = await createLoadBalancers(h.svc, 5);
    // A second health manager with its own watch. On PostgreSQL it has its own connections; SQLite's
    // driver is synchronous, so a second connection in this process would wait on the first's lock while
    // blocking it (health managers on one SQLite file are separate processes): there they share the handle.
    let otherDb = h.db;
    if (TEST_DIALECT === 'postgres') {
      const own = openDatabase(h.svc.config.database.url, h.svc.config.dataDir);
      cleanups.push(() => own.close());
      otherDb = own;
    }
    const other = startFailoverWatch({
      db: otherDb,
      config: { health: { ...h.svc.config.health, ...HEALTH } },
      log: capturingLogger().log,
      clock: h.clock.now,
      autoTick: false,
    });
    cleanups.push(() => other.stop());
    for (let i = 0; i < 20; i++) {
      const [x, y] = await Promise.all([h.watch.tick(), other.tick()]);
      if (x.ready && y.ready) break;
      h.clock.advance(500);
    }
    const silentOnes = lbs.slice(0, 2).map((x) => x.amphora);
    await silence(h, silentOnes);
    await h.svc.whilePaused(async () => {
      const started: string[] = [];
      for (let round = 0; round < 5; round++) {
        const reports = await Promise.all([h.watch.tick(), other.tick(), h.watch.tick(), other.tick()]);
        started.push(...reports.flatMap((r) => r.started));
      }
      assert.deepEqual([...started].sort(), [...silentOnes].sort());
      assert.equal((await failoverJobs(h.db)).length, 2);
    });
    for (const x of lbs.slice(0, 2)) assert.notEqual(await amphoraOf(h.db, x.lb), x.amphora);
  });

  it('the load balancer failover API replaces its amphora and moves the health row along', async () => {
    const h = await harness();
    const [a] = await createLoadBalancers(h.svc, 1);
    const res = await h.svc.put(`/v2/lbaas/loadbalancers/${a!.lb}/failover`, undefined);
    assert.equal(res.status, 202);
    await h.svc.settle();
    const replacement = await amphoraOf(h.db, a!.lb);
    assert.notEqual(replacement, a!.amphora);
    assert.equal(await healthRow(h.db, a!.amphora), undefined);
    assert.equal((await healthRow(h.db, replacement))?.busy, false);
    const jobs = await failoverJobs(h.db);
    assert.deepEqual(
      jobs.map((j) => [j.resource_id, j.state, j.payload.locked]),
      [[a!.lb, 'done', [{ table: 'load_balancer', id: a!.lb }]]],
    );
  });
});

describe('failover flow failures', () => {
  /** Replace a method of a driver class for one test (the worker holds its own driver instances). */
  function patch<T extends object, K extends keyof T>(proto: T, key: K, impl: T[K]): void {
    const original = proto[key];
    proto[key] = impl;
    cleanups.push(async () => {
      proto[key] = original;
    });
  }

  it('a replacement that cannot be built leaves the LB ERROR and the old amphora ERROR, no longer watched', async () => {
    const h = await harness();
    const [a] = await createLoadBalancers(h.svc, 1);
    await warmUp(h);
    patch(NoopComputeDriver.prototype, 'build', async () => {
      throw new Error('no capacity');
    });
    await silence(h, [a!.amphora]);
    assert.deepEqual((await h.watch.tick()).started, [a!.amphora]);
    await h.svc.settle();
    assert.equal(await lbStatus(h.db, a!.lb), 'ERROR');
    assert.equal(await amphoraStatus(h.db, a!.amphora), 'ERROR');
    assert.equal(await amphoraOf(h.db, a!.lb), a!.amphora, 'the half-built replacement is removed');
    const [job] = await failoverJobs(h.db);
    assert.equal(job!.state, 'failed');
    // An ERROR amphora is an operator's to fail over (the API accepts an LB in ERROR); the watch leaves it.
    h.clock.advance(500);
    assert.deepEqual((await h.watch.tick()).started, []);
  });

  it('an old amphora that cannot be removed does not undo a working replacement', async () => {
    const h = await harness();
    const [a] = await createLoadBalancers(h.svc, 1);
    await warmUp(h);
    patch(NoopComputeDriver.prototype, 'destroy', async () => {
      throw new Error('compute API down');
    });
    await silence(h, [a!.amphora]);
    assert.deepEqual((await h.watch.tick()).started, [a!.amphora]);
    await h.svc.settle();
    assert.equal(await lbStatus(h.db, a!.lb), 'ACTIVE');
    const rows = await h.db.kysely
      .selectFrom('amphora')
      .select(['id', 'status'])
      .where('load_balancer_id', '=', a!.lb)
      .execute();
    const replacement = rows.find((r) => r.id !== a!.amphora);
    assert.deepEqual(rows.find((r) => r.id === a!.amphora)?.status, 'ERROR');
    assert.equal(replacement?.status, 'ALLOCATED');
    // Configuration pushes skip the broken one: a listener change reaches the replacement only.
    const configured: string[] = [];
    patch(NoopAmphoraDriver.prototype, 'applyConfig', async function (...args: unknown[]) {
      configured.push((args[0] as { id: string }).id);
    });
    const listener = await h.svc.post('/v2/lbaas/listeners', {
      listener: { loadbalancer_id: a!.lb, protocol: 'HTTP', protocol_port: 80 },
    });
    assert.equal(listener.status, 201);
    await h.svc.settle();
    assert.deepEqual(configured, [replacement!.id]);
    assert.equal(await lbStatus(h.db, a!.lb), 'ACTIVE');
  });
});
