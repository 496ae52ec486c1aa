import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ERROR_STATUS, type ErrorCode } from '../../kernel/errors.js';
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

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const apiError = toApiError(err, req);
    return sendError(reply, apiError.code, apiError.message);
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 'not_found', `no such endpoint: ${req.method} ${req.url.split('?')[0]}`));
}
