import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ApiError, isErrorCode } from '../../kernel/errors.js';
import type { Metrics } from '../../platform/metrics/metrics.js';
import { sendError, toApiError } from './errors.js';

/**
 * GET /metrics (Prometheus text format) and the hook that counts every answered request. Who may
 * scrape is decided once, from the configuration (docs/operations.md, "Metrics"):
 * - PAYRAIL_METRICS_PORT set: metrics are served only on their own listener (PAYRAIL_METRICS_HOST,
 *   127.0.0.1 by default), never on the API's; the API's /metrics is 404 `not_found`;
 * - PAYRAIL_METRICS_TOKEN set: every scrape needs `Authorization: Bearer <token>`, wherever it is served;
 * - neither, in sandbox mode: the API's /metrics is open (the sandbox listens on 127.0.0.1 by default);
 * - neither, in live mode: not served (404 `not_found`, saying what to configure).
 */
export type MetricsAccess = { readonly served: true; readonly token: string | undefined } | { readonly served: false; readonly reason: string };

export function apiMetricsAccess(config: { mode: string; metricsToken?: string | undefined; metricsPort?: number | undefined }): MetricsAccess {
  if (config.metricsPort !== undefined) return { served: false, reason: 'metrics are served on the metrics listener (PAYRAIL_METRICS_HOST:PAYRAIL_METRICS_PORT), not on the API' };
  if (config.metricsToken) return { served: true, token: config.metricsToken };
  if (config.mode === 'sandbox') return { served: true, token: undefined };
  return { served: false, reason: 'in live mode /metrics is served only with PAYRAIL_METRICS_TOKEN or PAYRAIL_METRICS_PORT set (docs/operations.md, "Metrics")' };
}

const API_ROUTE = /^\/api\/v\d+\/(.+)$/;

/**
 * Counts each answer by API method (the partner method path, as `session/create`, for /api/vN/…;
 * the route pattern, as `/pay/:id`, for the rest; `unmatched` for a 404 outside any route), HTTP
 * status and the envelope's error code (`req.errorCode`, read once from the bytes being sent by the
 * app's own onSend hook, which runs before this one). The latency runs to the answer leaving.
 */
export function instrumentRequests(app: FastifyInstance, metrics: Metrics): void {
  const observe = requestObserver(metrics);
  // Callback style: no promise per answer.
  app.addHook('onSend', (req, reply, payload, done) => {
    observe(req.routeOptions.url, reply.statusCode, req.errorCode, reply.elapsedTime);
    done(null, payload);
  });
}

/** The hook's work for one answer (bench/metrics-overhead.ts measures it alone). */
export function requestObserver(metrics: Metrics): (route: string | undefined, status: number, errorCode: string | undefined, elapsedMs: number) => void {
  const labels = new Map<string, string>();
  return (route, status, errorCode, elapsedMs) => {
    let method = 'unmatched';
    if (route !== undefined) {
      const known = labels.get(route);
      method = known ?? API_ROUTE.exec(route)?.[1] ?? route;
      if (known === undefined) labels.set(route, method);
    }
    // Only codes of the closed list become label values.
    const code = status >= 400 && errorCode !== undefined && isErrorCode(errorCode) ? errorCode : '';
    metrics.observeRequest(method, status, code, elapsedMs / 1000);
  };
}

/**
 * Counts the requests load shedding answers before fastify sees them (load-shedding.ts): 503
 * `service_unavailable`, labelled by API method when the path is a route without parameters (every
 * partner and admin method), and `other` for the rest (a page path carries an id: not a label).
 */
export function shedObserver(app: FastifyInstance, metrics: Metrics): (path: string, seconds: number) => void {
  const routes = new Map<string, string>();
  app.addHook('onRoute', (route) => {
    if (!route.url.includes(':') && !route.url.includes('*')) routes.set(route.url, API_ROUTE.exec(route.url)?.[1] ?? route.url);
  });
  return (path, seconds) => metrics.observeRequest(routes.get(path) ?? 'other', 503, 'service_unavailable', seconds);
}

/** Constant-time check of `Authorization: Bearer <token>`; a refusal is the envelope's 401. */
function checkToken(token: string): (req: FastifyRequest) => void {
  const expected = createHash('sha256').update(token).digest();
  return (req) => {
    const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!match) throw new ApiError('authentication_error', 'metrics need Authorization: Bearer <PAYRAIL_METRICS_TOKEN>');
    const given = createHash('sha256').update(match[1]!.trim()).digest();
    if (!timingSafeEqual(given, expected)) throw new ApiError('authentication_error', 'metrics token is wrong');
  };
}

export function metricsRoute(app: FastifyInstance, metrics: Metrics, access: MetricsAccess): void {
  const check = access.served && access.token ? checkToken(access.token) : undefined;
  app.get('/metrics', { schema: { hide: true } }, async (req, reply: FastifyReply) => {
    if (!access.served) throw new ApiError('not_found', access.reason);
    if (check) {
      try {
        check(req);
      } catch (err) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        throw err;
      }
    }
    const text = await metrics.scrape();
    return reply.header('cache-control', 'no-store').type(metrics.contentType).send(text);
  });
}

/**
 * The metrics listener of PAYRAIL_METRICS_PORT: /metrics and nothing else, every other answer the
 * envelope. It never serves the API, so binding it to a private interface keeps the API public
 * and the metrics not.
 */
export async function startMetricsServer(opts: { metrics: Metrics; token: string | undefined; host: string; port: number; logger: FastifyBaseLogger }): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({ loggerInstance: opts.logger, forceCloseConnections: true });
  app.setErrorHandler((err, req, reply) => {
    const apiError = toApiError(err, req);
    return sendError(reply, apiError.code, apiError.message);
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 'not_found', `no such endpoint: ${req.method} ${req.url.split('?')[0] ?? ''} (this listener serves only GET /metrics)`));
  metricsRoute(app, opts.metrics, { served: true, token: opts.token });
  await app.listen({ host: opts.host, port: opts.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return { url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}/metrics`, close: () => app.close() };
}
