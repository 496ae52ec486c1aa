import fs from 'node:fs';
import path from 'node:path';
import { parseRetention } from '../request-log/retention.js';

/**
 * The only reader of process.env. Every setting is parsed and checked here, once, at start; a bad
 * value stops the process with a message that names the variable and what it should look like.
 */
export type Mode = 'sandbox' | 'live';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** `auto`: human-readable (pino-pretty) when stdout is a terminal, JSON lines otherwise. */
export type LogFormat = 'auto' | 'pretty' | 'json';

export interface Config {
  readonly port: number;
  readonly host: string;
  /** A PostgreSQL URL; undefined means embedded PGlite in `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** Explicit admin token; undefined means "generated and kept in the data dir". */
  readonly adminToken: string | undefined;
  readonly mode: Mode;
  /** 32-byte key wrapping secrets at rest; undefined means "generated in the data dir" (sandbox only). */
  readonly masterKey: Buffer | undefined;
  readonly logLevel: LogLevel;
  /** Optional so hand-built test configs stay valid; loadConfig always sets it. */
  readonly logFormat?: LogFormat;
  /** The URL partners and payers reach this server at; used in banners and hosted-page links. */
  readonly publicUrl: string;
  readonly bodyLimitBytes: number;
  /** Whether webhooks may target loopback/private/link-local addresses (default: only in sandbox mode). */
  readonly webhookAllowPrivate: boolean;
  /** Whether `serve` also runs the background worker (webhook delivery and timed jobs). */
  readonly runWorker: boolean;
  /**
   * PAYRAIL_REDIS_URL: the store the per-project rate limits share across instances; undefined: each
   * instance counts alone, in memory. Optional, as the two below, so hand-built test configs stay valid.
   */
  readonly redisUrl?: string | undefined;
  /** PAYRAIL_REDIS_PREFIX: the prefix of payrail's keys in that Redis (several deployments may share one). */
  readonly redisPrefix?: string;
  readonly shedding?: SheddingConfig;
  /** PAYRAIL_METRICS_TOKEN: the Bearer token every /metrics scrape must carry; undefined: none (docs/operations.md, "Metrics"). */
  readonly metricsToken?: string | undefined;
  /** PAYRAIL_METRICS_PORT: serve /metrics on its own listener (and not on the API's); undefined: on the API's, if at all. */
  readonly metricsPort?: number | undefined;
  /** PAYRAIL_METRICS_HOST: the metrics listener's address (default 127.0.0.1). */
  readonly metricsHost?: string;
  /** PAYRAIL_DASHBOARD_SESSION_TTL: how long a dashboard login lasts, in seconds (docs/dashboard.md); optional for hand-built configs. */
  readonly dashboardSessionTtlSeconds?: number;
  /**
   * PAYRAIL_REQUEST_LOG_RETENTION: how long the request log (`payrail logs tail`) keeps a request, in
   * ms; 0 records nothing. Default 24 h in sandbox, 7 d in live (platform/request-log/retention.ts).
   * Optional for hand-built configs: the runtime then uses the mode's default.
   */
  readonly requestLogRetentionMs?: number;
}

/** Load shedding (docs/operations.md, "Load shedding"); 0 turns a check off. */
export interface SheddingConfig {
  /**
   * PAYRAIL_SHED_EVENT_LOOP_DELAY_MS: shed while the mean event-loop delay over the last second exceeds
   * this. Default 200 on PostgreSQL, off on PGlite: PGlite runs the database on the event loop, so
   * there a long query is loop delay, and the database-queue bound is the one that fits.
   */
  readonly maxEventLoopDelayMs: number;
  /** PAYRAIL_SHED_DB_WAITING: shed while more than this many callers wait for the database. */
  readonly maxDbWaiting: number;
  /** PAYRAIL_SHED_MAX_IN_FLIGHT: shed while this many requests are in progress (admitted, not yet answered). */
  readonly maxInFlight: number;
  /** PAYRAIL_SHED_RETRY_AFTER: the Retry-After (seconds) of a shed request. */
  readonly retryAfterSeconds: number;
  /** PAYRAIL_SHED_PACE: a connection shed again before its Retry-After is up gets its 503 when it is up. */
  readonly pace: boolean;
}

export const DEFAULT_SHEDDING: SheddingConfig = { maxEventLoopDelayMs: 0, maxDbWaiting: 64, maxInFlight: 64, retryAfterSeconds: 1, pace: true };
const DEFAULT_SHEDDING_PGLITE: SheddingConfig = { ...DEFAULT_SHEDDING, maxEventLoopDelayMs: 0 };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 8131;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) throw new ConfigError(`PORT must be a whole number from 0 to 65535, got "${raw}"`);
  return n;
}

function parseDatabaseUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL must be a URL like postgres://user:password@host:5432/dbname');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql://, got "${url.protocol}//"`);
  }
  return raw;
}

function parseMasterKey(raw: string | undefined): Buffer | undefined {
  if (raw === undefined || raw === '') return undefined;
  const key = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) {
    throw new ConfigError('PAYRAIL_MASTER_KEY must be 32 bytes, as 64 hex characters or base64 (openssl rand -hex 32)');
  }
  return key;
}

function parseMetricsPort(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) throw new ConfigError(`PAYRAIL_METRICS_PORT must be a whole number from 0 to 65535, got "${raw}"`);
  return Number(raw);
}

function parseMetricsToken(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < 16 || /\s/.test(raw)) throw new ConfigError('PAYRAIL_METRICS_TOKEN must be at least 16 characters long, without spaces (openssl rand -hex 16)');
  return raw;
}

function parseCount(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw)) throw new ConfigError(`${name} must be a whole number (0 turns it off), got "${raw}"`);
  return Number(raw);
}

function parseRedisUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!URL.canParse(raw) || !/^rediss?:$/.test(new URL(raw).protocol)) {
    throw new ConfigError('PAYRAIL_REDIS_URL must be a URL like redis://127.0.0.1:6379 (or rediss:// for TLS)');
  }
  return raw;
}

function parseDashboardTtl(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 8 * 3600;
  if (!/^\d{1,7}$/.test(raw) || Number(raw) < 60 || Number(raw) > 604_800) {
    throw new ConfigError(`PAYRAIL_DASHBOARD_SESSION_TTL must be a whole number of seconds from 60 to 604800 (7 days), got "${raw}"`);
  }
  return Number(raw);
}

function parseRequestLogRetention(raw: string | undefined, mode: Mode): number {
  try {
    return parseRetention(raw, mode);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

function parseBool(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/**
 * The data dir: PAYRAIL_DATA_DIR (the CLI's --data-dir sets it), else the nearest `.payrail`
 * directory in `cwd` or one of its parents (so the CLI finds the sandbox from any subdirectory of
 * the project), else `<cwd>/.payrail`, which the server creates.
 */
export function findDataDir(env: NodeJS.ProcessEnv, cwd: string): string {
  if (env['PAYRAIL_DATA_DIR']) return path.resolve(cwd, env['PAYRAIL_DATA_DIR']);
  for (let dir = path.resolve(cwd); ; ) {
    const candidate = path.join(dir, '.payrail');
    if (fs.statSync(candidate, { throwIfNoEntry: false })?.isDirectory()) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.resolve(cwd, '.payrail');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Config {
  const mode = env['PAYRAIL_MODE'] || 'sandbox';
  if (mode !== 'sandbox' && mode !== 'live') {
    throw new ConfigError(`PAYRAIL_MODE must be "sandbox" or "live", got "${mode}"`);
  }
  const logLevel = env['LOG_LEVEL'] || 'info';
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const logFormat = env['PAYRAIL_LOG_FORMAT'] || 'auto';
  if (logFormat !== 'auto' && logFormat !== 'pretty' && logFormat !== 'json') {
    throw new ConfigError(`PAYRAIL_LOG_FORMAT must be auto, pretty or json, got "${logFormat}"`);
  }
  const adminToken = env['PAYRAIL_ADMIN_TOKEN'] || undefined;
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new ConfigError('PAYRAIL_ADMIN_TOKEN must be at least 16 characters long');
  }
  const masterKey = parseMasterKey(env['PAYRAIL_MASTER_KEY']);
  if (mode === 'live' && !masterKey) {
    throw new ConfigError('PAYRAIL_MASTER_KEY is required in live mode (generate one with: openssl rand -hex 32)');
  }
  const port = parsePort(env['PORT']);
  const host = env['HOST'] || '127.0.0.1';
  const publicUrl = (env['PAYRAIL_PUBLIC_URL'] || `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  if (!URL.canParse(publicUrl)) throw new ConfigError(`PAYRAIL_PUBLIC_URL must be a URL, got "${publicUrl}"`);
  const databaseUrl = parseDatabaseUrl(env['DATABASE_URL']);
  const shedDefaults = databaseUrl ? DEFAULT_SHEDDING : DEFAULT_SHEDDING_PGLITE;
  return Object.freeze({
    port,
    host,
    databaseUrl,
    dataDir: findDataDir(env, cwd),
    adminToken,
    mode,
    masterKey,
    logLevel: logLevel as LogLevel,
    logFormat,
    publicUrl,
    bodyLimitBytes: 64 * 1024,
    webhookAllowPrivate: parseBool('PAYRAIL_WEBHOOK_ALLOW_PRIVATE', env['PAYRAIL_WEBHOOK_ALLOW_PRIVATE'], mode === 'sandbox'),
    runWorker: parseBool('PAYRAIL_WORKER', env['PAYRAIL_WORKER'], true),
    redisUrl: parseRedisUrl(env['PAYRAIL_REDIS_URL']),
    redisPrefix: env['PAYRAIL_REDIS_PREFIX'] || 'payrail:',
    metricsToken: parseMetricsToken(env['PAYRAIL_METRICS_TOKEN']),
    metricsPort: parseMetricsPort(env['PAYRAIL_METRICS_PORT']),
    metricsHost: env['PAYRAIL_METRICS_HOST'] || '127.0.0.1',
    dashboardSessionTtlSeconds: parseDashboardTtl(env['PAYRAIL_DASHBOARD_SESSION_TTL']),
    requestLogRetentionMs: parseRequestLogRetention(env['PAYRAIL_REQUEST_LOG_RETENTION'], mode),
    shedding: Object.freeze({
      maxEventLoopDelayMs: parseCount('PAYRAIL_SHED_EVENT_LOOP_DELAY_MS', env['PAYRAIL_SHED_EVENT_LOOP_DELAY_MS'], shedDefaults.maxEventLoopDelayMs),
      maxDbWaiting: parseCount('PAYRAIL_SHED_DB_WAITING', env['PAYRAIL_SHED_DB_WAITING'], DEFAULT_SHEDDING.maxDbWaiting),
      maxInFlight: parseCount('PAYRAIL_SHED_MAX_IN_FLIGHT', env['PAYRAIL_SHED_MAX_IN_FLIGHT'], DEFAULT_SHEDDING.maxInFlight),
      retryAfterSeconds: Math.max(1, parseCount('PAYRAIL_SHED_RETRY_AFTER', env['PAYRAIL_SHED_RETRY_AFTER'], DEFAULT_SHEDDING.retryAfterSeconds)),
      pace: parseBool('PAYRAIL_SHED_PACE', env['PAYRAIL_SHED_PACE'], DEFAULT_SHEDDING.pace),
    }),
  });
}
