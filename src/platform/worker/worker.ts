import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';
import { JobRunner, type JobHandler } from '../jobs/job-runner.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { HOUSEKEEPING_KINDS } from '../jobs/housekeeping.js';
import { jobMarks, nextJobDueAfter } from '../jobs/job.repo.js';
import { dueWorkHeld, heartbeat, HEARTBEAT_MS, retire } from '../leases/lease.repo.js';
import type { ServerKey } from '../keys/server-key.js';
import type { Clock } from '../../kernel/clock.js';
import { DeliveryWorker, type DeliveryWorkerDeps } from '../webhooks/delivery-worker.js';
import { nextWebhookDueAfter, webhookMarks } from '../webhooks/webhook.repo.js';

/**
 * The background worker: webhook delivery and timed jobs. It runs inside `serve` by default and alone
 * as `payrail worker`; any number of them share one database through SKIP LOCKED claims.
 */
export interface WorkerDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly serverKey: ServerKey;
  readonly webhookAllowPrivate: boolean;
  readonly jobHandlers: ReadonlyMap<string, JobHandler>;
  readonly log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Told of every finished webhook attempt (the runtime's /metrics). */
  readonly observeDelivery?: DeliveryWorkerDeps['observe'];
  /**
   * PostgreSQL's LISTEN (DatabaseHandle.listen): the job runner and the delivery worker also wake on
   * the NOTIFY that a commit queueing a job due at once, or a webhook to deliver, sends while more
   * than one worker is alive (migration 0020): work another instance queued starts at once, not at
   * the next poll. In process they wake on nudge() (a commit here) and after each burst of jobs.
   */
  readonly listen?: ((channel: string, onNotify: () => void) => Promise<() => Promise<void>>) | undefined;
}

export interface Worker {
  readonly id: string;
  start(): void;
  stop(): Promise<void>;
  /**
   * Something was just committed: wake the loops that have something to claim. Cheap when the commit
   * queued nothing: a loop is woken only while this process queued work it has not claimed yet
   * (platform/jobs/wake-marks.ts), so a partner call that queued no webhook and no job due at once
   * costs no claim.
   */
  nudge(): void;
  /**
   * Run everything due at the current clock time, until nothing is left: also waits for due work
   * that other workers (or this one's background loop) hold under a live lease.
   */
  drain(): Promise<number>;
  /** The earliest webhook attempt or job strictly after `now`, periodic upkeep left out. */
  nextDueAfter(now: Date): Promise<Date | undefined>;
}

export function createWorker(deps: WorkerDeps, opts: { maxInFlight?: number; pollMs?: number } = {}): Worker {
  const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const deliveries = new DeliveryWorker(
    { db: deps.db, clock: deps.clock, serverKey: deps.serverKey, allowPrivate: deps.webhookAllowPrivate, log: deps.log, observe: deps.observeDelivery },
    { workerId: id, ...(opts.maxInFlight ? { maxInFlight: opts.maxInFlight } : {}), ...(opts.pollMs ? { pollMs: opts.pollMs } : {}) },
  );
  const nudge = () => {
    if (webhookMarks.pending()) deliveries.nudge();
    if (jobMarks.pending()) jobs.nudge();
  };
  // A job that ran may have queued webhooks or a job due at once: look for them now rather than at
  // the next poll (at most one claim per burst of finished jobs, none when they queued nothing).
  const jobs: JobRunner = new JobRunner({ db: deps.db, clock: deps.clock, handlers: deps.jobHandlers, log: deps.log, afterRun: nudge }, { workerId: id });
  let unlisten: (() => Promise<void>)[] | undefined;
  // The heartbeat makes this worker's leases count (platform/leases); it starts before the first claim.
  let beating: Promise<void> | undefined;
  let beatTimer: NodeJS.Timeout | undefined;
  const beat = () =>
    heartbeat(deps.db, id).catch((err: unknown) => deps.log.warn({ err }, 'worker heartbeat failed; its leases lapse if this goes on'));
  const register = (): Promise<void> => {
    if (!beating) {
      beating = beat();
      beatTimer = setInterval(() => void beat(), HEARTBEAT_MS);
      beatTimer.unref();
    }
    return beating;
  };
  let started = false;
  return {
    id,
    start() {
      started = true;
      void register().then(async () => {
        if (deps.listen && started && !unlisten) {
          const stopListening = await Promise.all([deps.listen('payrail_jobs', () => jobs.nudge()), deps.listen('payrail_webhooks', () => deliveries.nudge())]);
          if (started) unlisten = stopListening;
          else await Promise.all(stopListening.map((f) => f()));
        }
        if (!started) return;
        deliveries.start();
        jobs.start();
      });
    },
    async stop() {
      started = false;
      await Promise.all([deliveries.stop(), jobs.stop()]);
      await Promise.all((unlisten ?? []).map((f) => f()));
      unlisten = undefined;
      if (!beating) return;
      clearInterval(beatTimer);
      await beating;
      beating = undefined;
      await retire(deps.db, id).catch((err: unknown) => deps.log.warn({ err }, 'worker could not sign off; its row lapses'));
    },
    nudge,
    async drain() {
      await register();
      let total = 0;
      // Jobs may queue webhooks and vice versa: repeat until a full pass finds nothing, and nothing
      // due is still running anywhere (its outcome may make more work due now).
      for (;;) {
        const ran = (await jobs.drain()) + (await deliveries.drain());
        total += ran;
        if (ran > 0) continue;
        if (!(await dueWorkHeld(deps.db, deps.clock.now()))) return total;
        await sleep(20);
      }
    },
    async nextDueAfter(now) {
      const [w, j] = await Promise.all([nextWebhookDueAfter(deps.db, now), nextJobDueAfter(deps.db, now, HOUSEKEEPING_KINDS)]);
      if (!w) return j;
      if (!j) return w;
      return w < j ? w : j;
    },
  };
}
