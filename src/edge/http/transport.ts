import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ERROR_STATUS, type ErrorCode } from '../../kernel/errors.js';
import { errorBody, sendError } from './errors.js';
import { CONTROL } from './validation.js';

/**
 * The HTTP layer below the routes, answered in the API's error envelope like everything else:
 * - requests node's parser refuses (a malformed request line, headers over the size limit, a request
 *   not received in time) are answered on the socket itself (`clientErrorHandler`), and so are the
 *   requests node would answer or drop by itself (`refuseExpectation`, `refuseConnect`);
 * - URLs fastify's router refuses (a path parameter over MAX_PARAM_LENGTH, a broken %-escape)
 *   (`frameworkErrors`);
 * - a path parameter or query value holding a control character (`%00`, `%0d%0a`) is refused
 *   before any handler reads it (`refuseControlCharactersInUrl`): no id, token or name has one;
 * - a body over the limit gets its 413 at once, and the rest of the body is read and dropped
 *   (body-drain.ts) so that the client, still sending, sees the answer instead of a reset.
 */

/** Longest path parameter (a project name, a 3-D Secure id, a public token): fastify's default. */
export const MAX_PARAM_LENGTH = 100;

/** What node's HTTP parser refused, as a code of the closed list and a sentence. */
function describeClientError(err: NodeJS.ErrnoException & { reason?: string }): [ErrorCode, string] {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return ['headers_too_large', `the request line and headers are larger than the ${http.maxHeaderSize} bytes allowed`];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return ['request_timeout', 'the request was not received in full in time'];
    default:
      return ['invalid_request', `malformed HTTP request${err.reason ? `: ${err.reason}` : ''}`];
  }
}

/** An HTTP/1.1 answer written straight on a socket: the envelope, then our side closes. */
function socketAnswer(code: ErrorCode, description: string, extra = ''): string {
  const status = ERROR_STATUS[code];
  const body = errorBody(code, description);
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`;
}

/** Ends a socket after an answer, destroying it once the client has closed too or after a few seconds. */
function endGracefully(socket: Duplex, answer: string): void {
  socket.end(answer);
  const timer = setTimeout(() => socket.destroy(), 5_000);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

const answered = new WeakSet<Duplex>();

/**
 * fastify's `clientErrorHandler` (node's 'clientError'): the envelope written on the socket, then a
 * graceful close: our side ends after the answer, and the socket is destroyed once the client has
 * closed or after a few seconds. As node does, nothing is written when an answer to an earlier
 * request on this connection is already under way (that would corrupt it).
 */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // After a parse error every further chunk of the connection fails again: answer once.
  if (answered.has(socket)) return;
  answered.add(socket);
  const [code, description] = describeClientError(err);
  this.log.debug({ err }, 'client error');
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  endGracefully(socket, socketAnswer(code, description));
}

/**
 * node's 'checkExpectation': an `Expect` other than 100-continue, which node would otherwise answer
 * itself with a bare 417.
 */
export function refuseExpectation(req: IncomingMessage, res: ServerResponse): void {
  const body = errorBody('expectation_failed', `Expect: ${String(req.headers.expect).slice(0, 100)} is not supported; only 100-continue is`);
  res.writeHead(ERROR_STATUS.expectation_failed, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}

/** node's 'connect' (a CONNECT request, which node would otherwise drop without a word): this is no proxy. */
export function refuseConnect(_req: IncomingMessage, socket: Duplex): void {
  endGracefully(socket, socketAnswer('method_not_allowed', 'CONNECT is not supported: payrail is not a proxy'));
}

/** fastify's `frameworkErrors`: what the router refuses before a route (or the 404 handler) is chosen. */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  // No route means none of the app's hooks run: the request id header is set here.
  reply.header('x-request-id', req.id);
  switch (err.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return sendError(reply, 'uri_too_long', `a path parameter is longer than the ${MAX_PARAM_LENGTH} characters allowed`);
    case 'FST_ERR_BAD_URL':
      return sendError(reply, 'invalid_request', 'the path is not a valid URL: it holds a malformed %-escape');
    default:
      req.log.error({ err }, 'unexpected router error');
      return sendError(reply, 'internal_error', `internal error; quote request id ${req.id} when reporting it`);
  }
}

/** The first path parameter or query value (or name) holding a control character, as a sentence. */
function controlCharacterInUrl(req: FastifyRequest): string | undefined {
  for (const [name, value] of Object.entries((req.params ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string' && CONTROL.test(value)) return `path parameter ${name} must not contain control characters`;
  }
  for (const [name, value] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
    const values = Array.isArray(value) ? value : [value];
    if (CONTROL.test(name) || values.some((v) => typeof v === 'string' && CONTROL.test(v))) {
      return `query parameter ${JSON.stringify(name).slice(1, -1)} must not contain control characters`;
    }
  }
  return undefined;
}

/**
 * A preHandler hook of every route, the one check of URL parts (whoever's route it is): ids, tokens
 * and names never hold a control character, and PostgreSQL cannot even compare a text with NUL in
 * it. A preHandler runs after authentication, so, as for a body, nothing about the request is
 * judged for a caller who has not authenticated.
 */
export async function refuseControlCharactersInUrl(req: FastifyRequest): Promise<void> {
  const problem = controlCharacterInUrl(req);
  if (problem) throw new ApiError('invalid_request', problem);
}
