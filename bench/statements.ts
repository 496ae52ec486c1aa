/**
 * Diagnostic for the session/create benchmark: which SQL statements payrail runs per signed
 * session/create under load, counted per answered request. It runs payrail in this process (the
 * same createRuntime as `serve`), puts 64 connections of load on it for a few seconds, and counts
 * every statement sent through pg.Client or PGlite (including those inside PGlite transactions).
 *
 *   node --import tsx bench/statements.ts                 # PGlite
 *   STATEMENTS_DATABASE_URL=postgres://… node --import tsx bench/statements.ts   # an EMPTY database
 *   PAYRAIL_WORKER=false …                                # without the background worker
 *   STATEMENTS_CALL=status|idempotent …                   # session/status, or create with a new key per request
 * On PGlite statements are counted at the protocol level (each Query and each Execute, prepared ones
 * named "[prepared] <text>"), so BEGIN/COMMIT and src/platform/db's prepared statements are counted too.
 *
 * Not a throughput measurement (load generator and server share one process here): `npm run bench`.
 */
import { createPrivateKey, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import autocannon from 'autocannon';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../src/platform/config/config.js';
import { createRuntime } from '../src/runtime.js';
import { preparedText } from '../src/platform/db/prepared.js';

const counts = new Map<string, number>();
let counting = false;
function note(sql: unknown, where = ''): void {
  if (!counting) return;
  const text = typeof sql === 'object' && sql !== null && 'text' in sql ? String((sql as { text: unknown }).text) : String(sql);
  const key = `${where}${text.replace(/\s+/g, ' ').trim().slice(0, 100)}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

type AnyFn = (...args: unknown[]) => unknown;
function wrap(proto: object, method: string): void {
  const target = proto as Record<string, AnyFn | undefined>;
  const orig = target[method];
  if (!orig) return;
  target[method] = function (this: unknown, ...args: unknown[]) {
    note(args[0]);
    return orig.apply(this, args);
  };
}
wrap(pg.Client.prototype, 'query');

/**
 * PGlite, at the protocol level (whatever API sent it: query(), exec(), a transaction's BEGIN and
 * COMMIT, a prepared statement's Bind/Execute, src/platform/db/pglite-prepared.ts): each Query
 * message, and each Execute, named by the text of the statement last bound.
 */
const cstring = (b: Uint8Array, at: number) => {
  const end = b.indexOf(0, at);
  return [Buffer.from(b.subarray(at, end)).toString('utf8'), end + 1] as const;
};
let unnamed = '';
let bound = '';
const raw = PGlite.prototype.execProtocolRaw as (this: PGlite, message: Uint8Array, ...rest: unknown[]) => Promise<unknown>;
(PGlite.prototype as unknown as { execProtocolRaw: typeof raw }).execProtocolRaw = function (message, ...rest) {
  for (let i = 0; i + 5 <= message.length; ) {
    const type = message[i]!;
    const len = ((message[i + 1]! << 24) | (message[i + 2]! << 16) | (message[i + 3]! << 8) | message[i + 4]!) >>> 0;
    const body = i + 5;
    if (type === 0x51) note(cstring(message, body)[0]); // Query
    if (type === 0x50) {
      // Parse: name, text
      const [name, next] = cstring(message, body);
      if (name === '') unnamed = cstring(message, next)[0];
    }
    if (type === 0x42) {
      // Bind: portal, statement
      const [, next] = cstring(message, body);
      const statement = cstring(message, next)[0];
      bound = statement === '' ? unnamed : `[prepared] ${preparedText(statement) ?? statement}`;
    }
    if (type === 0x45) note(bound); // Execute
    i += 1 + len;
  }
  return raw.call(this, message, ...rest);
};

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-statements-'));
const config = loadConfig({
  ...process.env,
  PAYRAIL_DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
  DATABASE_URL: process.env['STATEMENTS_DATABASE_URL'] ?? '',
  PORT: '0',
});
const runtime = await createRuntime(config, { logger: pino({ level: 'warn' }) });
try {
  await runtime.app.listen({ port: 0, host: '127.0.0.1' });
  const address = runtime.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const key = createPrivateKey(fs.readFileSync(path.join(dataDir, 'demo.private.pem')));
  const signed = (body: string) => ({ 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': sign('sha256', Buffer.from(body), key).toString('base64') });
  // STATEMENTS_CALL: create (default), status (of one session), idempotent (create, a new key each request).
  const call = process.env['STATEMENTS_CALL'] || 'create';
  let body = JSON.stringify({ amount_details: { amount: 10000, currency: 'usd' } });
  let url = `http://127.0.0.1:${port}/api/v1/session/create`;
  if (call === 'status') {
    const created = (await (await fetch(url, { method: 'POST', headers: signed(body), body })).json()) as { session: { id: string } };
    body = JSON.stringify({ session_id: created.session.id });
    url = `http://127.0.0.1:${port}/api/v1/session/status`;
  }
  const headers = signed(body);
  let seq = 0;
  const opts = {
    url,
    method: 'POST',
    body,
    headers,
    connections: 64,
    ...(call === 'idempotent' ? { requests: [{ setupRequest: (req: object) => ({ ...req, headers: { ...headers, 'x-partner-idempotency-key': `k-${process.pid}-${seq++}` } }) }] } : {}),
  } as Parameters<typeof autocannon>[0];
  await autocannon({ ...opts, duration: 2 });
  counting = true;
  const r = await autocannon({ ...opts, duration: Number(process.env['STATEMENTS_SECONDS'] || 5) });
  counting = false;
  const n = Math.max(1, r['2xx']);
  process.stdout.write(`${runtime.database.kind} ${call}: ${r['2xx']} answered 2xx, ${r.non2xx} non-2xx, ${r.errors} errors\nstatements per answered request:\n`);
  for (const [sql, c] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    process.stdout.write(`${(c / n).toFixed(3).padStart(8)}  ${sql}\n`);
  }
} finally {
  await runtime.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
