import { sign, type KeyObject } from 'node:crypto';
import { startHarness, type Harness } from '../test/helpers/harness.js';

/**
 * What the request log (`payrail logs tail`) costs a request: the same signed partner call
 * (session/status of a missing session: authentication, validation, one query, the error
 * envelope) over a real socket, sequentially, on a server with the log off
 * (PAYRAIL_REQUEST_LOG_RETENTION=off, the baseline) and on (the default), printed side by side.
 * On the request path the log is one hook that pushes onto an array after the answer is sent; the
 * INSERT (one per 200 ms or 500 rows) runs beside it, so with the log on the figures include that
 * batch's share of the database. Run: `node --import tsx bench/request-log.ts [requests]`
 * (PGlite; TEST_DATABASE_URL for PostgreSQL).
 */
const N = Number(process.argv[2] ?? 2000);

async function run(h: Harness, key: KeyObject): Promise<number[]> {
  const base = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
  const raw = JSON.stringify({ session_id: 'ps_missing' });
  const headers = { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': sign('sha256', Buffer.from(raw), key).toString('base64') };
  const ms: number[] = [];
  for (let i = 0; i < N + 200; i++) {
    const t0 = performance.now();
    const res = await fetch(`${base}/api/v1/session/status`, { method: 'POST', headers, body: raw });
    await res.arrayBuffer();
    if (res.status !== 404) throw new Error(`unexpected ${res.status}`);
    if (i >= 200) ms.push(performance.now() - t0); // the first 200 warm up
  }
  return ms.sort((a, b) => a - b);
}

const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const rows: [string, number[], number][] = [];
for (const [label, retention] of [
  ['log off (baseline)', 'off'],
  ['log on (24h)', '24h'],
] as const) {
  const h = await startHarness({ env: { PAYRAIL_REQUEST_LOG_RETENTION: retention, LOG_LEVEL: 'warn' } });
  const t0 = performance.now();
  const ms = await run(h, h.demoKey);
  const seconds = (performance.now() - t0) / 1000;
  await h.runtime.requestLog.flush();
  const logged = (await h.runtime.database.db.selectFrom('request_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst())?.n;
  rows.push([`${label}, ${logged ?? 0} rows logged`, ms, (N + 200) / seconds]);
  await h.close();
}
console.log(`request log cost: ${N} sequential signed session/status calls (404) over a socket, ${process.env['TEST_DATABASE_URL'] ? 'PostgreSQL' : 'PGlite'}`);
console.log(['', 'p50 ms', 'p90 ms', 'p99 ms', 'req/s'].map((s, i) => (i === 0 ? s.padEnd(36) : s.padStart(8))).join(''));
for (const [label, ms, rps] of rows) console.log([label.padEnd(36), ...[0.5, 0.9, 0.99].map((p) => q(ms, p).toFixed(2).padStart(8)), rps.toFixed(0).padStart(8)].join(''));
