import fs from 'node:fs';
import path from 'node:path';

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
}

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
  return Object.freeze({
    port,
    host,
    databaseUrl: parseDatabaseUrl(env['DATABASE_URL']),
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
  });
}
