import type { Logger } from '../../common/logger.js';
import type { Db } from '../../db/database.js';
import type { Drivers } from '../drivers.js';
import { purgeDoneJobs, claimJob, jobSignal, releaseOwnJobs, renewLease, type ClaimedJob } from '../jobs/job-queue.js';
import { FLOWS } from './flows/index.js';
import { runJob } from './runner.js';

/** Finished jobs are kept an hour (to read what happened), then removed every few minutes. */
const KEEP_DONE_JOBS_MS = 3600_000;
const PURGE_INTERVAL_MS = 300_000;

export interface WorkerOptions {
  nodeId: string;
  concurrency: number;
  pollIntervalMs: number;
  leaseMs: number;
  stepDelayMs: number;
}

/**
 * The controller worker: claims jobs from the database and runs their flows, up to `concurrency` at
 * once. Woken at once by jobs queued in this process, and by a poll for jobs other nodes queued.
 */
export class Worker {
  private running = new Map<number, { job: ClaimedJob; done: Promise<void> }>();
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;
  private pumping = false;
  private pumpAgain = false;
  private readonly onQueued = () => void this.pump();

  constructor(
    private readonly db: Db,
    private readonly drivers: Drivers,
    private readonly options: WorkerOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.stopping = false;
    const resumed = await releaseOwnJobs(this.db, this.options.nodeId);
    if (resumed > 0) this.log.info({ jobs: resumed }, 'resuming jobs left running by this node');
    jobSignal.on('queued', this.onQueued);
    this.timer = setInterval(() => void this.pump(), this.options.pollIntervalMs);
    // Three renewals per lease: a lease must never run out while its holder is alive and well.
    this.purgeTimer = setInterval(() => void this.purge(), PURGE_INTERVAL_MS);
    this.leaseTimer = setInterval(() => void this.renewLeases(), Math.max(10, Math.floor(this.options.leaseMs / 3)));
    void this.pump();
  }

  /** Stop claiming, then wait for the flows under way (they are resumable, so a deadline is safe). */
  async stop(timeoutMs = 10000): Promise<void> {
    this.stopping = true;
    jobSignal.off('queued', this.onQueued);
    clearInterval(this.timer);
    clearInterval(this.purgeTimer);
    const all = Promise.allSettled([...this.running.values()].map((r) => r.done));
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    clearInterval(this.leaseTimer);
  }

  get busy(): number {
    return this.running.size;
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        while (!this.stopping && this.running.size < this.options.concurrency) {
          const job = await claimJob(this.db, this.options.nodeId, this.options.leaseMs);
          if (!job) break;
          this.launch(job);
        }
      } while (this.pumpAgain && !this.stopping);
    } catch (err) {
      this.log.error({ err }, 'claiming a job failed');
    } finally {
      this.pumping = false;
    }
  }

  private launch(job: ClaimedJob): void {
    const flow = FLOWS[job.flow];
    const run = (async () => {
      if (!flow) {
        this.log.error({ job: job.id, flow: job.flow }, 'unknown flow; job left for a node that knows it');
        return;
      }
      await runJob(this.db, this.drivers, flow, job, this.log, this.options.stepDelayMs);
    })().finally(() => {
      this.running.delete(job.id);
      if (!this.stopping) void this.pump();
    });
    this.running.set(job.id, { job, done: run });
  }

  private async purge(): Promise<void> {
    await purgeDoneJobs(this.db, KEEP_DONE_JOBS_MS).catch((err) =>
      this.log.warn({ err }, 'purging finished jobs failed'),
    );
  }

  private async renewLeases(): Promise<void> {
    for (const { job } of this.running.values()) {
      const held = await renewLease(this.db, job, this.options.leaseMs).catch((err) => {
        this.log.warn({ err, job: job.id }, 'lease renewal failed');
        return true;
      });
      // The runner finds out at its next save and stops; nothing more to do here.
      if (!held) this.log.warn({ job: job.id }, 'lease lost: the job was taken over by another worker');
    }
  }
}
