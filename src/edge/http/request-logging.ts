import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The envelope's error code of the answer, for the request's log line. */
    errorCode: string | undefined;
  }
}

// The envelope starts with its code (errors.ts errorBody).
const ERROR_CODE = /^\{"status":"error","error":\{"code":"([a-z_]{1,64})"/;

/** From the app's onSend hook: the code of an error answer, read from the bytes being sent. */
export function noteErrorCode(req: FastifyRequest, status: number, payload: unknown): void {
  if (status >= 400 && typeof payload === 'string') req.errorCode = ERROR_CODE.exec(payload)?.[1];
}

/**
 * One log line per request, written when the answer has gone (fastify's two, "incoming request"
 * and "request completed", cost a pino line each): `request`, with the request id (`reqId`, as
 * every line of the request), method, path (no query: it may hold a token), status, the envelope's
 * error code, latency in ms and the project of a signed call. A 5xx, or an answer that failed to
 * send, is logged at error (its cause was logged before, with the same reqId); everything else at
 * info; "incoming request" only at debug. fastify's other lines (a handler's error, a route not found) are kept as they are.
 */
export class OneLinePerRequest extends LogController {
  // At debug only: a line at arrival shows a request still being received (tests wait on it).
  override incomingRequest(req: FastifyRequest): void {
    if (req.log.level === 'debug' || req.log.level === 'trace') req.log.debug({ method: req.method, url: req.url.split('?', 1)[0] }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    const status = reply.statusCode;
    const line = {
      method: req.method,
      url: req.url.split('?', 1)[0],
      statusCode: status,
      errorCode: req.errorCode,
      responseTime: Math.round(reply.elapsedTime * 100) / 100,
      project: req.project?.name,
      err: error ?? undefined,
    };
    if (error || status >= 500) req.log.error(line, 'request');
    else req.log.info(line, 'request');
  }
}
