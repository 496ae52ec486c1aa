import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { startHarness, type Harness, type Reply } from './helpers/harness.js';
import { assertError } from './helpers/acquiring.js';

/**
 * Load shedding (issue 14, item 4; docs/operations.md "Load shedding"), under real saturation: the
 * database's queue filled by transactions that hold every connection, and the event loop kept busy.
 * New requests get 503 service_unavailable with Retry-After, write nothing, and the server recovers
 * by itself; /health stays up, /ready tells the truth; queries that are not requests (jobs) wait.
 */
const BODY = { amount_details: { amount: 100, currency: 'usd' } };

const countRows = async (h: Harness, table: 'sessions' | 'idempotency_keys') =>
  Number((await h.runtime.database.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

function assertShed(res: Reply, why: RegExp): void {
  assertError(res, 503, 'service_unavailable', why);
  assert.equal(res.headers['retry-after'], '1');
}

// Over a real socket: shedding answers in front of fastify, where inject() does not go.
const get = (h: Harness, url: string) => h.request('GET', url);

async function waitReady(h: Harness, ms: number): Promise<number> {
  const started = Date.now();
  while ((await get(h, '/ready')).statusCode !== 200) {
    if (Date.now() - started > ms) throw new Error(`not ready again within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - started;
}

describe('the database queue is full', () => {
  const MAX_WAITING = 4;
  let h: Harness;
  before(async () => {
    h = await startHarness({ env: { PAYRAIL_SHED_DB_WAITING: String(MAX_WAITING) }, transport: 'http' });
    // Ready (its onReady hooks may query) and warm before the database is held.
    assert.equal((await h.call('session/create', BODY)).statusCode, 200);
  });
  after(() => h.close());

  test('new requests are shed with 503 and write nothing; queued queries wait; then it recovers', async () => {
    const { db, kind } = h.runtime.database;
    const sessions = await countRows(h, 'sessions');
    const keys = await countRows(h, 'idempotency_keys');
    // Every connection (PostgreSQL's pool of 10, PGlite's one) held by a transaction that waits,
    // and more queries queued behind them than the bound allows: the database queue, for real.
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    const holders = Array.from({ length: kind === 'postgres' ? 10 : 1 }, () =>
      db.transaction().execute(async (tx) => {
        await sql`SELECT 1`.execute(tx);
        await held;
      }),
    );
    await new Promise((r) => setTimeout(r, 100));
    // Transactions, as each partner call and each job step is one (PGlite queues transactions, one at a time).
    const queued = Array.from({ length: MAX_WAITING + 2 }, () => db.transaction().execute((tx) => sql<{ n: number }>`SELECT 1 AS n`.execute(tx)));
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(h.runtime.database.queueDepth() > MAX_WAITING, `queue depth ${h.runtime.database.queueDepth()}`);

    const why = /^the server is overloaded \(\d+ waiting for the database\); retry after 1 s \(request req_[0-9a-f-]+\)$/;
    // A connection's first refusal is answered at once (the next ones on it are paced: below).
    // Unsigned: the gate answers before authentication.
    assertShed(await h.request('POST', '/api/v1/session/create', { 'content-type': 'application/json', 'x-partner-project': 'demo' }, JSON.stringify(BODY)), why);
    assertShed(await h.call('session/create', BODY, { idempotencyKey: 'shed-1' }), why);
    assertShed(await get(h, '/ready'), /^the server is overloaded/);
    assert.equal((await get(h, '/health')).statusCode, 200, '/health: the process is alive');
    assertShed(await h.admin('GET', '/projects/demo'), why);

    release();
    await Promise.all(holders);
    // What is not an HTTP request (the worker's queries) waited its turn and was answered.
    assert.deepEqual((await Promise.all(queued)).map((r) => r.rows[0]?.n), Array(MAX_WAITING + 2).fill(1));
    assert.equal(await countRows(h, 'sessions'), sessions, 'no session from a shed request');
    assert.equal(await countRows(h, 'idempotency_keys'), keys, 'no idempotency key from a shed request');
    await waitReady(h, 2000);
    const res = await h.call('session/create', BODY, { idempotencyKey: 'shed-1' });
    assert.equal(res.statusCode, 200, `recovered; the shed key was never claimed: ${res.body}`);
    assert.equal(await countRows(h, 'sessions'), sessions + 1);
    // The refusals answered at once took the server under 2 ms each, arrival to answer written (its
    // own clock, in the latency histogram; wall time over a socket on a busy machine says little):
    // a shed does none of the request's work (which here would wait for the held database).
    const fast = /^payrail_http_request_duration_seconds_bucket\{method="session\/create",status="503",le="0\.002"\} (\d+)$/m.exec((await get(h, '/metrics')).body);
    assert.ok(Number(fast?.[1]) >= 1, `a refusal answered within 2 ms: ${fast?.[0]}`);
  });
});

describe('too many requests in progress', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ env: { PAYRAIL_SHED_MAX_IN_FLIGHT: '3', PAYRAIL_SHED_DB_WAITING: '0' }, transport: 'http' });
    assert.equal((await h.call('session/create', BODY)).statusCode, 200);
  });
  after(() => h.close());

  test('beyond the bound new requests are shed; those admitted finish; a client that retries at once is paced', async () => {
    const { db } = h.runtime.database;
    const sessions = await countRows(h, 'sessions');
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    // Hold the database so that admitted requests stay in progress.
    const holders = Array.from({ length: h.runtime.database.kind === 'postgres' ? 10 : 1 }, () =>
      db.transaction().execute(async (tx) => {
        await sql`SELECT 1`.execute(tx);
        await held;
      }),
    );
    await new Promise((r) => setTimeout(r, 100));
    const admitted = Array.from({ length: 3 }, () => h.call('session/create', BODY));
    await new Promise((r) => setTimeout(r, 100));
    const why = /^the server is overloaded \(3 requests in progress\); retry after 1 s \(request req_[0-9a-f-]+\)$/;
    assertShed(await h.call('session/create', BODY), why);
    // Over one keep-alive connection: the first refusal at once, the next one (sent at once, as if
    // Retry-After were not there) when its Retry-After is up.
    const url = `http://127.0.0.1:${(h.runtime.app.server.address() as AddressInfo).port}/api/v1/session/create`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const timed = () =>
      new Promise<{ status: number; ms: number }>((resolve, reject) => {
        const started = performance.now();
        const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': '2' } }, (res) => {
          sockets.add(res.socket);
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
        });
        req.on('error', reject);
        req.end('{}');
      });
    const first = await timed();
    const second = await timed();
    assert.equal(first.status, 503);
    assert.equal(second.status, 503);
    assert.ok(first.ms < 500, `first refusal at once: ${first.ms.toFixed(0)} ms`);
    assert.equal(sockets.size, 1, 'one connection');
    assert.ok(second.ms >= 800, `second refusal paced to its Retry-After: ${second.ms.toFixed(0)} ms`);
    agent.destroy();
    release();
    await Promise.all(holders);
    assert.deepEqual((await Promise.all(admitted)).map((r) => r.statusCode), [200, 200, 200], 'admitted requests are never cut off');
    assert.equal(await countRows(h, 'sessions'), sessions + 3, 'the shed request wrote nothing');
    assert.equal((await h.call('session/create', BODY)).statusCode, 200, 'recovered');
    // Counted in the metrics by method, status and code; never in the partner's request log (the
    // gate answers before fastify, so a shed request costs no request-log row).
    const scraped = (await get(h, '/metrics')).body;
    const shed = /^payrail_http_requests_total\{method="session\/create",status="503",code="service_unavailable"\} (\d+)$/m.exec(scraped);
    assert.equal(shed?.[1], '3', `three shed session/create in the metrics:\n${scraped.split('\n').filter((l) => l.includes('503')).join('\n')}`);
    await new Promise((r) => setTimeout(r, 400)); // the request log's flush interval is 200 ms
    const logged = await db.selectFrom('request_log').select(['http_status']).execute();
    assert.ok(logged.some((r) => r.http_status === 200), 'the request log is written');
    assert.equal(logged.filter((r) => r.http_status === 503).length, 0, 'no shed request in the request log');
  });
});

describe('the event loop is saturated', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ env: { PAYRAIL_SHED_EVENT_LOOP_DELAY_MS: '30' }, transport: 'http' });
    // Startup's own synchronous work may show in the first sample.
    await waitReady(h, 5000);
  });
  after(() => h.close());

  test('new requests are shed with 503 while it is, write nothing, and the server recovers by itself', async () => {
    const sessions = await countRows(h, 'sessions');
    // 1.5 s of 80 ms synchronous tasks with the loop turning between them: each turn is measured
    // (~80 ms of delay), as under a flood of requests; a sample of one second sees it.
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      const end = Date.now() + 80;
      while (Date.now() < end);
      await new Promise((r) => setImmediate(r));
    }
    const why = /^the server is overloaded \(event-loop delay \d+ ms\); retry after 1 s \(request req_[0-9a-f-]+\)$/;
    assertShed(await h.call('session/create', BODY, { idempotencyKey: 'shed-loop' }), why);
    assertShed(await get(h, '/ready'), why);
    assert.equal((await get(h, '/health')).statusCode, 200);
    assert.equal(await countRows(h, 'sessions'), sessions, 'no session from a shed request');

    const took = await waitReady(h, 3000);
    const res = await h.call('session/create', BODY, { idempotencyKey: 'shed-loop' });
    assert.equal(res.statusCode, 200, `recovered after ${took} ms; the shed key was never claimed: ${res.body}`);
    assert.equal(await countRows(h, 'sessions'), sessions + 1);
  });
});
