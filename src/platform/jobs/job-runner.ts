import type { Db } from '../db/database.js';
import type { Clock } from '../../kernel/clock.js';
import { WakeableSleep } from '../../kernel/wakeable-sleep.js';
import { LEASE_SECONDS } from '../leases/lease.repo.js';
import { claimDueJobs, completeJob, failJob, type Job } from './job.repo.js';

/** A job handler does its work and returns; throwing schedules a retry. It receives the job's payload. */
export type JobHandler = (job: Job) => Promise<void>;

export interface JobRunnerDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly handlers: ReadonlyMap<string, JobHandler>;
  readonly log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Called after each batch that ran at least one job. */
  readonly afterRun?: () => void;
}

/**
 * Runs due jobs in run_at order. Handlers call the outside world themselves and keep their own
 * transactions short; the runner only claims, then deletes the job on success or reschedules it.
 */
export class JobRunner {
  readonly #deps: JobRunnerDeps;
  readonly #id: string;
  readonly #pollMs: number;
  #running: Promise<void> | undefined;
  /** Batches running now (the background loop's and drain's): drain waits for them first. */
  readonly #batches = new Set<Promise<unknown>>();
  #stopping = false;
  readonly #pause = new WakeableSleep();

  constructor(deps: JobRunnerDeps, opts: { workerId: string; pollMs?: number }) {
    this.#deps = deps;
    this.#id = opts.workerId;
    this.#pollMs = opts.pollMs ?? 250;
  }

  start(): void {
    this.#stopping = false;
    this.#running ??= this.#loop();
  }

  nudge(): void {
    this.#pause.wake();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.nudge();
    await this.#running;
    this.#running = undefined;
  }

  /** Runs every job due now (including jobs that those jobs make due now). Returns how many ran. */
  async drain(): Promise<number> {
    // A job the background loop claimed runs on the clock as it was; wait for it (and for any batch
    // it claims while we drain) before reporting done, so the clock never moves under a running job.
    let total = 0;
    for (;;) {
      await Promise.allSettled(this.#batches);
      const ran = await this.#runBatch();
      total += ran;
      if (ran === 0 && this.#batches.size === 0) return total;
    }
  }

  /**
   * Claims a batch and runs it concurrently: jobs of different sessions are independent, and jobs of
   * one session serialise on its row lock inside their handlers. The batch is registered before its
   * claim is sent, so a drain that starts while the claim is in flight waits for it (the claim's
   * SKIP LOCKED would otherwise hide those jobs from the drain). Returns how many ran.
   */
  #runBatch(): Promise<number> {
    const batch = (async () => {
      const jobs = await claimDueJobs(this.#deps.db, this.#id, this.#deps.clock.now(), 16, LEASE_SECONDS);
      await Promise.all(jobs.map((job) => this.#runOne(job)));
      if (jobs.length > 0) this.#deps.afterRun?.();
      return jobs.length;
    })();
    this.#batches.add(batch);
    return batch.finally(() => this.#batches.delete(batch));
  }

  async #runOne(job: Job): Promise<void> {
    const handler = this.#deps.handlers.get(job.kind);
    try {
      if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
      await handler(job);
      await completeJob(this.#deps.db, this.#id, job.id);
    } catch (err) {
      this.#deps.log.warn({ err, job: { id: job.id, kind: job.kind, attempts: job.attempts } }, 'job failed');
      await failJob(this.#deps.db, this.#id, job.id, (err as Error).message ?? String(err), this.#deps.clock.now()).catch((e: unknown) =>
        this.#deps.log.error({ err: e, job: { id: job.id } }, 'could not record a job failure; its lease will expire and it runs again'),
      );
    }
  }

  async #loop(): Promise<void> {
    while (!this.#stopping) {
      let ran = 0;
      try {
        ran = await this.#runBatch();
      } catch (err) {
        this.#deps.log.warn({ err }, 'job claim failed; retrying');
      }
      if (ran === 0) await this.#pause.sleep(this.#pollMs);
    }
  }
}
