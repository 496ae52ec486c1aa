import type { Agent } from 'undici';
import type { Db } from '../db/database.js';
import type { ServerKey } from '../keys/server-key.js';
import type { Clock } from '../../kernel/clock.js';
import { WakeableSleep } from '../../kernel/wakeable-sleep.js';
import { LEASE_SECONDS } from '../leases/lease.repo.js';
import { attemptDelivery, createDeliveryAgent, signAsync } from './deliver.js';
import { claimDueWebhooks, recordAttempts, releaseLeases, webhookMarks, type AttemptRecord, type ClaimedWebhook } from './webhook.repo.js';
import { afterAttempt, nextAttemptAt } from './webhook.status.js';
import type { WebhookState } from '../db/schema.js';

export interface DeliveryWorkerDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly serverKey: ServerKey;
  readonly allowPrivate: boolean;
  readonly log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Told of every finished attempt (the runtime's /metrics); must not throw or block. */
  readonly observe?: ((attempt: DeliveryObservation) => void) | undefined;
}

/** One finished attempt, for metrics. */
export interface DeliveryObservation {
  /** delivered (2xx), pending (another try is scheduled) or failed (the schedule gave up). */
  readonly outcome: WebhookState;
  /** Commit → this attempt's start, when it was the first of its cycle (creation or resend); else undefined. */
  readonly firstAttemptLagMs: number | undefined;
  /** How long the receiver took to answer (0 when nothing was sent). */
  readonly latencyMs: number;
}

export interface DeliveryWorkerOptions {
  readonly workerId: string;
  /** Deliveries in flight at once; a hanging receiver holds one slot, never the others. */
  readonly maxInFlight?: number;
  readonly pollMs?: number;
  readonly leaseSeconds?: number;
}

/**
 * Delivers the outbox. A loop claims due webhooks (SKIP LOCKED, per-session order kept by the claim
 * query) into free slots and starts each attempt at once; finished attempts are recorded in small
 * batches, one statement each (recordAttempts). It claims again at once only when there may be more:
 * the last claim filled all its room, or a `nudge()` (a commit in this process queued something, or
 * a NOTIFY from another instance) came while it was claiming (what that commit queued may not have
 * been visible to the claim); a freed slot claims only after a full claim, a nudge it could not
 * take, or while something queued in this process is unclaimed (webhookMarks: a session's next
 * webhook waits for the one before it to be recorded). Otherwise it waits for a nudge, or at most `pollMs` (other instances' work, retries coming due).
 */
export class DeliveryWorker {
  readonly #deps: DeliveryWorkerDeps;
  readonly #id: string;
  readonly #maxInFlight: number;
  readonly #pollMs: number;
  readonly #leaseSeconds: number;
  readonly #agent: Agent;
  readonly #inFlight = new Map<string, Promise<void>>();
  /** Claims sent and not yet answered: what they return is about to be in flight. */
  readonly #claims = new Set<Promise<unknown>>();
  #pending: { record: AttemptRecord; done: () => void }[] = [];
  #flushScheduled = false;
  readonly #pause = new WakeableSleep();
  #running: Promise<void> | undefined;
  #stopping = false;
  /** A nudge came since the loop's last claim started: claim again before sleeping. */
  #woken = false;
  /** The last claim took as many webhooks as it had room for: more may be due. */
  #saturated = false;

  constructor(deps: DeliveryWorkerDeps, opts: DeliveryWorkerOptions) {
    this.#deps = deps;
    this.#id = opts.workerId;
    this.#maxInFlight = opts.maxInFlight ?? 128;
    this.#pollMs = opts.pollMs ?? 200;
    this.#leaseSeconds = opts.leaseSeconds ?? LEASE_SECONDS;
    this.#agent = createDeliveryAgent(deps.allowPrivate);
  }

  start(): void {
    this.#stopping = false;
    this.#running ??= this.#loop();
  }

  nudge(): void {
    this.#woken = true;
    this.#pause.wake();
  }

  /** Stops claiming, lets attempts in flight finish and be recorded, then closes connections. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.nudge();
    await this.#running;
    this.#running = undefined;
    await Promise.allSettled(this.#inFlight.values());
    await this.#flush();
    await this.#agent.close();
  }

  /** Delivers everything due now, waiting for each attempt to be recorded. Returns how many attempts ran. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const batch = await this.#claim(this.#maxInFlight);
      total += batch.length;
      // A claim of the background loop still in flight may hold rows this claim skipped: wait for it too.
      await Promise.allSettled([...this.#claims, ...this.#inFlight.values()]);
      if (batch.length === 0 && this.#inFlight.size === 0 && this.#claims.size === 0) return total;
    }
  }

  /** Claims into free slots and starts each attempt; registered until the attempts are in flight. */
  #claim(room: number): Promise<ClaimedWebhook[]> {
    const claim = this.#claimAndStart(room);
    this.#claims.add(claim);
    return claim.finally(() => this.#claims.delete(claim));
  }

  async #claimAndStart(room: number): Promise<ClaimedWebhook[]> {
    const free = Math.min(room, this.#maxInFlight - this.#inFlight.size);
    if (free <= 0) return [];
    const batch = await claimDueWebhooks(this.#deps.db, this.#id, this.#deps.clock.now(), free, this.#leaseSeconds);
    this.#saturated = batch.length === free;
    for (const w of batch) {
      const attempt = this.#attempt(w).finally(() => {
        this.#inFlight.delete(w.id);
        // The freed slot claims only when more may be waiting for it: a full claim, a nudge it could
        // not take, or something this process queued and no claim has taken yet (the session's next
        // webhook, held back by the per-session order until this one was recorded).
        if (this.#saturated || this.#woken || webhookMarks.pending()) this.#pause.wake();
      });
      this.#inFlight.set(w.id, attempt);
    }
    return batch;
  }

  async #loop(): Promise<void> {
    while (!this.#stopping) {
      if (this.#inFlight.size < this.#maxInFlight) {
        this.#woken = false;
        try {
          await this.#claim(64);
        } catch (err) {
          this.#deps.log.warn({ err }, 'webhook claim failed; retrying');
          await this.#pause.sleep(1000);
          continue;
        }
        // A nudge during the claim announced a commit the claim may not have seen; a full claim
        // may have left more behind: claim again. Otherwise nothing more is due now.
        if ((this.#woken || this.#saturated) && this.#inFlight.size < this.#maxInFlight) continue;
      }
      await this.#pause.sleep(this.#pollMs);
    }
  }

  async #attempt(w: ClaimedWebhook): Promise<void> {
    const { clock, serverKey } = this.#deps;
    const attemptedAt = clock.now();
    const result = w.webhookUrl
      ? await attemptDelivery(this.#agent, w.webhookUrl, w.body, await signAsync(Buffer.from(w.body), serverKey.privateKey), { 'x-payrail-webhook-id': w.id }, this.#deps.allowPrivate)
      : { httpStatus: null, latencyMs: 0, excerpt: null, error: 'the project has no webhook_url', ok: false };
    const attemptsMade = w.attempts + 1;
    const next = result.ok ? undefined : nextAttemptAt({ maxAttempts: w.maxAttempts, maxAgeMs: w.maxAgeSeconds * 1000 }, attemptsMade, w.cycleStartedAt, clock.now());
    const outcome = afterAttempt(result.ok, next);
    await this.#record({
      webhookId: w.id,
      attemptedAt,
      url: w.webhookUrl,
      httpStatus: result.httpStatus,
      latencyMs: result.latencyMs,
      responseExcerpt: result.excerpt,
      error: result.error,
      outcome,
      nextAttemptAt: next ?? null,
    });
    // Once recorded, so what /metrics counts agrees with the outbox. cycle_started_at is written
    // with the webhook (in the commit that caused it) or by a resend.
    this.#deps.observe?.({ outcome, firstAttemptLagMs: w.attempts === 0 ? attemptedAt.getTime() - w.cycleStartedAt.getTime() : undefined, latencyMs: result.latencyMs });
  }

  /** Queues a result and resolves once it is committed (batched with whatever else finished meanwhile). */
  #record(record: AttemptRecord): Promise<void> {
    return new Promise((done) => {
      this.#pending.push({ record, done });
      if (this.#flushScheduled) return;
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        void this.#flush();
      });
    });
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, 200);
      try {
        await recordAttempts(this.#deps.db, this.#id, batch.map((b) => b.record));
        batch.forEach((b) => b.done());
      } catch (err) {
        this.#deps.log.error({ err }, 'recording webhook attempts failed; will retry');
        this.#pending.unshift(...batch);
        await new Promise((r) => setTimeout(r, 1000));
        if (this.#stopping && this.#deps.db) {
          // Shutting down with the database gone: give the leases back where possible and stop.
          await releaseLeases(this.#deps.db, this.#id, batch.map((b) => b.record.webhookId)).catch(() => undefined);
          batch.forEach((b) => b.done());
          this.#pending = [];
        }
      }
    }
  }
}
