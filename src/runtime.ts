import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { buildApp } from './edge/app.js';
import type { Config } from './platform/config/config.js';
import { openDatabase, type DatabaseHandle } from './platform/db/database.js';
import { migrate } from './platform/db/migrate.js';
import { syncClock } from './platform/clock/clock.service.js';
import { releaseAllLeases } from './platform/leases/lease.repo.js';
import { housekeepingJobs, scheduleHousekeeping } from './platform/jobs/housekeeping.js';
import type { JobHandler } from './platform/jobs/job-runner.js';
import { handlerEntries, type JobHandlers } from './platform/jobs/job-kinds.js';
import { paymentOperations } from './domain/payments/payment.kind.js';
import { payoutOperations } from './domain/payouts/payout.kind.js';
import { refundOperations } from './domain/refunds/refund.kind.js';
import type { SessionDeps } from './domain/sessions/session-deps.js';
import { outboxEvents } from './edge/wire/outbox-events.js';
import { paymentJobHandlers } from './domain/payments/payment.jobs.js';
import { payoutJobHandlers } from './domain/payouts/payout.jobs.js';
import { SandboxRails } from './connectors/sandbox/sandbox-rails.js';
import { SandboxTaxpayers } from './connectors/sandbox/sandbox-taxpayers.js';
import { UnconfiguredTaxpayers } from './connectors/unconfigured/unconfigured-taxpayers.js';
import { UnconfiguredRails } from './connectors/unconfigured/unconfigured-processor.js';
import { SandboxCardProcessor } from './connectors/sandbox/sandbox-card-processor.js';
import { SandboxPayerRails } from './connectors/sandbox/sandbox-payer-rails.js';
import { SandboxWalletTokens } from './connectors/sandbox/sandbox-wallet-tokens.js';
import { UnconfiguredPayerRails, UnconfiguredWalletTokens } from './connectors/unconfigured/unconfigured-payer-rails.js';
import { UnconfiguredProcessor } from './connectors/unconfigured/unconfigured-processor.js';
import { loadKeyring } from './platform/keys/keyring.js';
import { resolveMasterKey } from './platform/keys/master-key.js';
import { loadServerKey } from './platform/keys/server-key.js';
import { ensureDemoProject } from './domain/projects/demo.js';
import { ProjectDirectory } from './domain/projects/project-directory.js';
import { OffsetClock, systemClock, type Clock } from './kernel/clock.js';
import { newId } from './kernel/ids.js';
import { readOrCreateSecretFile } from './platform/keys/secret-file.js';
import { createWorker, type Worker } from './platform/worker/worker.js';
import { RequestLogWriter } from './platform/request-log/request-log.writer.js';
import { DEFAULT_RETENTION_MS } from './platform/request-log/retention.js';
import { createMetrics, type Metrics } from './platform/metrics/metrics.js';
import { apiMetricsAccess, startMetricsServer } from './edge/http/metrics.js';
import { Redis } from 'ioredis';

export const VERSION = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string;

/** Card numbers, security codes, signatures and tokens never reach a log line, whatever logs them. */
export const REDACT = [
  'req.headers["x-partner-sign"]',
  'req.headers.authorization',
  '*.number',
  '*.security_code',
  '*.card.number',
  'body',
];

/** JSON lines for machines; on a terminal (or PAYRAIL_LOG_FORMAT=pretty) one readable line per event. Redaction applies to both. */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>): Logger {
  const options = { level: config.logLevel, redact: { paths: REDACT, censor: '[redacted]' } };
  const human = config.logFormat === 'pretty' || ((config.logFormat ?? 'auto') === 'auto' && process.stdout.isTTY === true);
  return human ? pino(options, pretty({ sync: true, colorize: !process.env['NO_COLOR'] && process.stdout.isTTY === true, ignore: 'pid,hostname' })) : pino(options);
}

export interface Runtime {
  readonly config: Config;
  readonly database: DatabaseHandle;
  readonly app: FastifyInstance;
  readonly clock: Clock;
  readonly adminToken: string;
  readonly demo: { created: boolean; privateKeyPath: string } | undefined;
  readonly worker: Worker;
  /** The domain's dependencies with its two ports (operation kinds, session events). */
  readonly domain: SessionDeps;
  /** The buffered writer of the partner request log (`payrail logs tail`). */
  readonly requestLog: RequestLogWriter;
  /** This runtime's Prometheus registry (GET /metrics). */
  readonly metrics: Metrics;
  /** The metrics listener's URL when PAYRAIL_METRICS_PORT is set; else undefined. */
  readonly metricsUrl: string | undefined;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  logger?: Logger;
  clock?: Clock;
  /** Override the PGlite directory (tests use memory://). */
  pgliteDir?: string;
  /** Run the background worker (default: PAYRAIL_WORKER, true). */
  startWorker?: boolean;
  /** Extra job handlers (domain modules add theirs here). */
  jobHandlers?: Iterable<[string, JobHandler]>;
  /** Count requests and deliveries for /metrics (default true; bench/metrics-overhead.ts measures it off). */
  instrument?: boolean;
}

/** config → database → migrations → keys → sandbox bootstrap → app. Used by `serve` and by the tests. */
export async function createRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const logger = opts.logger ?? createLogger(config);
  const clock = opts.clock ?? (config.mode === 'sandbox' ? new OffsetClock() : systemClock);
  fs.mkdirSync(config.dataDir, { recursive: true });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: opts.pgliteDir ?? path.join(config.dataDir, 'pglite') });
  const timers: NodeJS.Timeout[] = [];
  // Rate limits' shared store. Fail fast while it is down (no offline queue, 200 ms per command):
  // the limiter then serves requests unlimited and warns (src/edge/http/rate-limit.ts).
  const redis = config.redisUrl ? new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 200, lazyConnect: false }) : undefined;
  // Until the limiter listens (and logs), an unreachable store is not worth ioredis's console noise.
  redis?.on('error', () => undefined);
  try {
    const { db } = database;
    const applied = await migrate(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    // PGlite is this process's alone (the data-dir lock): any lease in it is a dead process's.
    if (database.kind === 'pglite') await releaseAllLeases(db);
    const keyring = await loadKeyring(db, resolveMasterKey(config), clock.now());
    const serverKey = await loadServerKey(db, keyring, newId, clock.now());
    fs.writeFileSync(path.join(config.dataDir, 'payrail.public.pem'), serverKey.publicKeyPem);
    const adminToken = config.adminToken ?? readOrCreateSecretFile(path.join(config.dataDir, 'admin-token'), () => randomBytes(24).toString('base64url'));
    const deps = { clock, ids: newId, webhookAllowPrivate: config.webhookAllowPrivate };
    // The domain's two ports: the kinds of operation a session holds, and where its changes become webhooks.
    const domain: SessionDeps = { clock, ids: newId, keyring, operations: [paymentOperations, payoutOperations, refundOperations], events: outboxEvents({ ids: newId }) };
    const demo = config.mode === 'sandbox' ? await ensureDemoProject(db, deps, config.dataDir) : undefined;
    const sandboxClock = clock instanceof OffsetClock ? clock : undefined;
    if (sandboxClock) await syncClock(db, sandboxClock);
    const projects = new ProjectDirectory(db);
    const processor = config.mode === 'sandbox' ? new SandboxCardProcessor(db) : new UnconfiguredProcessor();
    // FPS / internet banking / wallets, and the wallet-token decrypter for tokenized and secured cards.
    const payerRails = config.mode === 'sandbox' ? new SandboxPayerRails(db) : new UnconfiguredPayerRails();
    const walletTokens = config.mode === 'sandbox' ? new SandboxWalletTokens() : new UnconfiguredWalletTokens();
    // Every declared job kind has its handler, or this does not compile (platform/jobs/job-kinds.ts).
    const registry: JobHandlers = {
      ...housekeepingJobs(db, clock),
      ...paymentJobHandlers({ ...domain, db, processor, payerRails, walletTokens, publicUrl: config.publicUrl }),
      ...payoutJobHandlers({
        ...domain,
        db,
        rails: config.mode === 'sandbox' ? new SandboxRails(db) : new UnconfiguredRails(),
        taxpayers: config.mode === 'sandbox' ? new SandboxTaxpayers(db) : new UnconfiguredTaxpayers(),
      }),
    };
    const jobHandlers = new Map<string, JobHandler>([...handlerEntries(registry), ...(opts.jobHandlers ?? [])]);
    const metrics = createMetrics({ db, clock, poolStats: database.poolStats, info: { version: VERSION, mode: config.mode, database: database.kind } });
    const worker = createWorker({ db, clock, serverKey, webhookAllowPrivate: config.webhookAllowPrivate, jobHandlers, log: logger, observeDelivery: opts.instrument === false ? undefined : metrics.observeDelivery, listen: database.listen });
    await scheduleHousekeeping(db, clock);
    const requestLog = new RequestLogWriter({ db, clock, log: logger }, { retentionMs: config.requestLogRetentionMs ?? DEFAULT_RETENTION_MS[config.mode] });
    const app = await buildApp({
      ...domain,
      db,
      logger,
      projects,
      serverKey,
      adminToken,
      bodyLimitBytes: config.bodyLimitBytes,
      version: VERSION,
      worker,
      sandboxClock,
      webhookAllowPrivate: config.webhookAllowPrivate,
      walletTokens,
      requestLog,
      dashboardSessionTtlSeconds: config.dashboardSessionTtlSeconds,
      metrics: opts.instrument === false ? undefined : { metrics, access: apiMetricsAccess(config) },
      rateLimitStore: redis && { redis, prefix: config.redisPrefix ?? 'payrail:' },
      shedding: config.shedding && { ...config.shedding, dbQueueDepth: database.queueDepth },
    });
    // Its own listener only when asked for (PAYRAIL_METRICS_PORT); else /metrics is on the app, per apiMetricsAccess.
    const metricsServer =
      config.metricsPort === undefined ? undefined : await startMetricsServer({ metrics, token: config.metricsToken, host: config.metricsHost ?? '127.0.0.1', port: config.metricsPort, logger });
    requestLog.start();
    if (sandboxClock) {
      // Another instance may move the shared sandbox clock; follow it within a second.
      const follow = setInterval(() => void syncClock(db, sandboxClock).catch(() => undefined), 1000);
      follow.unref();
      timers.push(follow);
    }
    if (opts.startWorker ?? config.runWorker) worker.start();
    return {
      config,
      database,
      app,
      clock,
      adminToken,
      demo,
      worker,
      domain,
      requestLog,
      metrics,
      metricsUrl: metricsServer?.url,
      async close() {
        timers.forEach(clearInterval);
        await metricsServer?.close();
        await app.close();
        await requestLog.stop();
        await worker.stop();
        await database.close();
        redis?.disconnect();
      },
    };
  } catch (err) {
    timers.forEach(clearInterval);
    redis?.disconnect();
    await database.close();
    throw err;
  }
}
