import path from 'node:path';

/**
 * The only reader of process.env. Every setting is parsed and checked here, once, at start; a bad
 * value stops the process with a message that names the variable and what it should look like.
 */
export type Mode = 'sandbox' | 'live';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

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

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const mode = env['PAYRAIL_MODE'] || 'sandbox';
  if (mode !== 'sandbox' && mode !== 'live') {
    throw new ConfigError(`PAYRAIL_MODE must be "sandbox" or "live", got "${mode}"`);
  }
  const logLevel = env['LOG_LEVEL'] || 'info';
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
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
    dataDir: path.resolve(env['PAYRAIL_DATA_DIR'] || './.payrail'),
    adminToken,
    mode,
    masterKey,
    logLevel: logLevel as LogLevel,
    publicUrl,
    bodyLimitBytes: 64 * 1024,
    webhookAllowPrivate: parseBool('PAYRAIL_WEBHOOK_ALLOW_PRIVATE', env['PAYRAIL_WEBHOOK_ALLOW_PRIVATE'], mode === 'sandbox'),
    runWorker: parseBool('PAYRAIL_WORKER', env['PAYRAIL_WORKER'], true),
  });
}
