import type { Queryable } from '../db/database.js';
import { toLoggedRequest, type LoggedRequest } from './request-log.repo.js';

/** The dashboard's filters over one project's request log (what `payrail logs tail` reads). */
export interface RequestLogSearch {
  readonly projectId: string;
  /** The API method, e.g. `session/create`. */
  readonly method?: string | undefined;
  /** `2xx`, `4xx`, `5xx`, or an exact status. */
  readonly status?: { readonly from: number; readonly to: number } | undefined;
  /** Only refusals with this error code. */
  readonly errorCode?: string | undefined;
  /** Rows older than this id (the previous page's last). */
  readonly beforeId?: string | undefined;
  readonly limit: number;
}

/**
 * Newest first, paged by id. request_log_project (project_id, id) serves every combination: the
 * other filters are checked on rows read in id order, and the log is kept for a day in sandbox and
 * a week in live mode (platform/request-log/retention.ts), so a page never walks far.
 */
export async function searchRequests(db: Queryable, f: RequestLogSearch): Promise<LoggedRequest[]> {
  let q = db.selectFrom('request_log').selectAll().where('project_id', '=', f.projectId);
  if (f.method) q = q.where('method', '=', f.method);
  if (f.status) q = q.where('http_status', '>=', f.status.from).where('http_status', '<=', f.status.to);
  if (f.errorCode) q = q.where('error_code', '=', f.errorCode);
  if (f.beforeId) q = q.where('id', '<', f.beforeId as never);
  const rows = await q.orderBy('id', 'desc').limit(f.limit).execute();
  return rows.map(toLoggedRequest);
}
