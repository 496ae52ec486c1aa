import { sql } from 'kysely';
import type { Queryable } from '../db/database.js';

/**
 * X-PARTNER-IDEMPOTENCY-KEY storage, for the partner API (keys per project) and the admin API (keys
 * per admin scope). The unique (holder, key) primary key is what makes two instances agree. A key is
 * claimed (`in_flight`) before the method runs and completed (`done`, with the exact response bytes),
 * in the method's own transaction where the method has one, so "done" and the method's writes commit
 * together or not at all. A claim older than STALE_MS whose method never committed (its process
 * died) may be taken over by a retry of the same request.
 */
export const KEY_TTL_MS = 24 * 3600_000;
export const STALE_MS = 60_000;

/** Whose keys: a project's (partner API) or the operator's (admin API). */
export interface KeyScope {
  readonly table: 'idempotency_keys' | 'admin_idempotency_keys';
  readonly column: 'project_id' | 'scope';
  readonly holder: string;
}

export const projectKeys = (projectId: string): KeyScope => ({ table: 'idempotency_keys', column: 'project_id', holder: projectId });
export const ADMIN_KEYS: KeyScope = { table: 'admin_idempotency_keys', column: 'scope', holder: 'admin' };

export type ClaimResult =
  | { readonly kind: 'claimed' }
  | { readonly kind: 'replay'; readonly status: number; readonly body: string }
  | { readonly kind: 'conflict'; readonly reason: 'different_request' | 'in_flight' };

const ident = (s: KeyScope) => ({ table: sql.table(s.table), column: sql.ref(s.column) });

export async function claimKey(db: Queryable, scope: KeyScope, key: string, requestHash: string, now: Date): Promise<ClaimResult> {
  const { table, column } = ident(scope);
  const expiredBefore = new Date(now.getTime() - KEY_TTL_MS);
  const staleBefore = new Date(now.getTime() - STALE_MS);
  const claimed = await sql<{ key: string }>`
    INSERT INTO ${table} AS k (${column}, key, request_hash, state, locked_at, created_at)
    VALUES (${scope.holder}, ${key}, ${requestHash}, 'in_flight', ${now}, ${now})
    ON CONFLICT (${column}, key) DO UPDATE
      SET request_hash = EXCLUDED.request_hash, state = 'in_flight', response_status = NULL,
          response_body = NULL, locked_at = EXCLUDED.locked_at, created_at = EXCLUDED.created_at
      WHERE k.created_at < ${expiredBefore}
         OR (k.state = 'in_flight' AND k.locked_at < ${staleBefore} AND k.request_hash = EXCLUDED.request_hash)
    RETURNING key`.execute(db);
  if (claimed.rows.length > 0) return { kind: 'claimed' };
  const found = await sql<{ request_hash: string; state: 'in_flight' | 'done'; response_status: number | null; response_body: string | null }>`
    SELECT request_hash, state, response_status, response_body FROM ${table} WHERE ${column} = ${scope.holder} AND key = ${key}`.execute(db);
  const row = found.rows[0];
  // Gone between the two statements (expired and purged): a fresh claim is the honest answer.
  if (!row) return claimKey(db, scope, key, requestHash, now);
  if (row.request_hash !== requestHash) return { kind: 'conflict', reason: 'different_request' };
  if (row.state === 'done' && row.response_body !== null) return { kind: 'replay', status: row.response_status ?? 200, body: row.response_body };
  return { kind: 'conflict', reason: 'in_flight' };
}

export async function completeKey(db: Queryable, scope: KeyScope, key: string, status: number, body: string): Promise<void> {
  const { table, column } = ident(scope);
  await sql`UPDATE ${table} SET state = 'done', response_status = ${status}, response_body = ${body} WHERE ${column} = ${scope.holder} AND key = ${key}`.execute(db);
}

/** The method failed unexpectedly and wrote nothing: the key is free for a retry. */
export async function releaseKey(db: Queryable, scope: KeyScope, key: string): Promise<void> {
  const { table, column } = ident(scope);
  await sql`DELETE FROM ${table} WHERE ${column} = ${scope.holder} AND key = ${key} AND state = 'in_flight'`.execute(db);
}

export async function purgeExpiredKeys(db: Queryable, now: Date): Promise<number> {
  const before = new Date(now.getTime() - KEY_TTL_MS - STALE_MS);
  const res = await db.deleteFrom('idempotency_keys').where('created_at', '<', before).executeTakeFirst();
  await db.deleteFrom('admin_idempotency_keys').where('created_at', '<', before).execute();
  return Number(res.numDeletedRows);
}
