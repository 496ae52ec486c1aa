import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { sql } from 'kysely';
import { loadConfig } from '../src/platform/config/config.js';
import Fastify from 'fastify';
import { createRuntime, VERSION } from '../src/runtime.js';
import { apiMetricsAccess, metricsRoute } from '../src/edge/http/metrics.js';
import { sendError, toApiError } from '../src/edge/http/errors.js';
import { jobCountsQuery, outboxBacklogQuery } from '../src/platform/metrics/backlog.repo.js';
import { signBody, startHarness, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { freshDatabase, onPostgres } from './helpers/test-db.js';

/**
 * GET /metrics over real HTTP: the counters move with the requests and webhooks this test makes,
 * the backlog gauges follow the outbox and the job table, the exposition parses strictly, and the
 * endpoint is protected as docs/operations.md ("Metrics") says. Runs on PGlite and PostgreSQL.
 */

// ---- a strict parser of the Prometheus text exposition format (0.0.4) ----

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}
interface Exposition {
  readonly types: Map<string, string>;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(raw: string, line: string): number {
  // As Prometheus reads them (Go's ParseFloat): NaN and Inf in any case (prom-client writes "Nan").
  if (/^\+?inf$/i.test(raw)) return Infinity;
  if (/^-inf$/i.test(raw)) return -Infinity;
  if (/^nan$/i.test(raw)) return NaN;
  assert.match(raw, /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, `bad value in: ${line}`);
  return Number(raw);
}

/** Parses `{a="x",b="y\"z"}` strictly (escapes \\, \", \n only); returns the labels and where the block ended. */
function parseLabels(s: string, start: number, line: string): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = start + 1;
  while (s[i] !== '}') {
    const eq = s.indexOf('=', i);
    assert.ok(eq > i, `bad label in: ${line}`);
    const name = s.slice(i, eq);
    assert.match(name, LABEL_NAME, `bad label name in: ${line}`);
    assert.equal(s[eq + 1], '"', `label value must be quoted in: ${line}`);
    let value = '';
    let j = eq + 2;
    for (; s[j] !== '"'; j++) {
      assert.ok(j < s.length, `unterminated label value in: ${line}`);
      if (s[j] === '\\') {
        j++;
        const esc = s[j];
        assert.ok(esc === '\\' || esc === '"' || esc === 'n', `bad escape in: ${line}`);
        value += esc === 'n' ? '\n' : esc;
      } else value += s[j];
    }
    assert.ok(!(name in labels), `label ${name} twice in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (s[i] === ',') i++;
    else assert.equal(s[i], '}', `bad label list in: ${line}`);
  }
  return [labels, i + 1];
}

function parseExposition(text: string): Exposition {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const familyOf = (name: string) => {
    if (types.has(name)) return name;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return types.get(base) === 'histogram' || types.get(base) === 'summary' ? base : undefined;
  };
  const seen = new Set<string>();
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) continue; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      assert.match(name, NAME, `bad metric name: ${line}`);
      if (kind === 'TYPE') {
        assert.ok(['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest), `bad type: ${line}`);
        assert.ok(!types.has(name), `TYPE twice for ${name}`);
        types.set(name, rest);
      } else {
        assert.ok(!helps.has(name), `HELP twice for ${name}`);
        helps.add(name);
      }
      continue;
    }
    if (line === '') continue; // empty lines are ignored (the format allows them between families)
    assert.notEqual(line.trim(), '', 'no line of only spaces');
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    const nameEnd = brace !== -1 && brace < space ? brace : space;
    const name = line.slice(0, nameEnd);
    assert.match(name, NAME, `bad sample name: ${line}`);
    let labels: Record<string, string> = {};
    let rest = nameEnd;
    if (line[nameEnd] === '{') [labels, rest] = parseLabels(line, nameEnd, line);
    assert.equal(line[rest], ' ', `a space before the value: ${line}`);
    const parts = line.slice(rest + 1).split(' ');
    assert.ok(parts.length === 1 || (parts.length === 2 && /^-?\d+$/.test(parts[1]!)), `value [timestamp] expected: ${line}`);
    const family = familyOf(name);
    assert.ok(family, `sample ${name} comes after its TYPE line`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    assert.ok(!seen.has(key), `sample twice: ${line}`);
    seen.add(key);
    samples.push({ name, labels, value: parseValue(parts[0]!, line) });
  }
  // Histograms: cumulative buckets ending in le="+Inf", which equals _count.
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      assert.ok(le !== undefined, `${family}_bucket without le`);
      const k = JSON.stringify(Object.entries(rest).sort());
      series.set(k, [...(series.get(k) ?? []), s]);
    }
    for (const [k, buckets] of series) {
      const les = buckets.map((b) => parseValue(b.labels['le']!, family));
      assert.deepEqual([...les].sort((a, b) => a - b), les, `${family} buckets in order`);
      assert.equal(les.at(-1), Infinity, `${family} ends with +Inf`);
      buckets.forEach((b, i) => i > 0 && assert.ok(b.value >= buckets[i - 1]!.value, `${family} buckets are cumulative`));
      const count = samples.find((s) => s.name === `${family}_count` && JSON.stringify(Object.entries(s.labels).sort()) === k);
      assert.equal(count?.value, buckets.at(-1)!.value, `${family} +Inf bucket equals _count`);
    }
  }
  return { types, samples };
}

/** The value of one series (0 when absent): `labels` must match exactly. */
function value(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const want = JSON.stringify(Object.entries(labels).sort());
  return e.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value ?? 0;
}

// ---- the server under test ----

// Load shedding (another part of issue 14) would answer 503 on a busy test machine; it is tested on its own.
const NO_SHEDDING = { PAYRAIL_SHED_EVENT_LOOP_DELAY_MS: '0', PAYRAIL_SHED_DB_WAITING: '0' };

let h: Harness;
let base: string;
let rx: Receiver;

const signed = (method: string, body: unknown, project = 'demo') => {
  const raw = JSON.stringify(body);
  return fetch(`${base}/api/v1/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-partner-project': project, 'x-partner-sign': signBody(raw, h.demoKey) }, body: raw });
};

async function scrape(url = `${base}/metrics`, token?: string): Promise<Exposition> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(text);
}

/** Scrapes until `done` holds (the delivery worker records its observation just after the receiver answers). */
async function scrapeUntil(done: (e: Exposition) => boolean, url?: string, token?: string): Promise<Exposition> {
  const started = Date.now();
  for (;;) {
    const e = await scrape(url, token);
    if (done(e)) return e;
    assert.ok(Date.now() - started < 8000, 'metrics did not get there in 8 s');
    await new Promise((r) => setTimeout(r, 25));
  }
}

before(async () => {
  h = await startHarness({ env: NO_SHEDDING });
  await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(h.runtime.app.server.address() as AddressInfo).port}`;
  const pem = await (await fetch(`${base}/api/v1/public-key`)).text();
  rx = await startReceiver(pem);
  const res = await h.admin('PATCH', '/projects/demo', { webhook_url: rx.url });
  assert.equal(res.statusCode, 200, res.body);
});
after(async () => {
  await h.close();
  await rx.close();
});

describe('GET /metrics (sandbox, no configuration: open)', () => {
  test('a valid exposition with process metrics, the event-loop delay and what this server is', async () => {
    const e = await scrape();
    for (const [name, type] of [
      ['process_cpu_seconds_total', 'counter'],
      ['process_resident_memory_bytes', 'gauge'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
      ['nodejs_eventloop_lag_p99_seconds', 'gauge'],
      ['nodejs_heap_size_used_bytes', 'gauge'],
      ['payrail_http_requests_total', 'counter'],
      ['payrail_http_request_duration_seconds', 'histogram'],
      ['payrail_webhook_deliveries_total', 'counter'],
      ['payrail_webhook_delivery_lag_seconds', 'histogram'],
      ['payrail_webhook_backlog', 'gauge'],
      ['payrail_jobs', 'gauge'],
      ['payrail_db_pool_connections', 'gauge'],
      ['payrail_db_pool_waiting', 'gauge'],
    ]) {
      assert.equal(e.types.get(name!), type, `${name} is a ${type}`);
    }
    assert.equal(value(e, 'payrail_info', { version: VERSION, mode: 'sandbox', database: onPostgres ? 'postgres' : 'pglite' }), 1);
    assert.equal(value(e, 'payrail_metrics_database_up'), 1);
    // PGlite is one connection; the pg pool opens up to 10.
    assert.equal(value(e, 'payrail_db_pool_max'), onPostgres ? 10 : 1);
    const inUse = value(e, 'payrail_db_pool_connections', { state: 'in_use' });
    const idle = value(e, 'payrail_db_pool_connections', { state: 'idle' });
    assert.ok(inUse >= 0 && idle >= 0 && inUse + idle <= (onPostgres ? 10 : 1), `in_use ${inUse} idle ${idle}`);
  });

  test('every series docs/operations.md names (tables, PromQL, alert rules) is one this server exports', async () => {
    const doc = fs.readFileSync('docs/operations.md', 'utf8');
    const start = doc.indexOf('\n## Metrics\n');
    assert.ok(start >= 0, 'docs/operations.md has a Metrics section');
    const end = doc.indexOf('\n## ', start + 1);
    const section = doc.slice(start, end === -1 ? undefined : end);
    const named = new Set([...section.matchAll(/\b(?:payrail|nodejs|process)_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')));
    assert.ok(named.size >= 15, [...named].join(' '));
    const e = await scrape();
    for (const name of named) assert.ok(e.types.has(name), `docs name ${name}, which /metrics does not export`);
  });

  test('requests are counted by API method, HTTP status and error code, with their latency', async () => {
    const ok = { method: 'session/create', status: '200', code: '' };
    const bad = { method: 'session/status', status: '401', code: 'authentication_error' };
    const invalid = { method: 'session/create', status: '400', code: 'invalid_request' };
    const missing = { method: 'unmatched', status: '404', code: 'not_found' };
    const before = await scrape();

    const created = await signed('session/create', { amount_details: { amount: 1000, currency: 'usd' } });
    assert.equal(created.status, 200, await created.text());
    const unsigned = await fetch(`${base}/api/v1/session/status`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-partner-project': 'demo' }, body: '{}' });
    assert.equal(((await unsigned.json()) as { error: { code: string } }).error.code, 'authentication_error');
    const wrong = await signed('session/create', { amount_details: { amount: 'ten', currency: 'usd' } });
    assert.equal(wrong.status, 400, await wrong.text());
    assert.equal((await fetch(`${base}/no/such/thing/ps_123456`)).status, 404);
    const hooks = await fetch(`${base}/admin/sessions/ps_0123456789abcdefghij/webhooks`, { headers: { authorization: `Bearer ${h.runtime.adminToken}` } });
    assert.equal(hooks.status, 200, await hooks.text());

    const now = await scrape();
    const delta = (labels: Record<string, string>) => value(now, 'payrail_http_requests_total', labels) - value(before, 'payrail_http_requests_total', labels);
    assert.equal(delta(ok), 1, 'one signed session/create answered 200');
    assert.equal(delta(bad), 1, 'one unsigned session/status refused with authentication_error');
    assert.equal(delta(invalid), 1, 'one invalid session/create');
    assert.equal(delta(missing), 1, 'one request outside every route');
    const hist = (name: string, e: typeof now) => value(e, name, { method: 'session/create', status: '200' });
    assert.equal(hist('payrail_http_request_duration_seconds_count', now) - hist('payrail_http_request_duration_seconds_count', before), 1);
    const spent = hist('payrail_http_request_duration_seconds_sum', now) - hist('payrail_http_request_duration_seconds_sum', before);
    assert.ok(spent > 0 && spent < 10, `session/create took ${spent} s`);
    // Bounded labels: the route pattern, never the URL with its id.
    const methods = new Set(now.samples.filter((s) => s.name === 'payrail_http_requests_total').map((s) => s.labels['method']!));
    assert.ok([...methods].some((m) => m.startsWith('/admin/sessions/:')), [...methods].join(' '));
    assert.ok(![...methods].some((m) => m.includes('ps_') || m.includes('/api/')), [...methods].join(' '));
  });

  test('a webhook delivered to a real receiver is counted, with its lag; a refused one as retrying', async () => {
    const before = await scrape();
    const trigger = await h.admin('POST', '/webhooks/trigger', { type: 'payment_finished' });
    assert.equal(trigger.statusCode, 200, trigger.body);
    const now = await scrapeUntil((e) => value(e, 'payrail_webhook_delivery_lag_seconds_count') > value(before, 'payrail_webhook_delivery_lag_seconds_count'));
    assert.ok(rx.received.some((r) => r.headers['x-payrail-webhook-id'] === trigger.json().webhook_id));
    const delivered = (e: Exposition) => value(e, 'payrail_webhook_deliveries_total', { outcome: 'delivered' });
    assert.equal(delivered(now) - delivered(before), 1);
    assert.equal(value(now, 'payrail_webhook_delivery_lag_seconds_count') - value(before, 'payrail_webhook_delivery_lag_seconds_count'), 1);
    const lag = value(now, 'payrail_webhook_delivery_lag_seconds_sum') - value(before, 'payrail_webhook_delivery_lag_seconds_sum');
    assert.ok(lag >= 0 && lag < 5, `lag ${lag} s`);
    assert.equal(value(now, 'payrail_webhook_attempt_duration_seconds_count') - value(before, 'payrail_webhook_attempt_duration_seconds_count'), 1);

    // The receiver refuses once: a retry is scheduled (10 s later on the sandbox clock) and waits in the outbox.
    rx.respond = () => ({ status: 500, body: 'no' });
    try {
      const again = await h.admin('POST', '/webhooks/trigger', { type: 'payment_finished' });
      assert.equal(again.statusCode, 200, again.body);
      const retried = await scrapeUntil((e) => value(e, 'payrail_webhook_deliveries_total', { outcome: 'retrying' }) > value(before, 'payrail_webhook_deliveries_total', { outcome: 'retrying' }));
      assert.equal(value(retried, 'payrail_webhook_backlog', { state: 'pending' }), 1);
      assert.equal(value(retried, 'payrail_webhook_backlog', { state: 'due' }), 0);
      assert.equal(value(retried, 'payrail_webhook_delivery_lag_seconds_count') - value(now, 'payrail_webhook_delivery_lag_seconds_count'), 1);
    } finally {
      rx.respond = () => ({ status: 200, body: 'ok' });
    }
    // Its retry is not a first attempt: the lag histogram does not count it again.
    const lagBefore = value(await scrape(), 'payrail_webhook_delivery_lag_seconds_count');
    const advanced = await h.admin('POST', '/clock/advance', { seconds: 15 });
    assert.equal(advanced.statusCode, 200, advanced.body);
    const done = await scrapeUntil((e) => value(e, 'payrail_webhook_deliveries_total', { outcome: 'delivered' }) === delivered(now) + 1);
    assert.equal(value(done, 'payrail_webhook_delivery_lag_seconds_count'), lagBefore);
    assert.equal(value(done, 'payrail_webhook_backlog', { state: 'pending' }), 0);
  });
});

describe('protection, its own listener, and the backlog gauges', () => {
  const TOKEN = 'metrics-token-0123456789';
  let b: Harness;

  before(async () => {
    // No worker: what is queued stays queued, so the gauges can be checked exactly.
    b = await startHarness({ env: { ...NO_SHEDDING, PAYRAIL_METRICS_TOKEN: TOKEN, PAYRAIL_METRICS_PORT: '0' }, runtime: { startWorker: false } });
    await b.runtime.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await b.close();
  });

  test('with PAYRAIL_METRICS_PORT, metrics are on their own listener only; the token is required there', async () => {
    const url = b.runtime.metricsUrl;
    assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const api = `http://127.0.0.1:${(b.runtime.app.server.address() as AddressInfo).port}/metrics`;
    const onApi = await fetch(api, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(onApi.status, 404);
    assert.deepEqual(await onApi.json(), { status: 'error', error: { code: 'not_found', description: 'metrics are served on the metrics listener (PAYRAIL_METRICS_HOST:PAYRAIL_METRICS_PORT), not on the API' } });

    const none = await fetch(url!);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="metrics"');
    assert.deepEqual(await none.json(), { status: 'error', error: { code: 'authentication_error', description: 'metrics need Authorization: Bearer <PAYRAIL_METRICS_TOKEN>' } });
    const wrong = await fetch(url!, { headers: { authorization: `Bearer ${TOKEN}x` } });
    assert.equal(wrong.status, 401);
    assert.deepEqual(await wrong.json(), { status: 'error', error: { code: 'authentication_error', description: 'metrics token is wrong' } });
    const basic = await fetch(url!, { headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } });
    assert.equal(basic.status, 401);
    assert.equal(((await basic.json()) as { error: { code: string } }).error.code, 'authentication_error');
    const other = await fetch(url!.replace('/metrics', '/api/v1/session/create'), { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(other.status, 404);
    assert.equal(((await other.json()) as { error: { code: string } }).error.code, 'not_found');
    await scrape(url, TOKEN);
  });

  test('outbox backlog and jobs by kind and state, read at scrape time', async () => {
    const url = b.runtime.metricsUrl!;
    const { db } = b.runtime.database;
    const empty = await scrape(url, TOKEN);
    assert.equal(value(empty, 'payrail_webhook_backlog', { state: 'pending' }), 0);
    // A webhook for a project with an endpoint waits in the outbox (no worker runs here).
    assert.equal((await b.admin('PATCH', '/projects/demo', { webhook_url: 'http://127.0.0.1:9/hooks' })).statusCode, 200);
    for (let i = 0; i < 2; i++) assert.equal((await b.admin('POST', '/webhooks/trigger', { type: 'payment_finished' })).statusCode, 200);
    // Jobs: two due of one kind, one running (a live lease), one that used up its attempts.
    const now = b.clock.now();
    const past = new Date(now.getTime() - 60_000);
    await db
      .insertInto('jobs')
      .values([
        { kind: 'metrics.test', payload: '{}', run_at: past, created_at: past },
        { kind: 'metrics.test', payload: '{}', run_at: past, created_at: past },
        { kind: 'metrics.test', payload: '{}', run_at: past, created_at: past, locked_by: 'w1', locked_until: new Date(Date.now() + 60_000), attempts: 1 },
        { kind: 'metrics.dead', payload: '{}', run_at: past, created_at: past, attempts: 3, max_attempts: 3 },
        // Not due yet: not counted.
        { kind: 'metrics.test', payload: '{}', run_at: new Date(now.getTime() + 3_600_000), created_at: past },
      ])
      .execute();
    // Moved here, not through /admin/clock/advance: that would run what is due.
    b.clock.advance(30_000);

    const e = await scrape(url, TOKEN);
    assert.equal(value(e, 'payrail_webhook_backlog', { state: 'pending' }), 2);
    assert.equal(value(e, 'payrail_webhook_backlog', { state: 'due' }), 2);
    const oldest = value(e, 'payrail_webhook_oldest_due_seconds');
    assert.ok(oldest >= 30 && oldest < 60, `oldest due ${oldest} s after moving the clock 30 s`);
    assert.deepEqual(
      [value(e, 'payrail_jobs', { kind: 'metrics.test', state: 'due' }), value(e, 'payrail_jobs', { kind: 'metrics.test', state: 'running' }), value(e, 'payrail_jobs', { kind: 'metrics.test', state: 'failed' })],
      [2, 1, 0],
    );
    assert.deepEqual([value(e, 'payrail_jobs', { kind: 'metrics.dead', state: 'due' }), value(e, 'payrail_jobs', { kind: 'metrics.dead', state: 'failed' })], [0, 1]);

    // At size, both queries read an index, never the whole table: delivered webhooks and later jobs are not read.
    const project = await db.selectFrom('projects').select('id').where('name', '=', 'demo').executeTakeFirstOrThrow();
    await sql`INSERT INTO webhooks (id, project_id, session_id, type, body, state, attempts, next_attempt_at, cycle_started_at, created_at, delivered_at)
      SELECT 'wh_bulk_' || g, ${project.id}, 'ps_bulk_' || g, 'payment_finished', '{}', 'delivered', 1, now(), now(), now(), now()
      FROM generate_series(1, 30000) g`.execute(db);
    await sql`INSERT INTO jobs (kind, payload, run_at, created_at)
      SELECT 'metrics.later', '{}', now() + interval '1 day' + g * interval '1 second', now() FROM generate_series(1, 30000) g`.execute(db);
    await sql`ANALYZE webhooks`.execute(db);
    await sql`ANALYZE jobs`.execute(db);
    for (const query of [outboxBacklogQuery(b.clock.now()), jobCountsQuery(b.clock.now())]) {
      const plan = await sql<{ 'QUERY PLAN': string }>`EXPLAIN ${query}`.execute(db);
      const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
      assert.doesNotMatch(text, /Seq Scan/, text);
      assert.match(text, /Index (Only )?Scan|Bitmap Index Scan/, text);
    }
    const big = await scrape(url, TOKEN);
    assert.equal(value(big, 'payrail_webhook_backlog', { state: 'pending' }), 2);
    assert.equal(value(big, 'payrail_jobs', { kind: 'metrics.later', state: 'due' }), 0);
  });
});

describe('live mode', () => {
  test('without PAYRAIL_METRICS_TOKEN or PAYRAIL_METRICS_PORT, /metrics is not served; with the token it is', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-metrics-'));
    const database = await freshDatabase();
    const config = loadConfig({ PAYRAIL_DATA_DIR: dataDir, PAYRAIL_MODE: 'live', PAYRAIL_MASTER_KEY: '11'.repeat(32), ...(database.url ? { DATABASE_URL: database.url } : {}), ...NO_SHEDDING });
    const rt = await createRuntime(config, { logger: pino({ level: 'silent' }), pgliteDir: database.url ? undefined : 'memory://', startWorker: false });
    // The same route with the live-mode decision for PAYRAIL_METRICS_TOKEN (no second runtime: starting one is slow).
    const TOKEN = 'live-metrics-token-0123';
    const withToken = Fastify();
    withToken.setErrorHandler((err, req, reply) => {
      const e = toApiError(err, req);
      return sendError(reply, e.code, e.message);
    });
    metricsRoute(withToken, rt.metrics, apiMetricsAccess({ mode: 'live', metricsToken: TOKEN }));
    try {
      const res = await rt.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.statusCode, 404);
      assert.deepEqual(res.json(), {
        status: 'error',
        error: { code: 'not_found', description: 'in live mode /metrics is served only with PAYRAIL_METRICS_TOKEN or PAYRAIL_METRICS_PORT set (docs/operations.md, "Metrics")' },
      });
      await withToken.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(withToken.server.address() as AddressInfo).port}/metrics`;
      const wrong = await fetch(url, { headers: { authorization: 'Bearer nope' } });
      assert.equal(wrong.status, 401);
      assert.deepEqual(await wrong.json(), { status: 'error', error: { code: 'authentication_error', description: 'metrics token is wrong' } });
      const e = await scrape(url, TOKEN);
      assert.equal(value(e, 'payrail_info', { version: VERSION, mode: 'live', database: onPostgres ? 'postgres' : 'pglite' }), 1);
    } finally {
      await withToken.close();
      await rt.close();
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a bad PAYRAIL_METRICS_TOKEN or PAYRAIL_METRICS_PORT stops the start with a message naming it', () => {
    assert.throws(() => loadConfig({ PAYRAIL_METRICS_TOKEN: 'short' }), /PAYRAIL_METRICS_TOKEN must be at least 16 characters/);
    assert.throws(() => loadConfig({ PAYRAIL_METRICS_PORT: '70000' }), /PAYRAIL_METRICS_PORT must be a whole number from 0 to 65535, got "70000"/);
  });
});
