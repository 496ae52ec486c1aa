import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, findDataDir, loadConfig } from './config.js';

const HEX_KEY = 'ab'.repeat(32);

function fails(env: Record<string, string>, message: string): void {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
      assert.equal(err.name, 'ConfigError');
      assert.equal(err.message, message);
      return true;
    },
  );
}

describe('rate-limit store and load shedding', () => {
  test('read, checked, and 0 turns a shedding bound off', () => {
    const config = loadConfig({ PAYRAIL_REDIS_URL: 'redis://127.0.0.1:6379/2', PAYRAIL_SHED_DB_WAITING: '0', PAYRAIL_SHED_MAX_IN_FLIGHT: '200', PAYRAIL_SHED_EVENT_LOOP_DELAY_MS: '150', PAYRAIL_SHED_PACE: 'false', PAYRAIL_SHED_RETRY_AFTER: '0' });
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379/2');
    assert.deepEqual(config.shedding, { maxEventLoopDelayMs: 150, maxDbWaiting: 0, maxInFlight: 200, retryAfterSeconds: 1, pace: false });
    fails({ PAYRAIL_REDIS_URL: 'http://127.0.0.1:6379' }, 'PAYRAIL_REDIS_URL must be a URL like redis://127.0.0.1:6379 (or rediss:// for TLS)');
    fails({ PAYRAIL_SHED_MAX_IN_FLIGHT: '-1' }, 'PAYRAIL_SHED_MAX_IN_FLIGHT must be a whole number (0 turns it off), got "-1"');
  });
});

describe('loadConfig defaults', () => {
  test('an empty environment is a local sandbox on 127.0.0.1:8131 with PGlite in ./.payrail', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-config-'));
    const config = loadConfig({}, empty);
    assert.deepEqual(config, {
      port: 8131,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: path.join(empty, '.payrail'),
      adminToken: undefined,
      mode: 'sandbox',
      masterKey: undefined,
      logLevel: 'info',
      logFormat: 'auto',
      publicUrl: 'http://127.0.0.1:8131',
      bodyLimitBytes: 65536,
      webhookAllowPrivate: true,
      runWorker: true,
      redisUrl: undefined,
      redisPrefix: 'payrail:',
      shedding: { maxEventLoopDelayMs: 0, maxDbWaiting: 64, maxInFlight: 64, retryAfterSeconds: 1, pace: true },
      dashboardSessionTtlSeconds: 28800,
      metricsHost: '127.0.0.1',
      metricsPort: undefined,
      metricsToken: undefined,
      requestLogRetentionMs: 86_400_000,
    });
    assert.ok(Object.isFrozen(config));
    fs.rmSync(empty, { recursive: true });
  });

  test('reads only the env it is given, not process.env', () => {
    const saved = process.env['PORT'];
    process.env['PORT'] = 'not-a-port';
    try {
      assert.equal(loadConfig({}).port, 8131);
    } finally {
      if (saved === undefined) delete process.env['PORT'];
      else process.env['PORT'] = saved;
    }
  });

  test('empty strings count as unset', () => {
    const config = loadConfig({ PORT: '', PAYRAIL_MODE: '', LOG_LEVEL: '', DATABASE_URL: '', PAYRAIL_MASTER_KEY: '', PAYRAIL_ADMIN_TOKEN: '', HOST: '' });
    assert.equal(config.port, 8131);
    assert.equal(config.mode, 'sandbox');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.masterKey, undefined);
    assert.equal(config.adminToken, undefined);
    assert.equal(config.host, '127.0.0.1');
  });
});

describe('loadConfig values', () => {
  test('every setting is read and typed', () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgresql://u:p@db:5432/payrail',
      PAYRAIL_DATA_DIR: '/var/lib/payrail',
      PAYRAIL_ADMIN_TOKEN: 't'.repeat(16),
      PAYRAIL_MODE: 'live',
      PAYRAIL_MASTER_KEY: HEX_KEY,
      LOG_LEVEL: 'warn',
      PAYRAIL_PUBLIC_URL: 'https://pay.example.com///',
    });
    assert.equal(config.port, 0);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.databaseUrl, 'postgresql://u:p@db:5432/payrail');
    assert.equal(config.dataDir, '/var/lib/payrail');
    assert.equal(config.adminToken, 'tttttttttttttttt');
    assert.equal(config.mode, 'live');
    assert.deepEqual(config.masterKey, Buffer.from(HEX_KEY, 'hex'));
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.publicUrl, 'https://pay.example.com');
    assert.equal(config.webhookAllowPrivate, false, 'live mode refuses private webhook targets by default');
  });

  test('the master key may be base64 as well as hex', () => {
    const raw = Buffer.alloc(32, 7);
    assert.deepEqual(loadConfig({ PAYRAIL_MASTER_KEY: raw.toString('base64') }).masterKey, raw);
    assert.deepEqual(loadConfig({ PAYRAIL_MASTER_KEY: HEX_KEY.toUpperCase() }).masterKey, Buffer.from(HEX_KEY, 'hex'));
  });

  test('an IPv6 host is bracketed in the default public URL', () => {
    assert.equal(loadConfig({ HOST: '::1', PORT: '9000' }).publicUrl, 'http://[::1]:9000');
  });

  test('65535 is the highest port', () => {
    assert.equal(loadConfig({ PORT: '65535' }).port, 65535);
  });
});

describe('loadConfig refuses bad values with a message naming the variable', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['PORT=abc', { PORT: 'abc' }, 'PORT must be a whole number from 0 to 65535, got "abc"'],
    ['PORT=70000', { PORT: '70000' }, 'PORT must be a whole number from 0 to 65535, got "70000"'],
    ['PORT=-1', { PORT: '-1' }, 'PORT must be a whole number from 0 to 65535, got "-1"'],
    ['PORT=80.5', { PORT: '80.5' }, 'PORT must be a whole number from 0 to 65535, got "80.5"'],
    ['PAYRAIL_MODE=prod', { PAYRAIL_MODE: 'prod' }, 'PAYRAIL_MODE must be "sandbox" or "live", got "prod"'],
    ['DATABASE_URL=mysql://x', { DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must start with postgres:// or postgresql://, got "mysql://"'],
    ['DATABASE_URL not a URL', { DATABASE_URL: 'localhost:5432/db' }, 'DATABASE_URL must start with postgres:// or postgresql://, got "localhost://"'],
    ['DATABASE_URL unparsable', { DATABASE_URL: 'not a url' }, 'DATABASE_URL must be a URL like postgres://user:password@host:5432/dbname'],
    [
      'PAYRAIL_MASTER_KEY too short',
      { PAYRAIL_MASTER_KEY: 'abcd' },
      'PAYRAIL_MASTER_KEY must be 32 bytes, as 64 hex characters or base64 (openssl rand -hex 32)',
    ],
    [
      'PAYRAIL_MASTER_KEY of 63 hex characters',
      { PAYRAIL_MASTER_KEY: HEX_KEY.slice(1) },
      'PAYRAIL_MASTER_KEY must be 32 bytes, as 64 hex characters or base64 (openssl rand -hex 32)',
    ],
    ['live mode without a master key', { PAYRAIL_MODE: 'live' }, 'PAYRAIL_MASTER_KEY is required in live mode (generate one with: openssl rand -hex 32)'],
    ['a short admin token', { PAYRAIL_ADMIN_TOKEN: 'short' }, 'PAYRAIL_ADMIN_TOKEN must be at least 16 characters long'],
    ['an admin token of 15 characters', { PAYRAIL_ADMIN_TOKEN: 'x'.repeat(15) }, 'PAYRAIL_ADMIN_TOKEN must be at least 16 characters long'],
    ['LOG_LEVEL=verbose', { LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"'],
    ['PAYRAIL_LOG_FORMAT=yaml', { PAYRAIL_LOG_FORMAT: 'yaml' }, 'PAYRAIL_LOG_FORMAT must be auto, pretty or json, got "yaml"'],
    ['PAYRAIL_PUBLIC_URL not a URL', { PAYRAIL_PUBLIC_URL: 'pay.example.com' }, 'PAYRAIL_PUBLIC_URL must be a URL, got "pay.example.com"'],
  ];
  for (const [name, env, message] of cases) {
    test(name, () => fails(env, message));
  }
});

describe('the data dir', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-datadir-'));
  const deep = path.join(root, 'shop', 'src', 'handlers');
  fs.mkdirSync(deep, { recursive: true });
  fs.mkdirSync(path.join(root, '.payrail'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  test('is the nearest .payrail found walking up from the working directory', () => {
    assert.equal(loadConfig({}, deep).dataDir, path.join(root, '.payrail'));
    assert.equal(findDataDir({}, root), path.join(root, '.payrail'));
  });

  test('a nearer .payrail wins, and a file named .payrail is not a data dir', () => {
    fs.mkdirSync(path.join(root, 'shop', '.payrail'));
    fs.writeFileSync(path.join(deep, '.payrail'), 'not a directory');
    try {
      assert.equal(findDataDir({}, deep), path.join(root, 'shop', '.payrail'));
    } finally {
      fs.rmSync(path.join(root, 'shop', '.payrail'), { recursive: true });
      fs.rmSync(path.join(deep, '.payrail'));
    }
  });

  test('PAYRAIL_DATA_DIR wins over any .payrail, resolved against the working directory', () => {
    assert.equal(findDataDir({ PAYRAIL_DATA_DIR: 'sandbox' }, deep), path.join(deep, 'sandbox'));
    assert.equal(findDataDir({ PAYRAIL_DATA_DIR: '/srv/payrail' }, deep), '/srv/payrail');
  });

  test('with no .payrail anywhere above, it is ./.payrail (which the server creates)', () => {
    const lone = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-lone-'));
    try {
      assert.equal(findDataDir({}, lone), path.join(lone, '.payrail'));
    } finally {
      fs.rmSync(lone, { recursive: true });
    }
  });

  test('PAYRAIL_LOG_FORMAT is read', () => {
    assert.equal(loadConfig({ PAYRAIL_LOG_FORMAT: 'json' }, root).logFormat, 'json');
    assert.equal(loadConfig({ PAYRAIL_LOG_FORMAT: 'pretty' }, root).logFormat, 'pretty');
  });
});
