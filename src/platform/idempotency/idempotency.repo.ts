import { sql } from 'kysely';
import type { Queryable } from '../db/database.js';

/**
 * X-PARTNER-IDEMPOTENCY-KEY storage. The unique (project_id, key) primary key is what makes two
 * instances agree. A key is claimed (`in_flight`) before the method runs and completed (`done`, with
 * the exact response bytes) inside the method's own transaction, so "done" and the method's writes
 * commit together or not at all. A claim older than STALE_MS whose method never committed (its
 * process died) may be taken over by a retry of the same request.
 */
export const KEY_TTL_MS = 24 * 3600_000;
export const STALE_MS = 60_000;

export type ClaimResult =
  | { readonly kind: 'claimed' }
  | { readonly kind: 'replay'; readonly status: number; readonly body: string }
  | { readonly kind: 'conflict'; readonly reason: 'different_request' | 'in_flight' };

export async function claimKey(db: Queryable, projectId: string, key: string, requestHash: string, now: Date): Promise<ClaimResult> {
  const expiredBefore = new Date(now.getTime() - KEY_TTL_MS);
  const staleBefore = new Date(now.getTime() - STALE_MS);
  const claimed = await sql<{ key: string }>`
    INSERT INTO idempotency_keys (project_id, key, request_hash, state, locked_at, created_at)
    VALUES (${projectId}, ${key}, ${requestHash}, 'in_flight', ${now}, ${now})
    ON CONFLICT (project_id, key) DO UPDATE
      SET request_hash = EXCLUDED.request_hash, state = 'in_flight', response_status = NULL,
          response_body = NULL, locked_at = EXCLUDED.locked_at, created_at = EXCLUDED.created_at
      WHERE idempotency_keys.created_at < ${expiredBefore}
         OR (idempotency_keys.state = 'in_flight' AND idempotency_keys.locked_at < ${staleBefore}
             AND idempotency_keys.request_hash = EXCLUDED.request_hash)
    RETURNING key`.execute(db);
  if (claimed.rows.length > 0) return { kind: 'claimed' };
  const row = await db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'state', 'response_status', 'response_body'])
    .where('project_id', '=', projectId)
    .where('key', '=', key)
    .executeTakeFirst();
  // Gone between the two statements (expired and purged): a fresh claim is the honest answer.
  if (!row) return claimKey(db, projectId, key, requestHash, now);
  if (row.request_hash !== requestHash) return { kind: 'conflict', reason: 'different_request' };
  if (row.state === 'done' && row.response_body !== null) return { kind: 'replay', status: row.response_status ?? 200, body: row.response_body };
  return { kind: 'conflict', reason: 'in_flight' };
}

export async function completeKey(db: Queryable, projectId: string, key: string, status: number, body: string): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ state: 'done', response_status: status, response_body: body })
    .where('project_id', '=', projectId)
    .where('key', '=', key)
    .execute();
}

/** The method failed unexpectedly and wrote nothing: the key is free for a retry. */
export async function releaseKey(db: Queryable, projectId: string, key: string): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('project_id', '=', projectId).where('key', '=', key).where('state', '=', 'in_flight').execute();
}

export async function purgeExpiredKeys(db: Queryable, now: Date): Promise<number> {
  const res = await db.deleteFrom('idempotency_keys').where('created_at', '<', new Date(now.getTime() - KEY_TTL_MS - STALE_MS)).executeTakeFirst();
  return Number(res.numDeletedRows);
}
