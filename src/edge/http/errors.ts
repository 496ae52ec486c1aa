import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ERROR_STATUS, type ErrorCode } from '../../kernel/errors.js';
import type { BodyDrain } from './body-drain.js';
import { describeValidationError } from './validation.js';

/** `{"status":"error","error":{"code","description"}}`, serialised once: the bytes that are sent (and replayed). */
export function errorBody(code: ErrorCode, description: string): string {
  return JSON.stringify({ status: 'error', error: { code, description } });
}

export function sendError(reply: FastifyReply, code: ErrorCode, description: string): FastifyReply {
  return reply.code(ERROR_STATUS[code]).type('application/json; charset=utf-8').send(errorBody(code, description));
}

// Connection-level failures of the database: the request may be retried, nothing was decided.
const UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P02', '57P03', '53300']);

// A value PostgreSQL cannot hold in text or jsonb: NUL in a text parameter (22021, invalid byte
// sequence / character not in repertoire) or the escape \u0000 in jsonb (22P05). The schemas refuse
// these first, naming the field; this is the last defence for a string no schema checks.
const UNSTORABLE = new Set(['22021', '22P05']);

/** Maps anything thrown to the one error list. Unexpected errors are logged with the request id and never leaked. */
export function toApiError(err: unknown, req: FastifyRequest): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as FastifyError & { code?: string };
  if (e.validation) return new ApiError('invalid_request', describeValidationError(e.validation, e.validationContext ?? 'body'));
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('payload_too_large', `request body is larger than the ${req.routeOptions.bodyLimit ?? 65536} bytes allowed`);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('invalid_request', 'Content-Length does not match the body');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('invalid_request', e.message);
  }
  // The client went away mid-body: fastify reports the request stream's 'aborted' as ECONNRESET
  // with status 400. Not the database's ECONNRESET; nobody is left to read the answer.
  if (e.code === 'ECONNRESET' && e.statusCode === 400) return new ApiError('invalid_request', 'the request was aborted before its body was complete');
  if (e.code && UNSTORABLE.has(e.code)) {
    req.log.warn({ err }, 'request value the database cannot store');
    return new ApiError('invalid_request', 'the request holds a character that cannot be stored (such as U+0000, NUL)');
  }
  if (e.code && UNAVAILABLE.has(e.code)) {
    req.log.error({ err }, 'database unavailable');
    return new ApiError('service_unavailable', `the database is unavailable; retry later (request ${req.id})`);
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new ApiError('invalid_request', e.message);
  }
  req.log.error({ err }, 'unexpected error');
  return new ApiError('internal_error', `internal error; quote request id ${req.id} when reporting it`);
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * The envelope for every refusal, 404 and 405 included. A path that exists with other methods is
 * 405 `method_not_allowed` with an Allow header: that includes a CORS preflight (OPTIONS) to /api
 * or /admin, which browsers do not call (CORS is served only on /cds, src/edge/api/token.routes.ts).
 * A 413 leaves the connection open and drops the rest of the body (body-drain.ts), so that a
 * client still sending reads the answer.
 */
export function installErrorHandling(app: FastifyInstance, drain: BodyDrain): void {
  app.setErrorHandler((err, req, reply) => {
    const apiError = toApiError(err, req);
    if (apiError.code === 'payload_too_large') {
      // fastify asks to close the connection after a body error, and so may the client; closing
      // with the client's bytes unread would reset it before it reads the answer. The connection
      // stays open while the rest of the body is dropped (body-drain.ts closes it after, if asked).
      reply.removeHeader('connection');
      reply.raw.shouldKeepAlive = true;
      drain.drain(req.raw);
    }
    return sendError(reply, apiError.code, apiError.message);
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const allowed = METHODS.filter((method) => method !== req.method && app.findRoute({ method, url: path }) !== null);
    if (allowed.length === 0) return sendError(reply, 'not_found', `no such endpoint: ${req.method} ${path}`);
    const cors = req.method === 'OPTIONS' ? ' (cross-origin requests are served only under /cds)' : '';
    reply.header('allow', allowed.join(', '));
    return sendError(reply, 'method_not_allowed', `${req.method} is not allowed on ${path}${cors}; allowed: ${allowed.join(', ')}`);
  });
}
