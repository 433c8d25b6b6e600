import type { Logger } from '../../common/logger.js';
import type { Db } from '../../db/database.js';
import type { Drivers } from '../drivers.js';
import { finishJob, holdsClaim, LeaseLostError, saveProgress, type ClaimedJob } from '../jobs/job-queue.js';
import type { Flow, FlowContext } from './flow.js';

/** A job claimed this many times without finishing is given up on (its flow's failure path runs). */
export const MAX_ATTEMPTS = 5;

/**
 * Run a claimed job's flow from its saved step to the end. Progress is saved after every step, so a
 * worker killed at any point leaves a job another worker continues from the step that was under way.
 * On a failure the finished steps are reverted newest first and the flow's failure path writes the
 * final statuses: nothing is left PENDING_*. A worker whose claim was taken over (its lease ran out)
 * stops at its next save and leaves everything to the new holder: no revert, no failure statuses.
 */
export async function runJob(
  db: Db,
  drivers: Drivers,
  flow: Flow,
  job: ClaimedJob,
  log: Logger,
  stepDelayMs = 0,
): Promise<boolean> {
  const ctx: FlowContext = { db, drivers, job, payload: job.payload, log: log.child({ job: job.id, flow: flow.name }) };
  let step = job.step;
  try {
    if (job.attempts > MAX_ATTEMPTS) throw new Error(`job claimed ${job.attempts} times without finishing`);
    for (; step < flow.steps.length; step++) {
      const current = flow.steps[step]!;
      if (stepDelayMs > 0) await new Promise((r) => setTimeout(r, stepDelayMs));
      ctx.log.debug({ step: current.name }, 'running step');
      await current.run(ctx);
      await saveProgress(db, job, step + 1, ctx.payload);
    }
    await finishJob(db, job, 'done');
    ctx.log.debug('flow done');
    return true;
  } catch (err) {
    if (err instanceof LeaseLostError || !(await holdsClaim(db, job).catch(() => true))) {
      ctx.log.warn({ err, step: flow.steps[step]?.name }, 'job taken over by another worker; leaving it');
      return false;
    }
    const error = err instanceof Error ? err : new Error(String(err));
    ctx.log.error({ err: error, step: flow.steps[step]?.name }, 'flow failed; reverting');
    for (let i = Math.min(step, flow.steps.length) - 1; i >= 0; i--) {
      const done = flow.steps[i]!;
      if (!done.revert) continue;
      try {
        await done.revert(ctx);
      } catch (revertErr) {
        ctx.log.error({ err: revertErr, step: done.name }, 'revert failed');
      }
    }
    try {
      await flow.onFailure(ctx, error);
      await finishJob(db, job, 'failed', error.message);
    } catch (finalErr) {
      // The database itself failed: leave the job claimed; its lease runs out and it is retried.
      ctx.log.error({ err: finalErr }, 'could not record the failure');
    }
    return false;
  }
}
