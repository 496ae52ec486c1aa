import type { KeyObject } from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../../src/platform/config/config.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { signBody, type Harness } from './harness.js';

/**
 * A second payrail instance on the harness's PostgreSQL database, for multi-instance tests.
 *
 * It shares the harness's data dir rather than getting its own: in sandbox mode the master key
 * (which unwraps the data keys stored in the database) and the demo project's private key live
 * there, so a second data dir would hold a different master key and no demo key, and the instance
 * would refuse to start. PostgreSQL takes no data-dir lock, so sharing it is what two real
 * instances on one database do too. It also shares the harness's clock.
 *
 * Close it with `runtime.close()` before `h.close()` (which drops the database).
 */
export async function startPeer(h: Harness): Promise<Runtime> {
  if (!h.db.url) throw new Error('a second instance needs PostgreSQL (TEST_DATABASE_URL)');
  const config = loadConfig({ PAYRAIL_DATA_DIR: h.dataDir, DATABASE_URL: h.db.url, LOG_LEVEL: 'silent' });
  return createRuntime(config, { logger: pino({ level: 'silent' }), clock: h.clock });
}

export interface HttpReply {
  readonly status: number;
  readonly body: string;
}

/** A signed partner API call over a real socket. */
export async function postSigned(
  baseUrl: string,
  method: string,
  body: unknown,
  opts: { key: KeyObject; project?: string; idempotencyKey?: string; version?: 'v1' | 'v2' },
): Promise<HttpReply> {
  const raw = JSON.stringify(body);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-partner-project': opts.project ?? 'demo',
    'x-partner-sign': signBody(raw, opts.key),
  };
  if (opts.idempotencyKey !== undefined) headers['x-partner-idempotency-key'] = opts.idempotencyKey;
  const res = await fetch(`${baseUrl}/api/${opts.version ?? 'v1'}/${method}`, { method: 'POST', headers, body: raw });
  return { status: res.status, body: await res.text() };
}

/** A signed call through fastify's inject() on any runtime (the harness's `call` is bound to its own). */
export async function injectSigned(runtime: Runtime, method: string, body: unknown, opts: { key: KeyObject; project?: string }): Promise<HttpReply> {
  const raw = JSON.stringify(body);
  const res = await runtime.app.inject({
    method: 'POST',
    url: `/api/v1/${method}`,
    headers: { 'content-type': 'application/json', 'x-partner-project': opts.project ?? 'demo', 'x-partner-sign': signBody(raw, opts.key) },
    payload: raw,
  });
  return { status: res.statusCode, body: res.body };
}

/** Polls `probe` until it returns true or `timeoutMs` passes; resolves with the time it took. */
export async function eventually(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
