import { sql } from 'kysely';
import { countOpenJobs } from '../../src/controller/jobs/job-queue.js';
import type { Db } from '../../src/db/database.js';
import { sleep } from './process-tools.js';

/** The stored subnet VIPs are allocated from, once the `subnet` table exists. */
export const VIP_SUBNET_NAME = 'private-subnet';
/** Any UUID is accepted while there is no stored subnet. */
export const FALLBACK_VIP_SUBNET_ID = '11111111-2222-3333-4444-555555555555';

/**
 * The vip_subnet_id every load balancer of the benchmark is created with: the id of the subnet named
 * `private-subnet` in the `subnet` table, or a fixed UUID while that table does not exist yet. A `subnet`
 * table without that row is an error (a made-up id would then be refused by the API anyway).
 */
export async function vipSubnetId(db: Db): Promise<string> {
  const tables = await db.kysely.introspection.getTables();
  if (!tables.some((t) => t.name === 'subnet')) return FALLBACK_VIP_SUBNET_ID;
  const { rows } = await sql<{ id: string }>`select id from subnet where name = ${VIP_SUBNET_NAME}`.execute(db.kysely);
  if (rows.length !== 1)
    throw new Error(`expected one subnet named ${VIP_SUBNET_NAME} in table subnet, found ${rows.length}`);
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
