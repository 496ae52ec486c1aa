import { sql, type RawBuilder } from 'kysely';
import type { Queryable } from '../db/database.js';

/**
 * Leases on claimed work (jobs and webhook attempts), on the database's clock. A lease holds while
 * it has not run out AND its holder's heartbeat is fresh: a worker killed mid-job stops beating, and
 * its work is claimable again STALE_SECONDS later, whatever the lease said. A live worker renews its
 * job leases with every beat, so a job that runs longer than LEASE_SECONDS is never run twice.
 */
export const LEASE_SECONDS = 60;
export const HEARTBEAT_MS = 5_000;
export const STALE_SECONDS = 20;

/** True while the row `alias` (with locked_by / locked_until) is leased by a live worker. */
export function leaseHeld(alias: string): RawBuilder<boolean> {
  const t = sql.ref(alias);
  return sql<boolean>`(coalesce(${t}.locked_until >= clock_timestamp(), false) AND EXISTS (
    SELECT 1 FROM workers k WHERE k.id = ${t}.locked_by AND k.heartbeat_at > clock_timestamp() - make_interval(secs => ${STALE_SECONDS})))`;
}

/**
 * Announces `worker` (or refreshes it) and extends every job lease it holds. One round trip. A job
 * row locked right now is skipped: a step that ends its job deletes the row in its commit (JobFinish),
 * and waiting for it would make the beat wait for steps, and a step that also cancels another job
 * this beat has locked wait for the beat. A skipped lease is renewed by the next beat.
 */
export async function heartbeat(db: Queryable, worker: string): Promise<void> {
  await sql`
    WITH beat AS (
      INSERT INTO workers (id, started_at, heartbeat_at) VALUES (${worker}, clock_timestamp(), clock_timestamp())
      ON CONFLICT (id) DO UPDATE SET heartbeat_at = clock_timestamp()
    ), renewed AS (
      UPDATE jobs SET locked_until = clock_timestamp() + make_interval(secs => ${LEASE_SECONDS})
      WHERE id IN (SELECT id FROM jobs WHERE locked_by = ${worker} AND locked_until IS NOT NULL FOR UPDATE SKIP LOCKED)
    )
    SELECT 1`.execute(db);
}

/** A worker that stops cleanly signs off: nothing it held stays leased. */
export async function retire(db: Queryable, worker: string): Promise<void> {
  await db.deleteFrom('workers').where('id', '=', worker).execute();
}

/**
 * At the start of an instance that owns its database alone (PGlite: the data-dir lock proves no
 * other process has it), every lease and worker row left over is a dead process's: release them now.
 */
export async function releaseAllLeases(db: Queryable): Promise<void> {
  await sql`
    WITH j AS (UPDATE jobs SET locked_by = NULL, locked_until = NULL WHERE locked_by IS NOT NULL),
         w AS (UPDATE webhooks SET locked_by = NULL, locked_until = NULL WHERE state = 'pending' AND locked_by IS NOT NULL)
    DELETE FROM workers`.execute(db);
}

/** Workers whose last beat is older than an hour are gone; their rows are dropped by housekeeping. */
export async function purgeDeadWorkers(db: Queryable): Promise<void> {
  await sql`DELETE FROM workers WHERE heartbeat_at < clock_timestamp() - interval '1 hour'`.execute(db);
}

/**
 * Whether any job or webhook attempt due at `now` is still running under a live lease (of any
 * worker): the sandbox clock must not pass it until it is done.
 */
export async function dueWorkHeld(db: Queryable, now: Date): Promise<boolean> {
  const res = await sql<{ busy: boolean }>`
    SELECT (EXISTS (SELECT 1 FROM jobs j WHERE j.locked_by IS NOT NULL AND j.run_at <= ${now} AND ${leaseHeld('j')})
         OR EXISTS (SELECT 1 FROM webhooks w WHERE w.state = 'pending' AND w.locked_by IS NOT NULL AND w.next_attempt_at <= ${now} AND ${leaseHeld('w')})) AS busy`.execute(db);
  return Boolean(res.rows[0]?.busy);
}
