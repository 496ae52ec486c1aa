import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/database.js';
import { migrate } from './db/migrate.js';
import { syncClock } from './clock/clock.service.js';
import { housekeepingJobs, scheduleHousekeeping } from './jobs/housekeeping.js';
import type { JobHandler } from './jobs/job-runner.js';
import { paymentJobHandlers } from './payments/payment.jobs.js';
import { payoutJobHandlers } from './payouts/payout.jobs.js';
import { SandboxRails } from './processors/sandbox-rails.js';
import { UnconfiguredRails } from './processors/unconfigured-processor.js';
import { SandboxCardProcessor } from './processors/sandbox-card-processor.js';
import { UnconfiguredProcessor } from './processors/unconfigured-processor.js';
import { loadKeyring } from './keys/keyring.js';
import { resolveMasterKey } from './keys/master-key.js';
import { loadServerKey } from './keys/server-key.js';
import { ensureDemoProject } from './projects/demo.js';
import { ProjectDirectory } from './projects/project-directory.js';
import { OffsetClock, systemClock, type Clock } from './shared/clock.js';
import { newId } from './shared/ids.js';
import { readOrCreateSecretFile } from './shared/secret-file.js';
import { createWorker, type Worker } from './worker.js';

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

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, redact: { paths: REDACT, censor: '[redacted]' } });
}

export interface Runtime {
  readonly config: Config;
  readonly database: DatabaseHandle;
  readonly app: FastifyInstance;
  readonly clock: Clock;
  readonly adminToken: string;
  readonly demo: { created: boolean; privateKeyPath: string } | undefined;
  readonly worker: Worker;
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
}

/** config → database → migrations → keys → sandbox bootstrap → app. Used by `serve` and by the tests. */
export async function createRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const logger = opts.logger ?? createLogger(config);
  const clock = opts.clock ?? (config.mode === 'sandbox' ? new OffsetClock() : systemClock);
  fs.mkdirSync(config.dataDir, { recursive: true });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: opts.pgliteDir ?? path.join(config.dataDir, 'pglite') });
  const timers: NodeJS.Timeout[] = [];
  try {
    const { db } = database;
    const applied = await migrate(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    const keyring = await loadKeyring(db, resolveMasterKey(config), clock.now());
    const serverKey = await loadServerKey(db, keyring, newId, clock.now());
    fs.writeFileSync(path.join(config.dataDir, 'payrail.public.pem'), serverKey.publicKeyPem);
    const adminToken = config.adminToken ?? readOrCreateSecretFile(path.join(config.dataDir, 'admin-token'), () => randomBytes(24).toString('base64url'));
    const deps = { clock, ids: newId, webhookAllowPrivate: config.webhookAllowPrivate };
    const demo = config.mode === 'sandbox' ? await ensureDemoProject(db, deps, config.dataDir) : undefined;
    const sandboxClock = clock instanceof OffsetClock ? clock : undefined;
    if (sandboxClock) await syncClock(db, sandboxClock);
    const projects = new ProjectDirectory(db);
    const processor = config.mode === 'sandbox' ? new SandboxCardProcessor(db) : new UnconfiguredProcessor();
    const jobHandlers = new Map<string, JobHandler>([
      ...housekeepingJobs(db, clock),
      ...paymentJobHandlers({ db, clock, ids: newId, keyring, processor, publicUrl: config.publicUrl }),
      ...payoutJobHandlers({ db, clock, ids: newId, keyring, rails: config.mode === 'sandbox' ? new SandboxRails(db) : new UnconfiguredRails() }),
      ...(opts.jobHandlers ?? []),
    ]);
    const worker = createWorker({ db, clock, serverKey, webhookAllowPrivate: config.webhookAllowPrivate, jobHandlers, log: logger });
    await scheduleHousekeeping(db, clock);
    const app = await buildApp({
      db,
      clock,
      ids: newId,
      logger,
      projects,
      keyring,
      serverKey,
      adminToken,
      bodyLimitBytes: config.bodyLimitBytes,
      version: VERSION,
      worker,
      sandboxClock,
      webhookAllowPrivate: config.webhookAllowPrivate,
    });
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
      async close() {
        timers.forEach(clearInterval);
        await app.close();
        await worker.stop();
        await database.close();
      },
    };
  } catch (err) {
    timers.forEach(clearInterval);
    await database.close();
    throw err;
  }
}
