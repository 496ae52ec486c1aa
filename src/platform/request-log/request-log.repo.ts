import type { Queryable } from '../db/database.js';

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

/** One multi-row INSERT for a whole buffer. */
export async function insertRequests(db: Queryable, entries: readonly RequestLogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db
    .insertInto('request_log')
    .values(
      entries.map((e) => ({
        project_id: e.projectId,
        at: e.at,
        api_version: e.apiVersion,
        method: e.method,
        http_method: e.httpMethod,
        path: e.path,
        http_status: e.httpStatus,
        error_code: e.errorCode,
        latency_ms: e.latencyMs,
        idempotency_key: e.idempotencyKey,
        request_id: e.requestId,
      })),
    )
    .execute();
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
  return rows.map((r) => ({
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
  }));
}

/** Deletes rows older than `before`; returns how many. */
export async function pruneRequests(db: Queryable, before: Date): Promise<number> {
  const res = await db.deleteFrom('request_log').where('at', '<', before).executeTakeFirst();
  return Number(res.numDeletedRows);
}
