import type { Db } from '../db/database.js';
import type { Clock } from '../shared/clock.js';
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
  #stopping = false;
  #wake: (() => void) | undefined;

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
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.nudge();
    await this.#running;
    this.#running = undefined;
  }

  /** Runs every job due now (including jobs that those jobs make due now). Returns how many ran. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const ran = await this.#runBatch();
      if (ran === 0) return total;
      total += ran;
    }
  }

  async #runBatch(): Promise<number> {
    const jobs = await claimDueJobs(this.#deps.db, this.#id, this.#deps.clock.now(), 16, 300);
    for (const job of jobs) {
      const handler = this.#deps.handlers.get(job.kind);
      try {
        if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
        await handler(job);
        await completeJob(this.#deps.db, this.#id, job.id);
      } catch (err) {
        this.#deps.log.warn({ err, job: { id: job.id, kind: job.kind, attempts: job.attempts } }, 'job failed');
        await failJob(this.#deps.db, this.#id, job.id, (err as Error).message ?? String(err), this.#deps.clock.now());
      }
    }
    if (jobs.length > 0) this.#deps.afterRun?.();
    return jobs.length;
  }

  async #loop(): Promise<void> {
    while (!this.#stopping) {
      let ran = 0;
      try {
        ran = await this.#runBatch();
      } catch (err) {
        this.#deps.log.warn({ err }, 'job claim failed; retrying');
      }
      if (ran === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, this.#pollMs);
          function done() {
            clearTimeout(timer);
            resolve();
          }
          this.#wake = () => {
            this.#wake = undefined;
            done();
          };
        });
      }
    }
  }
}
