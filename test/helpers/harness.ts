import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../src/platform/config/config.js';
import { REDACT, createRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime.js';
import { OffsetClock } from '../../src/kernel/clock.js';
import { freshDatabase, type TestDatabase } from './test-db.js';

/**
 * One payrail runtime on a fresh database (PGlite in memory, or PostgreSQL with TEST_DATABASE_URL),
 * in sandbox mode with its `demo` project, an offset clock the test can move, and every log line
 * captured so tests can assert what was (not) logged. Requests go through fastify's inject(), or,
 * with `transport: 'http'`, over a real listening socket (what runs in front of fastify, load
 * shedding, then sees them too).
 */
export interface Reply {
  readonly statusCode: number;
  readonly body: string;
  readonly headers: Record<string, unknown>;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface CallOptions {
  version?: 'v1' | 'v2';
  project?: string;
  key?: KeyObject;
  idempotencyKey?: string;
  headers?: Record<string, string>;
  /** Send these exact bytes (default: JSON.stringify(body)). */
  raw?: string | Buffer;
}

export interface Harness {
  readonly runtime: Runtime;
  readonly clock: OffsetClock;
  readonly demoKey: KeyObject;
  readonly dataDir: string;
  readonly db: TestDatabase;
  readonly logs: string[];
  call(method: string, body?: unknown, opts?: CallOptions): Promise<Reply>;
  admin(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<Reply>;
  /** Any request, by the harness's transport. */
  request(method: string, url: string, headers?: Record<string, string>, payload?: string | Buffer): Promise<Reply>;
  close(): Promise<void>;
}

export function signBody(raw: string | Buffer, key: KeyObject): string {
  return sign('sha256', Buffer.isBuffer(raw) ? raw : Buffer.from(raw), key).toString('base64');
}

export function newKeyPair(): { publicPem: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey };
}

export async function startHarness(
  opts: { env?: Record<string, string>; database?: TestDatabase; runtime?: Pick<RuntimeOptions, 'jobHandlers' | 'startWorker'>; transport?: 'inject' | 'http' } = {},
): Promise<Harness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-test-'));
  const db = opts.database ?? (await freshDatabase());
  const config = loadConfig({ PAYRAIL_DATA_DIR: dataDir, LOG_LEVEL: 'info', ...(db.url ? { DATABASE_URL: db.url } : {}), ...opts.env });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: 'info', redact: { paths: REDACT, censor: '[redacted]' } }, sink);
  const clock = new OffsetClock();
  const runtime = await createRuntime(config, { logger, clock, pgliteDir: db.url ? undefined : 'memory://', ...opts.runtime });
  const demoKeyPath = path.join(dataDir, 'demo.private.pem');
  const demoKey = createPrivateKey(fs.readFileSync(demoKeyPath));
  const wrap = (res: { statusCode: number; body: string; headers: Record<string, unknown> }): Reply => ({
    statusCode: res.statusCode,
    body: res.body,
    headers: res.headers,
    json: () => JSON.parse(res.body),
  });
  const base = opts.transport === 'http' ? await runtime.app.listen({ port: 0, host: '127.0.0.1' }) : undefined;
  const request = async (method: string, url: string, headers: Record<string, string> = {}, payload?: string | Buffer): Promise<Reply> => {
    if (base === undefined) return wrap(await runtime.app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) }));
    const res = await fetch(base + url, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
    return wrap({ statusCode: res.status, body: await res.text(), headers: Object.fromEntries(res.headers) });
  };
  return {
    runtime,
    clock,
    demoKey,
    dataDir,
    db,
    logs,
    async call(method, body = {}, o = {}) {
      const raw = o.raw ?? JSON.stringify(body);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-partner-project': o.project ?? 'demo',
        'x-partner-sign': signBody(raw, o.key ?? demoKey),
        ...(o.idempotencyKey ? { 'x-partner-idempotency-key': o.idempotencyKey } : {}),
        ...o.headers,
      };
      return request('POST', `/api/${o.version ?? 'v1'}/${method}`, headers, raw);
    },
    async admin(method, url, body) {
      const headers = { authorization: `Bearer ${runtime.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
      return request(method, `/admin${url}`, headers, body === undefined ? undefined : JSON.stringify(body));
    },
    request,
    async close() {
      await runtime.close();
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The spec's timestamp form: 2024-05-27T02:03:00.000000Z. */
export const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
