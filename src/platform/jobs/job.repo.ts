import { sql } from 'kysely';
import type { Queryable, Tx } from '../db/database.js';
import { writeLater } from '../db/write-behind.js';
import { leaseHeld } from '../leases/lease.repo.js';
import type { JobKind, JobPayloads } from './job-kinds.js';
import { WakeMarks } from './wake-marks.js';

/** Jobs due at once queued by this process and not yet claimed here (wake-marks.ts). */
export const jobMarks = new WakeMarks();

export interface NewJob<K extends JobKind = JobKind> {
  readonly kind: K;
  readonly payload: JobPayloads[K];
  readonly runAt: Date;
  /** At most one job per key may exist; a second enqueue with the same key is ignored. */
  readonly uniqueKey?: string;
  readonly maxAttempts?: number;
}

export interface Job {
  readonly id: string;
  readonly kind: string;
  readonly payload: unknown;
  readonly runAt: Date;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly uniqueKey: string | null;
  /** Set by the runner on the job it hands a handler: ends the job in the handler's last transaction. */
  readonly finish?: JobFinish;
}

/**
 * How a handler's last transaction ends its job: `in(tx)` queues the job's deletion into it (written
 * behind, so it commits with the step's own writes or not at all), and `committed()`, called once
 * that transaction committed, tells the runner to delete nothing itself. A handler that never calls
 * `committed()` (its step found nothing to do) leaves the deletion to the runner, as before.
 */
export interface JobFinish {
  in(tx: Tx): Promise<void>;
  committed(): void;
}

/** A job's identity for write-behind (write-behind.ts): its unique_key, when it has one. */
const jobRow = (uniqueKey: string | null | undefined) => (uniqueKey ? `unique_key:${uniqueKey}` : undefined);

/**
 * Enqueued inside the caller's transaction, so timed work exists exactly when the state that needs
 * it does (written behind: it goes out with the transaction's other writes). A job whose unique_key
 * is queued already is not queued again. A job due now is marked for the worker's wake-up before it
 * commits (wake-marks.ts); a mark whose job was not inserted (its key taken) is forgotten as stale.
 */
export async function enqueueJob<K extends JobKind>(tx: Queryable, job: NewJob<K>, now: Date): Promise<void> {
  if (job.runAt.getTime() <= now.getTime()) jobMarks.mark(1);
  await writeLater(tx, 'jobs', jobRow(job.uniqueKey), (db) =>
    db
      .insertInto('jobs')
      .values({
        kind: job.kind,
        payload: JSON.stringify(job.payload ?? null),
        unique_key: job.uniqueKey ?? null,
        run_at: job.runAt,
        max_attempts: job.maxAttempts ?? 10,
        created_at: now,
      })
      .onConflict((oc) => oc.column('unique_key').doNothing()),
  );
}

export async function cancelJob(tx: Tx, uniqueKey: string): Promise<void> {
  await writeLater(tx, 'jobs', jobRow(uniqueKey), (db) => db.deleteFrom('jobs').where('unique_key', '=', uniqueKey));
}

/**
 * Claims due jobs, oldest run_at first, with FOR UPDATE SKIP LOCKED and a lease on the database's
 * clock. A job whose lease ran out, or whose holder stopped beating, is claimable again.
 */
export async function claimDueJobs(db: Queryable, worker: string, now: Date, limit: number, leaseSeconds: number): Promise<Job[]> {
  const res = await sql<{ id: string; kind: string; payload: unknown; run_at: Date; attempts: number; max_attempts: number; unique_key: string | null; queued_due: boolean }>`
    WITH due AS (
      SELECT id FROM jobs
      WHERE run_at <= ${now} AND attempts < max_attempts
        AND NOT ${leaseHeld('jobs')}
      ORDER BY run_at, id
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE jobs j SET locked_by = ${worker}, locked_until = clock_timestamp() + make_interval(secs => ${leaseSeconds}), attempts = j.attempts + 1
    FROM due WHERE j.id = due.id
    RETURNING j.id, j.kind, j.payload, j.run_at, j.attempts, j.max_attempts, j.unique_key,
              (j.attempts = 1 AND j.run_at <= j.created_at) AS queued_due`.execute(db);
  // First runs of jobs queued due at once are what enqueueJob marked.
  jobMarks.claimed(res.rows.filter((r) => r.queued_due).length, res.rows.length < limit);
  return res.rows
    .map((r) => ({ id: String(r.id), kind: r.kind, payload: r.payload, runAt: new Date(r.run_at), attempts: r.attempts, maxAttempts: r.max_attempts, uniqueKey: r.unique_key }))
    .sort((a, b) => a.runAt.getTime() - b.runAt.getTime() || Number(a.id) - Number(b.id));
}

/** The deletion JobFinish.in queues: the job, while this worker still holds it. */
export async function finishJobIn(tx: Tx, worker: string, job: Pick<Job, 'id' | 'uniqueKey'>): Promise<void> {
  await writeLater(tx, 'jobs', jobRow(job.uniqueKey), (db) => db.deleteFrom('jobs').where('id', '=', job.id).where('locked_by', '=', worker));
}

export async function completeJob(tx: Queryable, worker: string, id: string): Promise<void> {
  await completeJobs(tx, worker, [id]);
}

/** Deletes finished jobs this worker still holds, in one statement (the runner batches completions). */
export async function completeJobs(db: Queryable, worker: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  // One statement text whatever the count (an array parameter), so it is prepared once.
  await sql`DELETE FROM jobs WHERE id = ANY(${[...ids]}::bigint[]) AND locked_by = ${worker}`.execute(db);
}

/**
 * A failed run is retried after 2^attempts seconds (capped at an hour), computed in the same UPDATE
 * from the job's own attempt count; once attempts reach max_attempts the row stays, with its last
 * error, for an operator to see. run_at moves on the sandbox-aware clock (`now`).
 */
export async function failJob(db: Queryable, worker: string, id: string, error: string, now: Date): Promise<void> {
  await sql`
    UPDATE jobs SET last_error = ${error.slice(0, 2000)}, locked_by = NULL, locked_until = NULL,
      run_at = ${now}::timestamptz + make_interval(secs => least(power(2, attempts), 3600))
    WHERE id = ${id} AND locked_by = ${worker}`.execute(db);
}

/** The earliest job due strictly after `now`, leaving out `exceptKinds` (periodic upkeep the clock need not stop for). */
export async function nextJobDueAfter(db: Queryable, now: Date, exceptKinds: readonly string[] = []): Promise<Date | undefined> {
  let q = db
    .selectFrom('jobs')
    .select((eb) => eb.fn.min('run_at').as('at'))
    .where('run_at', '>', now)
    .whereRef('attempts', '<', 'max_attempts');
  if (exceptKinds.length > 0) q = q.where('kind', 'not in', exceptKinds);
  const row = await q.executeTakeFirst();
  return row?.at ? new Date(row.at as unknown as string | Date) : undefined;
}
