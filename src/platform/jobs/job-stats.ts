import { sql } from 'kysely';
import type { Queryable } from '../db/database.js';

/** Read-only: the job table's backlog per kind (the dashboard's overview). */
export interface JobBacklog {
  readonly kind: string;
  /** Queued, whether due or not. */
  readonly queued: number;
  /** Due now and not held by a worker. */
  readonly due: number;
  /** Held by a worker's live lease. */
  readonly running: number;
  /** Out of attempts: kept with its last error for an operator to look at. */
  readonly dead: number;
}

/** The job table holds only work still to do (a done job is deleted), so it stays small. */
export async function jobBacklog(db: Queryable, now: Date): Promise<JobBacklog[]> {
  const rows = await db
    .selectFrom('jobs')
    .select([
      'kind',
      sql<string>`count(*)`.as('queued'),
      // Leases run on the database's real time (job.repo.ts); run_at on the sandbox-aware clock.
      sql<string>`count(*) FILTER (WHERE run_at <= ${now} AND attempts < max_attempts AND (locked_until IS NULL OR locked_until <= clock_timestamp()))`.as('due'),
      sql<string>`count(*) FILTER (WHERE locked_until > clock_timestamp())`.as('running'),
      sql<string>`count(*) FILTER (WHERE attempts >= max_attempts)`.as('dead'),
    ])
    .groupBy('kind')
    .orderBy('kind')
    .execute();
  return rows.map((r) => ({ kind: r.kind, queued: Number(r.queued), due: Number(r.due), running: Number(r.running), dead: Number(r.dead) }));
}
