import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';
import { JobRunner, type JobHandler } from '../jobs/job-runner.js';
import { nextJobDueAfter } from '../jobs/job.repo.js';
import type { ServerKey } from '../keys/server-key.js';
import type { Clock } from '../../kernel/clock.js';
import { DeliveryWorker } from '../webhooks/delivery-worker.js';
import { nextWebhookDueAfter } from '../webhooks/webhook.repo.js';

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
}

export interface Worker {
  readonly id: string;
  start(): void;
  stop(): Promise<void>;
  /** Wake up now: something was just committed. */
  nudge(): void;
  /** Run everything due at the current clock time, until nothing is left. */
  drain(): Promise<number>;
  /** The earliest webhook attempt or job strictly after `now`. */
  nextDueAfter(now: Date): Promise<Date | undefined>;
}

export function createWorker(deps: WorkerDeps, opts: { maxInFlight?: number; pollMs?: number } = {}): Worker {
  const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const deliveries = new DeliveryWorker(
    { db: deps.db, clock: deps.clock, serverKey: deps.serverKey, allowPrivate: deps.webhookAllowPrivate, log: deps.log },
    { workerId: id, ...(opts.maxInFlight ? { maxInFlight: opts.maxInFlight } : {}), ...(opts.pollMs ? { pollMs: opts.pollMs } : {}) },
  );
  // A job that ran may have queued webhooks: deliver them now rather than at the next poll.
  const jobs = new JobRunner({ db: deps.db, clock: deps.clock, handlers: deps.jobHandlers, log: deps.log, afterRun: () => deliveries.nudge() }, { workerId: id });
  return {
    id,
    start() {
      deliveries.start();
      jobs.start();
    },
    async stop() {
      await Promise.all([deliveries.stop(), jobs.stop()]);
    },
    nudge() {
      deliveries.nudge();
      jobs.nudge();
    },
    async drain() {
      let total = 0;
      // Jobs may queue webhooks and vice versa: repeat until a full pass finds nothing.
      for (;;) {
        const ran = (await jobs.drain()) + (await deliveries.drain());
        if (ran === 0) return total;
        total += ran;
      }
    },
    async nextDueAfter(now) {
      const [w, j] = await Promise.all([nextWebhookDueAfter(deps.db, now), nextJobDueAfter(deps.db, now)]);
      if (!w) return j;
      if (!j) return w;
      return w < j ? w : j;
    },
  };
}
