import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ProjectDirectory } from '../../domain/projects/project-directory.js';
import type { Clock } from '../../kernel/clock.js';
import { formatTimestamp } from '../../kernel/time.js';
import { listRequests, type LoggedRequest } from '../../platform/request-log/request-log.repo.js';
import type { RequestLogWriter } from '../../platform/request-log/request-log.writer.js';
import { defineRead, type ApiMethod } from '../http/partner-api.js';
import { IDEMPOTENCY_HEADER } from '../http/idempotency.js';

/**
 * The request log at the edge: the hook that records every partner API request (/api/v1 and
 * /api/v2; not /admin, whose callers are the operator, and not payrail/* itself, or `logs tail`
 * would log its own polling), and the partner method that reads it back (`payrail logs tail`).
 * Nothing of the request body is kept, nor the query string, nor any header but the idempotency key,
 * nor the error description (it may quote input): only the error code. Card-number-like digit runs
 * in the path or the idempotency key are masked, whatever separates the digits (spaces, dashes,
 * dots, percent-escapes): over-masking a long order number is the accepted price.
 *
 * The hook runs after the answer is sent and only pushes onto the writer's buffer; it catches
 * everything, so the log can neither fail nor slow a request beyond that push.
 */
const API_PATH = /^\/api\/(v[12])\/([^?#]*)/;
// 12 or more digits, each pair separated by at most a few non-alphanumeric characters or
// percent-escapes (`4111 1111`, `4111-1111`, `4111.1111`, `4111%201111`): anything that could be a PAN.
const DIGIT_RUN = /\d(?:(?:[^0-9A-Za-z]|%[0-9A-Fa-f]{2}){0,3}\d){11,}/g;

export const maskDigits = (s: string): string => s.replace(DIGIT_RUN, '[redacted]');

export function recordPartnerRequests(app: FastifyInstance, deps: { writer: RequestLogWriter; projects: ProjectDirectory; clock: Clock }): void {
  if (!deps.writer.enabled) return;
  // Callback style: no promise per request; only a refusal before authentication looks its project up.
  app.addHook('onResponse', (req, reply, done) => {
    try {
      const m = API_PATH.exec(req.url);
      if (m && !m[2]!.startsWith('payrail/')) {
        if (req.project) record(req, m, req.project.id, reply.statusCode, reply.elapsedTime);
        else void lookUpThenRecord(req, m, reply.statusCode, reply.elapsedTime);
      }
    } catch (err) {
      req.log.warn({ err }, 'request log: could not record the request');
    }
    done();
  });
  /** Refused before authentication finished (bad signature, bad body): still the project's request, if it names one. */
  async function lookUpThenRecord(req: FastifyRequest, m: RegExpExecArray, statusCode: number, elapsedMs: number): Promise<void> {
    try {
      const name = req.headers['x-partner-project'];
      if (typeof name !== 'string' || name.length > 64) return;
      const projectId = (await deps.projects.get(name).catch(() => null))?.project.id;
      if (projectId) record(req, m, projectId, statusCode, elapsedMs);
    } catch (err) {
      req.log.warn({ err }, 'request log: could not record the request');
    }
  }
  function record(req: FastifyRequest, m: RegExpExecArray, projectId: string, statusCode: number, elapsedMs: number): void {
    const key = req.headers[IDEMPOTENCY_HEADER];
    deps.writer.record({
      projectId,
      at: deps.clock.now(),
      apiVersion: m[1]!,
      method: maskDigits(m[2]!).slice(0, 100),
      httpMethod: req.method,
      path: maskDigits(req.url.split('?')[0]!).slice(0, 200),
      httpStatus: statusCode,
      // Read once from the envelope being sent, by the app's onSend hook (request-logging.ts).
      errorCode: req.errorCode ?? null,
      latencyMs: Math.round(elapsedMs),
      idempotencyKey: typeof key === 'string' ? maskDigits(key).slice(0, 128) : null,
      requestId: String(req.id),
    });
  }
}

/** The one wire shape of a log entry, for the partner method and the admin endpoint. */
export function renderRequest(r: LoggedRequest): Record<string, unknown> {
  return {
    id: r.id,
    at: formatTimestamp(r.at),
    api_version: r.apiVersion,
    method: r.method,
    http_method: r.httpMethod,
    path: r.path,
    http_status: r.httpStatus,
    error_code: r.errorCode,
    latency_ms: r.latencyMs,
    idempotency_key: r.idempotencyKey,
    request_id: r.requestId,
  };
}

export const Cursor = Type.String({ pattern: '^[0-9]{1,18}$', errorMessage: 'must be a cursor from an earlier answer (a whole number of at most 18 digits)' });
export const MAX_LIMIT = 500;

const RequestsBody = Type.Object(
  {
    after: Type.Optional(Cursor),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, errorMessage: `must be a whole number from 1 to ${MAX_LIMIT}` })),
  },
  { title: 'PayrailRequestsRequest', additionalProperties: false },
);
type RequestsBody = Static<typeof RequestsBody>;

/** Answers a page and the cursor to continue from (the last id, or the one given when nothing is new). */
export async function requestsPage(db: Parameters<typeof listRequests>[0], projectId: string, after: string | undefined, limit: number | undefined) {
  const rows = await listRequests(db, projectId, after, limit ?? 100);
  return { requests: rows.map(renderRequest), cursor: rows.at(-1)?.id ?? after ?? '0' };
}

export function payrailRequestMethods(): ApiMethod[] {
  return [
    defineRead<RequestsBody>({
      path: 'payrail/requests',
      summary:
        'payrail extension: the project\'s own API requests, oldest first (after `after`, or the newest `limit` without it), with status, error code, latency, idempotency key and request id; never a body',
      body: RequestsBody,
      run: async (db, ctx, body) => requestsPage(db, ctx.project.id, body.after, body.limit),
    }),
  ];
}
