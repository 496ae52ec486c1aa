import type { Selectable } from 'kysely';
import type { Queryable } from '../db/database.js';
import type { RequestLogTable } from '../db/schema.js';
import { runStatement, statement } from '../db/prepared.js';

/** One partner API request as the log keeps it: no body, no error description (docs/listen-and-logs.md). */
export interface RequestLogEntry {
  readonly projectId: string;
  readonly at: Date;
  readonly apiVersion: string;
  /** The API method name: the path after /api/<version>/, e.g. session/create. */
  readonly method: string;
  readonly httpMethod: string;
  readonly path: string;
  readonly httpStatus: number;
  readonly errorCode: string | null;
  readonly latencyMs: number;
  readonly idempotencyKey: string | null;
  readonly requestId: string;
}

export interface LoggedRequest extends RequestLogEntry {
  /** The cursor: ids only grow. */
  readonly id: string;
}

// The whole buffer as ONE jsonb parameter: a fixed text (prepared once, prepared.ts) and nothing to
// build per row, where a multi-row VALUES list would be a new 5,500-parameter text each time.
const INSERT_REQUESTS = statement(
  'request_log_insert',
  `INSERT INTO request_log (project_id, at, api_version, method, http_method, path, http_status, error_code, latency_ms, idempotency_key, request_id)
   SELECT project_id, at, api_version, method, http_method, path, http_status, error_code, latency_ms, idempotency_key, request_id
   FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (project_id bigint, at timestamptz, api_version text, method text, http_method text, path text,
     http_status integer, error_code text, latency_ms integer, idempotency_key text, request_id text)) WITH ORDINALITY AS r
   ORDER BY r.ordinality`,
);

/** One INSERT for a whole buffer, in the buffer's order (ids only grow: the cursor). */
export async function insertRequests(db: Queryable, entries: readonly RequestLogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map((e) => ({
    project_id: e.projectId,
    at: e.at.toISOString(),
    api_version: e.apiVersion,
    method: e.method,
    http_method: e.httpMethod,
    path: e.path,
    http_status: e.httpStatus,
    error_code: e.errorCode,
    latency_ms: e.latencyMs,
    idempotency_key: e.idempotencyKey,
    request_id: e.requestId,
  }));
  await runStatement(db, INSERT_REQUESTS, [JSON.stringify(rows)]);
}

/**
 * A project's requests, oldest first: those after `after` (up to `limit`, so a reader pages forward
 * without a gap), or without a cursor the newest `limit`. Served by request_log_project (project_id, id).
 */
export async function listRequests(db: Queryable, projectId: string, after: string | undefined, limit: number): Promise<LoggedRequest[]> {
  let q = db.selectFrom('request_log').selectAll().where('project_id', '=', projectId);
  if (after !== undefined) q = q.where('id', '>', after as never).orderBy('id', 'asc');
  else q = q.orderBy('id', 'desc');
  const rows = await q.limit(limit).execute();
  if (after === undefined) rows.reverse();
  return rows.map(toLoggedRequest);
}

/** A request_log row as the domain reads it (the one mapper: tail, the dashboard's search). */
export function toLoggedRequest(r: Selectable<RequestLogTable>): LoggedRequest {
  return {
    id: String(r.id),
    projectId: String(r.project_id),
    at: r.at,
    apiVersion: r.api_version,
    method: r.method,
    httpMethod: r.http_method,
    path: r.path,
    httpStatus: r.http_status,
    errorCode: r.error_code,
    latencyMs: r.latency_ms,
    idempotencyKey: r.idempotency_key,
    requestId: r.request_id,
  };
}

/** Deletes rows older than `before`; returns how many. */
export async function pruneRequests(db: Queryable, before: Date): Promise<number> {
  const res = await db.deleteFrom('request_log').where('at', '<', before).executeTakeFirst();
  return Number(res.numDeletedRows);
}
