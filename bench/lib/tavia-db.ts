import { countOpenJobs } from '../../src/controller/jobs/job-queue.js';
import type { Db } from '../../src/db/database.js';
import { sleep } from './process-tools.js';

/** The subnet every benchmark VIP is allocated from: devstack's default tenant subnet. */
export const VIP_SUBNET_NAME = 'private-subnet';

/** The id of `private-subnet`, which every node creates at start. */
export async function vipSubnetId(db: Db): Promise<string> {
  const rows = await db.kysely.selectFrom('subnet').select('id').where('name', '=', VIP_SUBNET_NAME).execute();
  if (rows.length !== 1) throw new Error(`expected one subnet named ${VIP_SUBNET_NAME}, found ${rows.length}`);
  return rows[0]!.id;
}

/** The flows that failed so far, with their errors. */
export function failedJobs(db: Db): Promise<Array<{ flow: string; error: string | null }>> {
  return db.kysely.selectFrom('job').select(['flow', 'error']).where('state', '=', 'failed').execute();
}

/** Wait until the worker has no open job (bounded), then throw if any job failed. */
export async function settled(db: Db, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await countOpenJobs(db)) > 0) {
    if (Date.now() > deadline) throw new Error(`jobs still open after ${timeoutMs} ms`);
    await sleep(10);
  }
  const failed = await failedJobs(db);
  if (failed.length > 0) throw new Error(`failed jobs: ${JSON.stringify(failed)}`);
}
