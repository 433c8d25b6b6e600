import { EventEmitter } from 'node:events';
import { sql } from 'kysely';
import { nowTimestamp } from '../../common/ids.js';
import type { Db } from '../../db/database.js';
import type { LockedRef, Tx } from '../../db/provisioning.js';
import type { JobRow } from '../../db/schema.js';

/** What the API hands the controller with a job; flows add their own progress fields. */
export interface JobPayload {
  /** Rows the API locked; released when the flow ends. */
  locked: LockedRef[];
  [key: string]: unknown;
}

export interface ClaimedJob {
  id: number;
  flow: string;
  loadBalancerId: string | null;
  resourceId: string;
  payload: JobPayload;
  step: number;
  attempts: number;
  /** The node holding the claim. With `attempts` it names this one claim: see `LeaseLostError`. */
  claimedBy: string;
}

/**
 * The job was claimed again after this worker's lease ran out (a stalled process, a lost connection):
 * the new holder carries on, and this worker must stop touching the job without reverting anything.
 */
export class LeaseLostError extends Error {
  constructor(job: ClaimedJob) {
    super(`job ${job.id} is no longer held by ${job.claimedBy} (claim ${job.attempts})`);
    this.name = 'LeaseLostError';
  }
}

/** Wakes the in-process worker as soon as the API commits a job, so nobody waits for a poll. */
export const jobSignal = new EventEmitter();

/** Queue a job inside the API's transaction: the job exists if and only if the PENDING_* rows do. */
export async function enqueueJob(
  trx: Tx,
  job: { flow: string; loadBalancerId: string | null; resourceId: string; payload: JobPayload },
): Promise<void> {
  await trx
    .insertInto('job')
    .values({
      flow: job.flow,
      load_balancer_id: job.loadBalancerId,
      resource_id: job.resourceId,
      payload: JSON.stringify(job.payload),
      state: 'pending',
      step: 0,
      claimed_by: null,
      lease_until: null,
      attempts: 0,
      error: null,
      created_at: nowTimestamp(),
      updated_at: null,
    })
    .execute();
}

export function notifyJobsQueued(): void {
  jobSignal.emit('queued');
}

function toClaimed(row: JobRow & { id: number }): ClaimedJob {
  return {
    id: row.id,
    flow: row.flow,
    loadBalancerId: row.load_balancer_id,
    resourceId: row.resource_id,
    payload: JSON.parse(row.payload) as JobPayload,
    step: row.step,
    attempts: row.attempts,
    claimedBy: row.claimed_by ?? '',
  };
}

/**
 * Claim the oldest runnable job: pending, or running under an expired lease (its worker died).
 * Jobs of one load balancer run in order: a job waits while an older one of its load balancer is open.
 * One UPDATE ... RETURNING (with SKIP LOCKED on PostgreSQL), so two workers never get the same job.
 */
export async function claimJob(db: Db, nodeId: string, leaseMs: number): Promise<ClaimedJob | undefined> {
  const now = Date.now();
  const skipLocked = db.dialect === 'postgres' ? sql`for update skip locked` : sql``;
  const result = await sql<JobRow & { id: number }>`
    update job set state = 'running', claimed_by = ${nodeId}, lease_until = ${now + leaseMs},
      attempts = attempts + 1, updated_at = ${nowTimestamp()}
    where id = (
      select j.id from job j
      where (j.state = 'pending' or (j.state = 'running' and j.lease_until < ${now}))
        and not exists (
          select 1 from job older
          where older.load_balancer_id = j.load_balancer_id and older.id < j.id
            and older.state in ('pending', 'running'))
      order by j.id limit 1 ${skipLocked})
    returning *`.execute(db.kysely);
  const row = result.rows[0];
  return row ? toClaimed(row) : undefined;
}

/** After a restart, this node's jobs from its previous life are free to take at once. */
export async function releaseOwnJobs(db: Db, nodeId: string): Promise<number> {
  const result = await db.kysely
    .updateTable('job')
    .set({ lease_until: 0 })
    .where('state', '=', 'running')
    .where('claimed_by', '=', nodeId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** An UPDATE of the job that only matches while `job`'s claim is the current one (a transaction is a Kysely too). */
function ownClaim(kysely: Db['kysely'], job: ClaimedJob) {
  return kysely
    .updateTable('job')
    .where('id', '=', job.id)
    .where('state', '=', 'running')
    .where('claimed_by', '=', job.claimedBy)
    .where('attempts', '=', job.attempts);
}

/** Keep our claim alive while a long flow runs; false when the claim has been taken over. */
export async function renewLease(db: Db, job: ClaimedJob, leaseMs: number): Promise<boolean> {
  const result = await ownClaim(db.kysely, job)
    .set({ lease_until: Date.now() + leaseMs })
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** True while `job`'s claim is still the current one. */
export async function holdsClaim(db: Db, job: ClaimedJob): Promise<boolean> {
  const row = await db.kysely
    .selectFrom('job')
    .select('id')
    .where('id', '=', job.id)
    .where('state', '=', 'running')
    .where('claimed_by', '=', job.claimedBy)
    .where('attempts', '=', job.attempts)
    .executeTakeFirst();
  return row !== undefined;
}

/** Record progress: the next step to run and what earlier steps produced. Throws `LeaseLostError` if the claim is gone. */
export async function saveProgress(db: Db | Tx, job: ClaimedJob, step: number, payload: JobPayload): Promise<void> {
  const kysely = 'kysely' in db ? db.kysely : db;
  const result = await ownClaim(kysely, job)
    .set({ step, payload: JSON.stringify(payload), updated_at: nowTimestamp() })
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new LeaseLostError(job);
}

/** Close the job. Throws `LeaseLostError` if the claim is gone (the new holder closes it). */
export async function finishJob(db: Db | Tx, job: ClaimedJob, state: 'done' | 'failed', error?: string): Promise<void> {
  const kysely = 'kysely' in db ? db.kysely : db;
  const result = await ownClaim(kysely, job)
    .set({ state, error: error ?? null, lease_until: null, updated_at: nowTimestamp() })
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new LeaseLostError(job);
}

/** Jobs not yet finished (pending or running), for tests and status pages. */
export async function countOpenJobs(db: Db): Promise<number> {
  const row = await db.kysely
    .selectFrom('job')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('state', 'in', ['pending', 'running'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Remove finished jobs older than `ageMs` (failed ones stay, with their error, for whoever investigates). */
export async function purgeDoneJobs(db: Db, ageMs: number): Promise<number> {
  const cutoff = nowTimestamp(new Date(Date.now() - ageMs));
  const result = await db.kysely
    .deleteFrom('job')
    .where('state', '=', 'done')
    .where('updated_at', '<', cutoff)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
