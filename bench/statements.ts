/**
 * Diagnostic for the session/create benchmark: which SQL statements payrail runs per signed
 * session/create under load, counted per answered request. It runs payrail in this process (the
 * same createRuntime as `serve`), puts 64 connections of load on it for a few seconds, and counts
 * every statement sent through pg.Client or PGlite (including those inside PGlite transactions).
 *
 *   node --import tsx bench/statements.ts                 # PGlite
 *   STATEMENTS_DATABASE_URL=postgres://… node --import tsx bench/statements.ts   # an EMPTY database
 *   PAYRAIL_WORKER=false …                                # without the background worker
 *
 * Not a throughput measurement (load generator and server share one process here): `npm run bench`.
 */
import { createPrivateKey, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import autocannon from 'autocannon';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../src/platform/config/config.js';
import { createRuntime } from '../src/runtime.js';

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
wrap(PGlite.prototype, 'query');
wrap(PGlite.prototype, 'exec');
// Statements inside a PGlite transaction go through the transaction object, not the instance.
const transaction = PGlite.prototype.transaction as unknown as (this: PGlite, fn: (tx: Transaction) => Promise<unknown>) => Promise<unknown>;
(PGlite.prototype as unknown as { transaction: typeof transaction }).transaction = function (fn) {
  return transaction.call(this, (tx) => {
    const query = tx.query.bind(tx) as AnyFn;
    (tx as unknown as { query: AnyFn }).query = (...args: unknown[]) => {
      note(args[0], '[in transaction] ');
      return query(...args);
    };
    return fn(tx);
  });
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
  const body = JSON.stringify({ amount_details: { amount: 10000, currency: 'usd' } });
  const key = createPrivateKey(fs.readFileSync(path.join(dataDir, 'demo.private.pem')));
  const opts = {
    url: `http://127.0.0.1:${port}/api/v1/session/create`,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': sign('sha256', Buffer.from(body), key).toString('base64') },
    connections: 64,
  };
  await autocannon({ ...opts, duration: 2 });
  counting = true;
  const r = await autocannon({ ...opts, duration: Number(process.env['STATEMENTS_SECONDS'] || 5) });
  counting = false;
  const n = Math.max(1, r['2xx']);
  process.stdout.write(`${runtime.database.kind}: ${r['2xx']} answered 2xx, ${r.non2xx} non-2xx, ${r.errors} errors\nstatements per answered request:\n`);
  if (runtime.database.kind === 'pglite') process.stdout.write('(each PGlite transaction also runs a BEGIN and a COMMIT, not counted here)\n');
  for (const [sql, c] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    process.stdout.write(`${(c / n).toFixed(3).padStart(8)}  ${sql}\n`);
  }
} finally {
  await runtime.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
