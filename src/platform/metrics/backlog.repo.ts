import { sql } from 'kysely';
import type { Queryable } from '../db/database.js';

/**
 * The two queries /metrics runs at scrape time (never on a request path). Each reads one index:
 * the webhooks query the partial index `webhooks_due` (next_attempt_at WHERE state = 'pending'),
 * the jobs query `jobs_due` (run_at). Their cost grows with the backlog they count, not with the
 * tables: delivered webhooks and jobs scheduled for later are never read. test/metrics.test.ts
 * EXPLAINs both on a table of tens of thousands of rows.
 */
export interface OutboxBacklog {
  /** Webhooks waiting for an attempt (now or on the retry schedule), including those in flight. */
  readonly pending: number;
  /** Of those, the ones whose attempt time has come. */
  readonly due: number;
  /** How long the oldest due webhook has been due, in seconds (0 when none is). */
  readonly oldestDueSeconds: number;
}

export function outboxBacklogQuery(now: Date) {
  return sql<{ pending: string; due: string; oldest_due: Date | string | null }>`
    SELECT count(*) AS pending,
           count(*) FILTER (WHERE next_attempt_at <= ${now}) AS due,
           min(next_attempt_at) AS oldest_due
    FROM webhooks WHERE state = 'pending'`;
}

export async function outboxBacklog(db: Queryable, now: Date): Promise<OutboxBacklog> {
  const row = (await outboxBacklogQuery(now).execute(db)).rows[0];
  const oldest = row?.oldest_due ? new Date(row.oldest_due).getTime() : undefined;
  return {
    pending: Number(row?.pending ?? 0),
    due: Number(row?.due ?? 0),
    oldestDueSeconds: oldest !== undefined && oldest <= now.getTime() ? (now.getTime() - oldest) / 1000 : 0,
  };
}

/**
 * Jobs by kind: `due` (its time has come, attempts left, no live lease), `running` (under a live
 * lease) and `failed` (attempts used up; the row stays for an operator). Only rows with run_at <= now
 * are read: a claimed job was due when it was claimed and the clock only moves forward, so running
 * jobs are among them; a job that failed its last attempt is counted once its last backoff passed.
 * A lease is judged by its expiry only (not its holder's heartbeat, as claims do): a crashed
 * worker's job shows as running until its lease runs out (at most LEASE_SECONDS).
 */
export interface JobCounts {
  readonly kind: string;
  readonly due: number;
  readonly running: number;
  readonly failed: number;
}

export function jobCountsQuery(now: Date) {
  return sql<{ kind: string; due: string; running: string; failed: string }>`
    SELECT kind,
           count(*) FILTER (WHERE attempts < max_attempts AND NOT coalesce(locked_until >= clock_timestamp(), false)) AS due,
           count(*) FILTER (WHERE locked_by IS NOT NULL AND locked_until >= clock_timestamp()) AS running,
           count(*) FILTER (WHERE attempts >= max_attempts AND NOT coalesce(locked_until >= clock_timestamp(), false)) AS failed
    FROM jobs WHERE run_at <= ${now}
    GROUP BY kind`;
}

export async function jobCounts(db: Queryable, now: Date): Promise<JobCounts[]> {
  const res = await jobCountsQuery(now).execute(db);
  return res.rows.map((r) => ({ kind: r.kind, due: Number(r.due), running: Number(r.running), failed: Number(r.failed) }));
}
