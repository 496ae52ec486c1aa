import type { Db } from '../db/database.js';
import type { Clock } from '../../kernel/clock.js';
import { WakeableSleep } from '../../kernel/wakeable-sleep.js';
import { LEASE_SECONDS } from '../leases/lease.repo.js';
import { claimDueJobs, completeJobs, failJob, finishJobIn, type Job } from './job.repo.js';

/** A job handler does its work and returns; throwing schedules a retry. It receives the job's payload. */
export type JobHandler = (job: Job) => Promise<void>;

export interface JobRunnerDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly handlers: ReadonlyMap<string, JobHandler>;
  readonly log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Called after jobs ran (they may have queued webhooks), at most once per burst of completions. */
  readonly afterRun?: () => void;
}

export interface JobRunnerOptions {
  readonly workerId: string;
  /** How often to look for work when nothing woke the runner (jobs due later, other instances' work). */
  readonly pollMs?: number;
  /** Jobs running at once. */
  readonly slots?: number;
}

/**
 * Runs due jobs in run_at order. Handlers call the outside world themselves and keep their own
 * transactions short; the runner only claims, then deletes the job on success or reschedules it.
 *
 * It claims as slots free up, not batch by batch: one claim at a time is in flight, for as many jobs
 * as there are free slots, so under load each claim brings several jobs and a slow job never holds
 * the others back. Completions that finish together are deleted in one statement. It wakes on
 * `nudge()` (a commit in this process, or a NOTIFY from another instance: platform/worker), when a
 * slot frees, and at least every `pollMs`.
 */
export class JobRunner {
  readonly #deps: JobRunnerDeps;
  readonly #id: string;
  readonly #pollMs: number;
  readonly #slots: number;
  #running: Promise<void> | undefined;
  /** Jobs claimed and not yet completed (their completion committed) or failed. */
  readonly #inFlight = new Set<Promise<void>>();
  /** Claims sent and not yet answered: drain waits for them (SKIP LOCKED would hide their jobs). */
  readonly #claims = new Set<Promise<number>>();
  #stopping = false;
  #woken = false;
  /** The last claim took as many jobs as it had room for: more may be due, so a freed slot claims again. */
  #saturated = false;
  readonly #pause = new WakeableSleep();
  #completions: { id: string; done: (err?: unknown) => void }[] = [];
  #flushScheduled = false;
  #afterRunScheduled = false;

  constructor(deps: JobRunnerDeps, opts: JobRunnerOptions) {
    this.#deps = deps;
    this.#id = opts.workerId;
    this.#pollMs = opts.pollMs ?? 250;
    this.#slots = opts.slots ?? 32;
  }

  start(): void {
    this.#stopping = false;
    this.#running ??= this.#loop();
  }

  nudge(): void {
    this.#woken = true;
    // Work came while every slot is busy: the next slot to free claims it.
    if (this.#inFlight.size >= this.#slots) this.#saturated = true;
    this.#pause.wake();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.nudge();
    await this.#running;
    this.#running = undefined;
    await Promise.allSettled(this.#inFlight);
  }

  /** Runs every job due now (including jobs that those jobs make due now). Returns how many ran. */
  async drain(): Promise<number> {
    // A job the background loop claimed runs on the clock as it was; wait for it (and for any claim
    // in flight) before reporting done, so the clock never moves under a running job.
    let total = 0;
    for (;;) {
      await Promise.allSettled([...this.#claims, ...this.#inFlight]);
      const ran = await this.#claim(this.#slots);
      await Promise.allSettled(this.#inFlight);
      total += ran;
      if (ran === 0 && this.#inFlight.size === 0 && this.#claims.size === 0) return total;
    }
  }

  /** Claims into free slots and starts each job; registered before the claim is sent (see drain). */
  #claim(want: number): Promise<number> {
    const claim = (async () => {
      const free = Math.min(want, this.#slots - this.#inFlight.size);
      if (free <= 0) return 0;
      const jobs = await claimDueJobs(this.#deps.db, this.#id, this.#deps.clock.now(), free, LEASE_SECONDS);
      this.#saturated = jobs.length === free;
      for (const job of jobs) {
        const run = this.#runOne(job).finally(() => {
          this.#inFlight.delete(run);
          this.#ranOne();
          // A freed slot claims again only when more may be waiting; work queued meanwhile (by
          // these very jobs, too) wakes the runner through nudge() or its NOTIFY.
          if (this.#saturated) this.nudge();
        });
        this.#inFlight.add(run);
      }
      return jobs.length;
    })();
    this.#claims.add(claim);
    return claim.finally(() => this.#claims.delete(claim));
  }

  async #runOne(job: Job): Promise<void> {
    const handler = this.#deps.handlers.get(job.kind);
    // A handler whose last step deleted the job with its own writes has nothing left to delete here.
    let finished = false;
    try {
      if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
      await handler({ ...job, finish: { in: (tx) => finishJobIn(tx, this.#id, job), committed: () => void (finished = true) } });
    } catch (err) {
      this.#deps.log.warn({ err, job: { id: job.id, kind: job.kind, attempts: job.attempts } }, 'job failed');
      await failJob(this.#deps.db, this.#id, job.id, (err as Error).message ?? String(err), this.#deps.clock.now()).catch((e: unknown) =>
        this.#deps.log.error({ err: e, job: { id: job.id } }, 'could not record a job failure; its lease will expire and it runs again'),
      );
      return;
    }
    if (finished) return;
    // Done: the slot is held until the deletion commits, so drain and dueWorkHeld never see a
    // finished job as still running. A lost deletion (crash) runs the job again, which is harmless:
    // each handler checks the operation's stage under the session lock.
    await this.#complete(job.id).catch((err: unknown) =>
      this.#deps.log.error({ err, job: { id: job.id } }, 'could not delete a finished job; its lease will expire and it runs again (a no-op)'),
    );
  }

  /** Queues a completion; those queued in the same turn of the event loop are deleted in one statement. */
  #complete(id: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#completions.push({ id, done: (err) => (err === undefined ? resolve() : reject(err as Error)) });
      if (this.#flushScheduled) return;
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        const batch = this.#completions;
        this.#completions = [];
        completeJobs(this.#deps.db, this.#id, batch.map((c) => c.id)).then(
          () => batch.forEach((c) => c.done()),
          (err: unknown) => batch.forEach((c) => c.done(err ?? new Error('completing jobs failed'))),
        );
      });
    });
  }

  /** Jobs may have queued webhooks: tell the worker once per burst of finished jobs. */
  #ranOne(): void {
    if (this.#afterRunScheduled) return;
    this.#afterRunScheduled = true;
    setImmediate(() => {
      this.#afterRunScheduled = false;
      this.#deps.afterRun?.();
    });
  }

  async #loop(): Promise<void> {
    while (!this.#stopping) {
      this.#woken = false;
      const free = this.#slots - this.#inFlight.size;
      if (free > 0) {
        try {
          await this.#claim(free);
        } catch (err) {
          this.#deps.log.warn({ err }, 'job claim failed; retrying');
          await this.#pause.sleep(1000);
          continue;
        }
      }
      // Claim again at once when something woke the runner meanwhile; otherwise wait for a wake-up
      // (a commit here, a NOTIFY from another instance, a slot freed while more may be due) or the poll.
      if (this.#woken && this.#inFlight.size < this.#slots) continue;
      await this.#pause.sleep(this.#pollMs);
    }
  }
}
