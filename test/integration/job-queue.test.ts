import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nowTimestamp } from '../../src/common/ids.js';
import { purgeDoneJobs } from '../../src/controller/jobs/job-queue.js';
import { TestService } from '../helpers/service.js';

describe('job queue housekeeping', () => {
  let svc: TestService;
  before(async () => {
    svc = await TestService.start();
  });
  after(() => svc.stop());

  it('purges old finished jobs and keeps recent and failed ones', async () => {
    const db = svc.node.db;
    const old = nowTimestamp(new Date(Date.now() - 2 * 3600_000));
    const row = (state: string, updated: string, id: string) => ({
      flow: 'apply-changes',
      load_balancer_id: null,
      resource_id: id,
      payload: '{"locked":[]}',
      state,
      step: 2,
      claimed_by: null,
      lease_until: null,
      attempts: 1,
      error: null,
      created_at: updated,
      updated_at: updated,
    });
    await db.kysely
      .insertInto('job')
      .values([row('done', old, 'old-done'), row('done', nowTimestamp(), 'new-done'), row('failed', old, 'old-failed')])
      .execute();
    const removed = await purgeDoneJobs(db, 3600_000);
    assert.equal(removed, 1);
    const left = (
      await db.kysely
        .selectFrom('job')
        .select('resource_id')
        .where('resource_id', 'in', ['old-done', 'new-done', 'old-failed'])
        .execute()
    )
      .map((r) => r.resource_id)
      .sort();
    assert.deepEqual(left, ['new-done', 'old-failed']);
  });
});
