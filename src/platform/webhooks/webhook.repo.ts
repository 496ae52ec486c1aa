import { sql } from 'kysely';
import type { Queryable, Tx } from '../db/database.js';
import type { WebhookState, WebhookType } from '../db/schema.js';
import { insertLater } from '../db/write-behind.js';
import { leaseHeld } from '../leases/lease.repo.js';
import { WakeMarks } from '../jobs/wake-marks.js';

/**
 * Webhooks queued for delivery by this process and not yet claimed here: the worker's nudge after a
 * commit claims only while there are some (platform/jobs/wake-marks.ts), so a partner call that
 * queued no webhook costs the delivery worker nothing.
 */
export const webhookMarks = new WakeMarks();

export interface NewWebhook {
  readonly id: string;
  readonly projectId: string;
  readonly sessionId: string;
  readonly type: WebhookType;
  readonly body: string;
  readonly now: Date;
  /** 'pending' (queued for delivery) or 'no_endpoint' (recorded only): see initialState(). */
  readonly state: WebhookState;
}

export async function insertWebhook(tx: Tx, w: NewWebhook): Promise<void> {
  if (w.state === 'pending') webhookMarks.mark(1);
  await insertLater(tx, 'webhooks', {
    id: w.id,
    project_id: w.projectId,
    session_id: w.sessionId,
    type: w.type,
    body: w.body,
    state: w.state,
    next_attempt_at: w.now,
    cycle_started_at: w.now,
    created_at: w.now,
  });
}

/** A webhook claimed for one attempt, with what the attempt needs to know about its project. */
export interface ClaimedWebhook {
  readonly id: string;
  readonly sessionId: string;
  readonly type: WebhookType;
  readonly body: string;
  readonly attempts: number;
  readonly cycleStartedAt: Date;
  readonly webhookUrl: string | null;
  readonly maxAttempts: number;
  readonly maxAgeSeconds: number;
}

/**
 * Claims up to `limit` due webhooks for `worker` with FOR UPDATE SKIP LOCKED, so any number of
 * workers on one database share the work without an in-memory lock. A webhook is due when pending,
 * its next attempt time has come (by the sandbox-aware clock `now`), nobody holds a live lease on
 * it, and no earlier webhook of the same session is still pending: per-session order is kept.
 * Leases use the database's own time, so moving the sandbox clock never steals a delivery in flight.
 */
export async function claimDueWebhooks(db: Queryable, worker: string, now: Date, limit: number, leaseSeconds: number): Promise<ClaimedWebhook[]> {
  const res = await sql<{
    id: string;
    session_id: string;
    type: WebhookType;
    body: string;
    attempts: number;
    cycle_started_at: Date;
    webhook_url: string | null;
    webhook_max_attempts: number;
    webhook_max_age_seconds: number;
  }>`
    WITH due AS (
      SELECT w.id FROM webhooks w
      WHERE w.state = 'pending' AND w.next_attempt_at <= ${now}
        AND NOT ${leaseHeld('w')}
        AND NOT EXISTS (
          SELECT 1 FROM webhooks e WHERE e.session_id = w.session_id AND e.seq < w.seq AND e.state = 'pending')
      ORDER BY w.next_attempt_at, w.seq
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE webhooks w SET locked_by = ${worker}, locked_until = clock_timestamp() + make_interval(secs => ${leaseSeconds})
    FROM due, projects p
    WHERE w.id = due.id AND p.id = w.project_id
    RETURNING w.id, w.session_id, w.type, w.body, w.attempts, w.cycle_started_at,
              p.webhook_url, p.webhook_max_attempts, p.webhook_max_age_seconds`.execute(db);
  // First attempts of a cycle are what insertWebhook and resendWebhooks marked.
  webhookMarks.claimed(res.rows.filter((r) => r.attempts === 0).length, res.rows.length < limit);
  return res.rows.map((r) => ({
    id: r.id,
    sessionId: r.session_id,
    type: r.type,
    body: r.body,
    attempts: r.attempts,
    cycleStartedAt: r.cycle_started_at,
    webhookUrl: r.webhook_url,
    maxAttempts: r.webhook_max_attempts,
    maxAgeSeconds: r.webhook_max_age_seconds,
  }));
}

export interface AttemptRecord {
  readonly webhookId: string;
  readonly attemptedAt: Date;
  readonly url: string | null;
  readonly httpStatus: number | null;
  readonly latencyMs: number;
  readonly responseExcerpt: string | null;
  readonly error: string | null;
  /** What the attempt leads to: delivered, another try at `nextAttemptAt`, or given up. */
  readonly outcome: WebhookState;
  readonly nextAttemptAt: Date | null;
}

/**
 * Records a batch of finished attempts in one statement (atomic on its own, no transaction): the
 * attempt log rows and each webhook's new state, the batch passed as arrays (one statement text
 * whatever the count, so it is prepared once). A result is applied only while this worker still
 * holds the lease; if the lease was lost (the attempt outlived it and another worker took over), the
 * attempt is logged but the state is left to the new holder.
 */
export async function recordAttempts(db: Queryable, worker: string, records: readonly AttemptRecord[]): Promise<void> {
  if (records.length === 0) return;
  const col = (f: (r: AttemptRecord) => string | number | Date | null) =>
    records.map((r) => {
      const v = f(r);
      return v === null ? null : v instanceof Date ? v.toISOString() : String(v);
    });
  await sql`
    WITH v AS (
      SELECT * FROM unnest(${col((r) => r.webhookId)}::text[], ${col((r) => r.outcome)}::text[], ${col((r) => r.nextAttemptAt)}::text[],
                           ${col((r) => (r.outcome === 'delivered' ? r.attemptedAt : null))}::text[],
                           ${col((r) => (r.outcome === 'delivered' ? null : (r.error ?? `HTTP ${r.httpStatus}`)))}::text[],
                           ${col((r) => r.attemptedAt)}::text[], ${col((r) => r.url)}::text[], ${col((r) => r.httpStatus)}::text[],
                           ${col((r) => r.latencyMs)}::text[], ${col((r) => r.responseExcerpt)}::text[], ${col((r) => r.error)}::text[])
        WITH ORDINALITY AS v (id, outcome, next_at, delivered_at, last_error, attempted_at, url, http_status, latency_ms, excerpt, error, n)
    ),
    moved AS (
      UPDATE webhooks w SET
        state = v.outcome, attempts = w.attempts + 1,
        next_attempt_at = COALESCE(v.next_at::timestamptz, w.next_attempt_at),
        delivered_at = v.delivered_at::timestamptz, last_error = v.last_error,
        locked_by = NULL, locked_until = NULL
      FROM v
      WHERE w.id = v.id AND w.locked_by = ${worker}
    )
    INSERT INTO webhook_attempts (webhook_id, attempted_at, url, http_status, latency_ms, response_excerpt, error)
    SELECT v.id, v.attempted_at::timestamptz, v.url, v.http_status::int, v.latency_ms::int, v.excerpt, v.error FROM v ORDER BY v.n`.execute(db);
}

/** Gives back leases this worker holds but did not finish (shutdown), so others may take them at once. */
export async function releaseLeases(db: Queryable, worker: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('webhooks').set({ locked_by: null, locked_until: null }).where('locked_by', '=', worker).where('id', 'in', ids).execute();
}

/** The earliest pending attempt strictly after `now`: where the sandbox clock should stop next. */
export async function nextWebhookDueAfter(db: Queryable, now: Date): Promise<Date | undefined> {
  const row = await db
    .selectFrom('webhooks')
    .select((eb) => eb.fn.min('next_attempt_at').as('at'))
    .where('state', '=', 'pending')
    .where('next_attempt_at', '>', now)
    .executeTakeFirst();
  return row?.at ? new Date(row.at as unknown as string | Date) : undefined;
}

export async function countDueWebhooks(db: Queryable, now: Date): Promise<number> {
  const row = await db
    .selectFrom('webhooks')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('state', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface WebhookLogEntry {
  readonly id: string;
  readonly sessionId: string;
  readonly type: WebhookType;
  readonly state: WebhookState;
  readonly body: string;
  readonly attemptsMade: number;
  readonly nextAttemptAt: Date;
  readonly createdAt: Date;
  readonly deliveredAt: Date | null;
  readonly lastError: string | null;
  readonly attempts: AttemptLogEntry[];
}

export interface AttemptLogEntry {
  readonly id: string;
  readonly webhookId: string;
  readonly attemptedAt: Date;
  readonly url: string | null;
  readonly httpStatus: number | null;
  readonly latencyMs: number;
  readonly responseExcerpt: string | null;
  readonly error: string | null;
}

type AttemptRow = { id: string; webhook_id: string; attempted_at: Date; url: string | null; http_status: number | null; latency_ms: number; response_excerpt: string | null; error: string | null };
const toAttempt = (a: AttemptRow): AttemptLogEntry => ({
  id: String(a.id),
  webhookId: a.webhook_id,
  attemptedAt: a.attempted_at,
  url: a.url,
  httpStatus: a.http_status,
  latencyMs: a.latency_ms,
  responseExcerpt: a.response_excerpt,
  error: a.error,
});

export async function listSessionWebhooks(db: Queryable, projectId: string | undefined, sessionId: string): Promise<WebhookLogEntry[]> {
  let q = db.selectFrom('webhooks').selectAll().where('session_id', '=', sessionId);
  if (projectId) q = q.where('project_id', '=', projectId);
  const hooks = await q.orderBy('seq').execute();
  if (hooks.length === 0) return [];
  const attempts = await db
    .selectFrom('webhook_attempts')
    .selectAll()
    .where(
      'webhook_id',
      'in',
      hooks.map((h) => h.id),
    )
    .orderBy('id')
    .execute();
  return hooks.map((h) => ({
    id: h.id,
    sessionId: h.session_id,
    type: h.type,
    state: h.state,
    body: h.body,
    attemptsMade: h.attempts,
    nextAttemptAt: h.next_attempt_at,
    createdAt: h.created_at,
    deliveredAt: h.delivered_at,
    lastError: h.last_error,
    attempts: attempts.filter((a) => a.webhook_id === h.id).map(toAttempt),
  }));
}

/** Attempts after a given attempt id, oldest first: what `payrail webhooks tail` follows. */
export async function listAttemptsAfter(db: Queryable, afterId: string, limit: number): Promise<(AttemptLogEntry & { sessionId: string; type: WebhookType })[]> {
  const rows = await db
    .selectFrom('webhook_attempts as a')
    .innerJoin('webhooks as w', 'w.id', 'a.webhook_id')
    .select(['a.id', 'a.webhook_id', 'a.attempted_at', 'a.url', 'a.http_status', 'a.latency_ms', 'a.response_excerpt', 'a.error', 'w.session_id', 'w.type'])
    .where('a.id', '>', afterId)
    .orderBy('a.id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...toAttempt(r), sessionId: r.session_id, type: r.type }));
}

export async function lastAttemptId(db: Queryable): Promise<string> {
  const row = await db.selectFrom('webhook_attempts').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
  return String(row?.id ?? '0');
}

/** Starts a new delivery cycle for webhooks (attempt count and age limit start again); returns how many. */
export async function resendWebhooks(
  db: Queryable,
  now: Date,
  filter: { id?: string; failedBetween?: { from: Date; to: Date }; projectId?: string },
): Promise<number> {
  let q = db.updateTable('webhooks').set({ state: 'pending', attempts: 0, next_attempt_at: now, cycle_started_at: now, locked_by: null, locked_until: null });
  if (filter.id) q = q.where('id', '=', filter.id);
  if (filter.failedBetween) q = q.where('state', '=', 'failed').where('created_at', '>=', filter.failedBetween.from).where('created_at', '<', filter.failedBetween.to);
  if (filter.projectId) q = q.where('project_id', '=', filter.projectId);
  const res = await q.executeTakeFirst();
  webhookMarks.mark(Number(res.numUpdatedRows));
  return Number(res.numUpdatedRows);
}
