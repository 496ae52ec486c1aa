import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { noteErrorCode, OneLinePerRequest } from './http/request-logging.js';
import type { Db } from '../platform/db/database.js';
import { adminAuth } from './http/admin-auth.js';
import { adminIdempotency } from './http/idempotency.js';
import { ADMIN_KEYS } from '../platform/idempotency/idempotency.repo.js';
import { BodyDrain } from './http/body-drain.js';
import { installErrorHandling } from './http/errors.js';
import { opsRoutes } from './http/ops.routes.js';
import { openApiOptions } from './openapi/document.js';
import { docsRoutes } from './openapi/docs.routes.js';
import { registerPartnerApi } from './http/partner-api.js';
import { installRawBodyParser } from './http/raw-body.js';
import { clientErrorHandler, frameworkErrors, MAX_PARAM_LENGTH, refuseConnect, refuseControlCharactersInUrl, refuseExpectation } from './http/transport.js';
import { compile } from './http/validation.js';
import { ApiError } from '../kernel/errors.js';
import type { ServerKey } from '../platform/keys/server-key.js';
import type { ProjectDirectory } from '../domain/projects/project-directory.js';
import { projectAdminRoutes } from './admin/project.routes.js';
import { ledgerAdminRoutes } from './admin/ledger.routes.js';
import { paymentMethods } from './api/payment.routes.js';
import { multiMethods } from './api/multi.routes.js';
import { payoutMethods } from './api/payout.routes.js';
import { chargebackMethods } from './api/chargeback.routes.js';
import { fiscalizationMethods } from './api/fiscalization.routes.js';
import { reportAdminRoutes } from './admin/report.routes.js';
import { sessionActionMethods } from './api/session-actions.routes.js';
import { tokenMethods, tokenizeRoutes } from './api/token.routes.js';
import { sessionMethods } from './api/session.routes.js';
import { paymentPageApiRoutes, paymentPageRoutes } from './pages/payment-page.routes.js';
import { threeDsRoutes } from './pages/three-ds.routes.js';
import { payerPageRoutes } from './pages/payer-pages.routes.js';
import { sberPayMethods } from './api/sberpay.routes.js';
import type { WalletTokenDecrypter } from '../domain/payments/card-processor.port.js';
import { tokenizeWidgetRoutes } from './pages/tokenize-widget.routes.js';
import { selfEmployedWidgetRoutes } from './pages/self-employed-widget.routes.js';
import { subscriptionMethods } from './api/subscription.routes.js';
import { clockAdminRoutes } from './admin/clock.routes.js';
import type { OffsetClock } from '../kernel/clock.js';
import { webhookAdminRoutes } from './admin/webhook.routes.js';
import type { Worker } from '../platform/worker/worker.js';
import type { SessionDeps } from '../domain/sessions/session-deps.js';
import type { RequestLogWriter } from '../platform/request-log/request-log.writer.js';
import { payrailRequestMethods, recordPartnerRequests } from './api/payrail-requests.routes.js';
import { payrailEventsRoutes } from './api/payrail-events.routes.js';
import { requestLogAdminRoutes } from './admin/request-log.routes.js';
import { dashboardRoutes } from './dashboard/dashboard.routes.js';
import type { Metrics } from '../platform/metrics/metrics.js';
import { instrumentRequests, metricsRoute, shedObserver, type MetricsAccess } from './http/metrics.js';
import type { Redis } from 'ioredis';
import { shedGate, type LoadSheddingOptions } from './http/load-shedding.js';
import { installRateLimit } from './http/rate-limit.js';

export interface AppDeps extends SessionDeps {
  readonly db: Db;
  readonly logger: FastifyBaseLogger;
  readonly projects: ProjectDirectory;
  readonly serverKey: ServerKey;
  readonly adminToken: string;
  readonly bodyLimitBytes: number;
  readonly version: string;
  readonly worker: Worker;
  /** The movable sandbox clock; undefined in live mode. */
  readonly sandboxClock: OffsetClock | undefined;
  readonly webhookAllowPrivate: boolean;
  /** Opens wallet tokens at payment start (tokenized_card, Google Pay, Apple Pay). */
  readonly walletTokens?: WalletTokenDecrypter | undefined;
  /** Where partner API requests are recorded (`payrail logs tail`); none: not recorded. */
  readonly requestLog?: RequestLogWriter | undefined;
  /** How long a dashboard login lasts (PAYRAIL_DASHBOARD_SESSION_TTL, seconds); none: 8 hours. */
  readonly dashboardSessionTtlSeconds?: number | undefined;
  /** This runtime's Prometheus metrics, and who may read them on this app's GET /metrics (src/edge/http/metrics.ts); none: no /metrics. */
  readonly metrics?: { readonly metrics: Metrics; readonly access: MetricsAccess } | undefined;
  /** The store per-project rate limits share across instances (PAYRAIL_REDIS_URL); none: in memory. */
  readonly rateLimitStore?: { readonly redis: Redis; readonly prefix: string } | undefined;
  /** Load shedding (src/edge/http/load-shedding.ts); none: off. */
  readonly shedding?: (LoadSheddingOptions & { readonly dbQueueDepth: () => number }) | undefined;
}

/** Mounts every route on a new fastify instance. No I/O happens here; the caller owns the database. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // Load shedding answers in front of fastify, on node's server (load-shedding.ts): a shed request
  // costs no fastify request, hook, log line or request-log row.
  const gate = deps.shedding && shedGate({ log: deps.logger, dbQueueDepth: deps.shedding.dbQueueDepth }, deps.shedding);
  const app = Fastify({
    ...(gate && { serverFactory: gate.server }),
    loggerInstance: deps.logger,
    bodyLimit: deps.bodyLimitBytes,
    requestIdHeader: false,
    genReqId: () => `req_${randomUUID()}`,
    // One line per request, written when it is answered, instead of fastify's two (request-logging.ts).
    logController: new OneLinePerRequest(),
    // Requests arriving while the server closes get the envelope's service_unavailable (the hook below), not fastify's own 503 body.
    return503OnClosing: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Below the routes, too, every refusal is the envelope (src/edge/http/transport.ts).
    clientErrorHandler,
    frameworkErrors,
  });
  app.decorateRequest('errorCode', undefined);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'headers' ? () => true : compile(schema)));
  // Responses are serialised by the handlers (the exact bytes are signed or replayed); schemas only document them.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // On shutdown, answers to requests still in flight close their connection: a keep-alive client
  // must not hold the server open after its last answer.
  let closing = false;
  const drain = new BodyDrain();
  app.addHook('preClose', async () => {
    closing = true;
    drain.stop();
    app.server.closeIdleConnections();
  });
  // Callback style: no promise per request.
  app.addHook('onRequest', (_req, _reply, done) => {
    done(closing ? new ApiError('service_unavailable', 'the server is shutting down; retry') : undefined);
  });
  // After authentication (admin's preValidation hook) and the schemas, before any handler reads a parameter.
  app.addHook('preHandler', refuseControlCharactersInUrl);
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-request-id', req.id);
    if (closing) reply.header('connection', 'close');
    noteErrorCode(req, reply.statusCode, payload);
    done(null, payload);
  });
  app.server.on('checkExpectation', refuseExpectation);
  app.server.on('connect', refuseConnect);
  installRawBodyParser(app, deps.bodyLimitBytes);
  installErrorHandling(app, drain);
  if (deps.requestLog) recordPartnerRequests(app, { writer: deps.requestLog, projects: deps.projects, clock: deps.clock });
  if (deps.metrics) {
    instrumentRequests(app, deps.metrics.metrics);
    metricsRoute(app, deps.metrics.metrics, deps.metrics.access);
  }
  await gate?.attach(app, deps.metrics && shedObserver(app, deps.metrics.metrics));

  // The OpenAPI 3.1 document (GET /openapi.json, rendered at /docs): src/edge/openapi/document.ts.
  await app.register(swagger, openApiOptions(deps.version));
  docsRoutes(app);

  opsRoutes(app, { db: deps.db, serverPublicKeyPem: deps.serverKey.publicKeyPem });
  const rateLimit = await installRateLimit(app, { log: deps.logger, redis: deps.rateLimitStore?.redis, prefix: deps.rateLimitStore?.prefix });
  registerPartnerApi(app, { ...deps, rateLimit, afterCommit: () => deps.worker.nudge() }, [
    ...sessionMethods(deps),
    ...sessionActionMethods(deps),
    ...paymentMethods(deps),
    ...payoutMethods(deps),
    ...chargebackMethods(deps),
    ...fiscalizationMethods(deps),
    ...multiMethods(deps),
    ...tokenMethods(deps),
    ...sberPayMethods(deps),
    ...subscriptionMethods(deps),
    ...payrailRequestMethods(),
  ]);
  await payrailEventsRoutes(app, { ...deps, log: deps.logger });
  await tokenizeRoutes(app, deps);
  paymentPageApiRoutes(app, deps);
  paymentPageRoutes(app, deps);
  tokenizeWidgetRoutes(app, deps);
  selfEmployedWidgetRoutes(app, deps);
  threeDsRoutes(app, deps);
  payerPageRoutes(app, deps);
  await app.register(
    async (admin) => {
      admin.addHook('preValidation', adminAuth(deps.adminToken));
      adminIdempotency(admin, { db: deps.db, clock: deps.clock, scope: ADMIN_KEYS });
      projectAdminRoutes(admin, deps);
      webhookAdminRoutes(admin, { ...deps, sandbox: deps.sandboxClock !== undefined });
      clockAdminRoutes(admin, { db: deps.db, clock: deps.sandboxClock, worker: deps.worker });
      ledgerAdminRoutes(admin, deps);
      reportAdminRoutes(admin, deps);
      requestLogAdminRoutes(admin, deps);
    },
    { prefix: '/admin' },
  );
  // The operator's dashboard (docs/dashboard.md): its own login, cookies and CSRF, actions through the admin routes above.
  await dashboardRoutes(app, { ...deps, sessionTtlSeconds: deps.dashboardSessionTtlSeconds });
  return app;
}
