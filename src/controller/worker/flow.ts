import type { Logger } from '../../common/logger.js';
import type { Db } from '../../db/database.js';
import type { Drivers } from '../drivers.js';
import type { ClaimedJob, JobPayload } from '../jobs/job-queue.js';

/** What every step sees: the database, the drivers, and the job with the progress saved so far. */
export interface FlowContext {
  db: Db;
  drivers: Drivers;
  job: ClaimedJob;
  /** The job's payload; steps may add fields, which are saved with the step's completion. */
  payload: JobPayload;
  log: Logger;
}

/**
 * One small piece of a flow. `run` must be safe to repeat: after a crash the step that was under way
 * runs again. `revert` undoes it when a later step fails.
 */
export interface FlowStep {
  name: string;
  run(ctx: FlowContext): Promise<void>;
  revert?(ctx: FlowContext): Promise<void>;
}

/** A named list of steps, and what to write when the flow gives up (ERROR statuses, unlocked parents). */
export interface Flow {
  name: string;
  steps: FlowStep[];
  onFailure(ctx: FlowContext, error: Error): Promise<void>;
}
