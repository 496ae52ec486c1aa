import { sql } from 'kysely';
import type { Queryable } from '../db/database.js';
import { runStatement, statement, type PlannedInsert, type Statement } from '../db/prepared.js';

/**
 * X-PARTNER-IDEMPOTENCY-KEY storage, for the partner API (keys per project) and the admin API (keys
 * per admin scope). The unique (holder, key) primary key is what makes two instances agree.
 * - Partner API: a key is written once, `done` with the exact response bytes, by one statement of
 *   the call itself (`storeAnswer` inside the method's transaction, or `insertWithAnswer` folded
 *   into a one-statement call): the answer and the method's writes commit together or not at all,
 *   with one commit. A second request with the same key waits on the primary key until the first
 *   commits, then finds its answer (`findAnswer`) and replays it; its own writes roll back.
 * - Admin API: a key is claimed (`in_flight`, claimKey) before the handler and completed after it.
 * A claim older than STALE_MS whose method never committed (its process died; partner keys written
 * by earlier versions too) may be taken over by a retry of the same request, as an expired key may.
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

/** The key's row as claimKey's callers judge it: the answer to replay, or why not. */
export type Answer = Exclude<ClaimResult, { kind: 'claimed' }>;

/** What one request stores under its key. */
export interface KeyedAnswer {
  readonly projectId: string;
  readonly key: string;
  readonly requestHash: string;
  readonly now: Date;
  readonly status: number;
  readonly body: string;
}

// The key written as done with its answer; an existing key only when expired, or a stale claim of the same request.
const STORE = `INSERT INTO idempotency_keys AS k (project_id, key, request_hash, state, response_status, response_body, locked_at, created_at)
  VALUES ($1::bigint, $2::text, $3::text, 'done', $4::integer, $5::text, $6::timestamptz, $6::timestamptz)
  ON CONFLICT (project_id, key) DO UPDATE
    SET request_hash = EXCLUDED.request_hash, state = 'done', response_status = EXCLUDED.response_status,
        response_body = EXCLUDED.response_body, locked_at = EXCLUDED.locked_at, created_at = EXCLUDED.created_at
    WHERE k.created_at < $7::timestamptz
       OR (k.state = 'in_flight' AND k.locked_at < $8::timestamptz AND k.request_hash = EXCLUDED.request_hash)
  RETURNING 1 AS stored`;
const STORE_ANSWER = statement<{ stored: number }>('idempotency_store', STORE);
const FIND_ANSWER = statement<{ request_hash: string; state: 'in_flight' | 'done'; response_status: number | null; response_body: string | null }>(
  'idempotency_find',
  'SELECT request_hash, state, response_status, response_body FROM idempotency_keys WHERE project_id = $1 AND key = $2',
);

const storeParams = (a: KeyedAnswer) => [a.projectId, a.key, a.requestHash, a.status, a.body, a.now, new Date(a.now.getTime() - KEY_TTL_MS), new Date(a.now.getTime() - STALE_MS)];

/** Stores a partner request's answer under its key; false when the key is another request's (findAnswer says whose). */
export async function storeAnswer(db: Queryable, answer: KeyedAnswer): Promise<boolean> {
  return (await runStatement(db, STORE_ANSWER, storeParams(answer))).rows.length > 0;
}

const withAnswer = new Map<string, Statement<{ stored: number }>>();

/**
 * One statement that stores the answer under the key and, only if it did, runs the call's INSERT
 * (`INSERT … SELECT … FROM the stored key`): the whole idempotent call in one autocommit round trip.
 * False when the key is another request's; nothing was inserted then.
 */
export async function insertWithAnswer(db: Queryable, insert: PlannedInsert, answer: KeyedAnswer): Promise<boolean> {
  const s = insert.statement;
  let folded = withAnswer.get(s.name);
  if (!folded) {
    folded = statement(`${s.name}_keyed`, `WITH stored AS (${STORE}) INSERT INTO ${s.table} (${s.columns.join(', ')}) SELECT ${s.selectList(8)} FROM stored RETURNING 1 AS stored`);
    withAnswer.set(s.name, folded);
  }
  return (await runStatement(db, folded, [...storeParams(answer), ...insert.values])).rows.length > 0;
}

/** The answer stored under a key that storeAnswer could not take; undefined when it is gone (rolled back or purged meanwhile). */
export async function findAnswer(db: Queryable, projectId: string, key: string, requestHash: string): Promise<Answer | undefined> {
  const row = (await runStatement(db, FIND_ANSWER, [projectId, key])).rows[0];
  if (!row) return undefined;
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
