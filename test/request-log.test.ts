import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { logsTail } from '../src/cli/logs.js';
import { parseRetention } from '../src/platform/request-log/retention.js';
import { ConfigError, loadConfig } from '../src/platform/config/config.js';
import { signBody, startHarness, type Harness } from './helpers/harness.js';
import { bankCard, USD } from './helpers/acquiring.js';

/**
 * The partner request log: every /api request recorded without its body, in batches; read back by
 * `payrail logs tail` (the function H4's CLI wires) over real HTTP, and by the admin API; pruned
 * after the retention by the sandbox-aware clock.
 */
let h: Harness;
let base: string;

class Output extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** A signed partner call over a real socket. */
async function post(method: string, body: unknown, headers: Record<string, string> = {}, path = `/api/v1/${method}`) {
  const raw = JSON.stringify(body);
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': signBody(raw, h.demoKey), ...headers },
    body: raw,
  });
  return { status: res.status, requestId: res.headers.get('x-request-id') ?? '', json: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what} not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const tableText = async () => JSON.stringify((await sql`SELECT * FROM request_log`.execute(h.runtime.database.db)).rows);

before(async () => {
  h = await startHarness();
  base = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
});
after(() => h.close());

describe('payrail logs tail', () => {
  test('a failing call shows within a second with method, status, error code, latency, idempotency key and request id', async (t) => {
    const out = new Output();
    const stop = new AbortController();
    const running = logsTail({ url: base, project: 'demo', key: h.demoKey, out, signal: stop.signal });
    await new Promise((r) => setTimeout(r, 300));
    const res = await post('session/status', { session_id: 'ps_nope' }, { 'x-partner-idempotency-key': 'idem-log-1' });
    assert.equal(res.status, 404, JSON.stringify(res.json));
    assert.equal(res.json['error'].code, 'session_not_found');
    const ms = await waitFor(() => out.text.includes(res.requestId), 1000, 'the request in logs tail');
    const line = out.text.split('\n').find((l) => l.includes(res.requestId))!;
    assert.match(line, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  POST /api/v1/session/status  404 session_not_found  \\d+ ms  idempotency-key=idem-log-1  ${res.requestId}$`));
    stop.abort();
    assert.equal(await running, 0);

    const [row] = await h.runtime.database.db.selectFrom('request_log').selectAll().where('request_id', '=', res.requestId).execute();
    assert.ok(row);
    assert.deepEqual(
      { method: row.method, api_version: row.api_version, http_method: row.http_method, path: row.path, http_status: row.http_status, error_code: row.error_code, idempotency_key: row.idempotency_key },
      { method: 'session/status', api_version: 'v1', http_method: 'POST', path: '/api/v1/session/status', http_status: 404, error_code: 'session_not_found', idempotency_key: 'idem-log-1' },
    );
    assert.ok(Number.isInteger(row.latency_ms) && row.latency_ms >= 0);
    t.diagnostic(`shown in logs tail ${ms} ms after the answer`);
  });

  test('a successful v2 call and a refused signature are recorded; the log readers themselves are not', async () => {
    const created = await post('session/create', {}, {}, '/api/v2/session/create');
    assert.equal(created.status, 200);
    const raw = JSON.stringify({});
    const refused = await fetch(`${base}/api/v1/session/create`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': 'AAAA' }, body: raw });
    assert.equal(refused.status, 401);
    const refusedId = refused.headers.get('x-request-id')!;
    await h.runtime.requestLog.flush();
    const rows = await h.runtime.database.db.selectFrom('request_log').select(['request_id', 'api_version', 'http_status', 'error_code', 'method']).execute();
    assert.deepEqual(rows.find((r) => r.request_id === created.requestId), { request_id: created.requestId, api_version: 'v2', http_status: 200, error_code: null, method: 'session/create' });
    assert.deepEqual(rows.find((r) => r.request_id === refusedId), { request_id: refusedId, api_version: 'v1', http_status: 401, error_code: 'authentication_error', method: 'session/create' });
    assert.deepEqual(rows.filter((r) => r.method.startsWith('payrail/')), [], 'payrail/requests polling is not logged');
  });

  test('a call carrying a full card number never shows it in the log table or the output', async () => {
    const pan = '4111111111111111';
    const out = new Output();
    const stop = new AbortController();
    const running = logsTail({ url: base, project: 'demo', key: h.demoKey, out, signal: stop.signal });
    const customer = { reference: 'log', contacts: [{ email: 'log@example.com' }] };
    const good = await post('session/init/payment', { payment_details: bankCard(pan, { cvc: '737' }), amount_details: USD(100), customer }, { 'x-partner-idempotency-key': `key-${pan}` });
    assert.equal(good.status, 200, JSON.stringify(good.json));
    // A refused one too (a bad card number is echoed nowhere), and one with the number in the URL.
    const bad = await post('session/init/payment', { payment_details: bankCard('4111111111111112'), amount_details: USD(100), customer });
    assert.equal(bad.status, 400);
    const inUrl = await post('session/status', { session_id: 'ps_x' }, {}, `/api/v1/session/status?pan=${pan}`);
    await waitFor(() => out.text.includes(good.requestId) && out.text.includes(bad.requestId) && out.text.includes(inUrl.requestId), 2000, 'the three requests');
    stop.abort();
    await running;
    const table = await tableText();
    for (const text of [table, out.text]) {
      assert.ok(!text.includes(pan), 'the full card number is nowhere');
      assert.ok(!text.includes('4111111111111112'));
      assert.ok(!text.includes('411111'), 'not even its first six digits');
    }
    assert.match(out.text, /idempotency-key=key-\[redacted\]/);
    assert.match(out.text, new RegExp(`POST /api/v1/session/init/payment  400 invalid_request  \\d+ ms  ${bad.requestId}`));
  });

  test('a card number in a malformed body, a query string, a header, the path or the idempotency key is never kept', async () => {
    const pan = '5555555555554444';
    const spaced = '5555 5555 5555 4444';
    const marker = 'BODY-MARKER-cvc-9731';
    const sign = (raw: string) => signBody(raw, h.demoKey);
    const send = async (path: string, raw: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': sign(raw), ...headers }, body: raw });
      await res.arrayBuffer();
      return { status: res.status, requestId: res.headers.get('x-request-id') ?? '' };
    };
    const sent = [
      // Not JSON at all, with the number and a CVV in it.
      await send('/api/v1/session/init/payment', `{"payment_details":{"card":{"number":"${pan}","cvc":"9731"}},"note":"${marker}"`),
      await send(`/api/v1/session/status?pan=${pan}&cvc=9731&spaced=${encodeURIComponent(spaced)}`, JSON.stringify({ session_id: 'ps_x', note: marker })),
      await send('/api/v1/session/status', JSON.stringify({ session_id: 'ps_x' }), { 'x-card': pan, 'x-partner-idempotency-key': `k-${pan.replace(/(\d{4})/g, '$1.')}` }),
      await send(`/api/v1/session/${encodeURIComponent(spaced)}`, '{}'),
      await send(`/api/v2/${pan}/status`, '{}', { 'x-partner-idempotency-key': spaced }),
    ];
    assert.deepEqual(sent.map((r) => r.status), [400, 404, 404, 404, 404]);
    await h.runtime.requestLog.flush();
    const rows = await h.runtime.database.db.selectFrom('request_log').selectAll().where('request_id', 'in', sent.map((r) => r.requestId)).execute();
    assert.equal(rows.length, sent.length, 'each request is in the log');
    const text = JSON.stringify(rows);
    assert.doesNotMatch(text, /5555\D{0,6}5555\D{0,6}5555\D{0,6}4444/, text);
    assert.doesNotMatch(text, /555555/, 'not even the first six digits');
    assert.ok(!text.includes(marker) && !text.includes('9731') && !text.includes('pan='), 'nothing of the body or the query string');
    assert.deepEqual(rows.find((r) => r.request_id === sent[2]!.requestId)!.idempotency_key, 'k-[redacted].');
    assert.deepEqual(rows.find((r) => r.request_id === sent[0]!.requestId)!.error_code, 'invalid_request');
  });

  test('a request log the database refuses fails no request, crashes nothing, and catches up when it is back', async () => {
    const db = h.runtime.database.db;
    await h.runtime.requestLog.flush();
    await sql`ALTER TABLE request_log RENAME TO request_log_away`.execute(db);
    let restored = false;
    try {
      const during = await post('session/status', { session_id: 'ps_during' });
      assert.equal(during.status, 404, 'the answer is the method\'s own, not a 500');
      await h.runtime.requestLog.flush(); // the INSERT fails; flush neither throws nor drops the entry
      assert.ok(h.logs.some((l) => l.includes('request log write failed')), 'the failure is logged');
      const again = await post('session/create', {});
      assert.equal(again.status, 200);
      await sql`ALTER TABLE request_log_away RENAME TO request_log`.execute(db);
      restored = true;
      // The writer retries on its own a second later.
      await waitFor(async () => (await db.selectFrom('request_log').select('id').where('request_id', 'in', [during.requestId, again.requestId]).execute()).length === 2, 5000, 'the buffered entries');
    } finally {
      if (!restored) await sql`ALTER TABLE request_log_away RENAME TO request_log`.execute(db);
    }
  });

  test('the partner method and the admin endpoint page by cursor and refuse bad input with the envelope', async () => {
    await h.runtime.requestLog.flush();
    const page = await post('payrail/requests', { limit: 2 });
    assert.equal(page.status, 200);
    assert.equal(page.json['requests'].length, 2);
    const [a, b] = page.json['requests'];
    assert.ok(BigInt(a.id) < BigInt(b.id), 'oldest first');
    assert.equal(page.json['cursor'], b.id);
    const after = await post('payrail/requests', { after: a.id, limit: 1 });
    assert.deepEqual(after.json['requests'].map((r: { id: string }) => r.id), [b.id]);
    assert.deepEqual((await post('payrail/requests', { limit: 0 })).json, { status: 'error', error: { code: 'invalid_request', description: 'limit must be a whole number from 1 to 500' } });

    const admin = await h.admin('GET', `/projects/demo/requests?after=${a.id}&limit=1`);
    assert.equal(admin.statusCode, 200, admin.body);
    assert.deepEqual(admin.json(), { status: 'ok', requests: [b], cursor: b.id });
    const unknown = await h.admin('GET', '/projects/nobody/requests');
    assert.deepEqual([unknown.statusCode, unknown.json()], [404, { status: 'error', error: { code: 'not_found', description: 'project "nobody" does not exist' } }]);
    const badLimit = await h.admin('GET', '/projects/demo/requests?limit=900');
    assert.deepEqual([badLimit.statusCode, badLimit.json().error.code], [400, 'invalid_request']);
  });
});

describe('retention', () => {
  test('rows older than the retention are pruned by the sandbox clock', async () => {
    await h.runtime.requestLog.flush();
    const count = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM request_log`.execute(h.runtime.database.db)).rows[0]!.n);
    const before = await count();
    assert.ok(before > 0);
    assert.equal(await h.runtime.requestLog.prune(), 0, 'nothing is 24 h old yet');
    const moved = await h.admin('POST', '/clock/advance', { seconds: 25 * 3600 });
    assert.equal(moved.statusCode, 200, moved.body);
    const fresh = await post('session/create', {});
    await h.runtime.requestLog.flush();
    assert.equal(await h.runtime.requestLog.prune(), before);
    const left = await h.runtime.database.db.selectFrom('request_log').select('request_id').execute();
    assert.deepEqual(left, [{ request_id: fresh.requestId }]);
  });

  test('PAYRAIL_REQUEST_LOG_RETENTION: defaults, units, off, and a bad value', () => {
    assert.equal(loadConfig({}).requestLogRetentionMs, 24 * 3600_000, 'sandbox default');
    assert.equal(loadConfig({ PAYRAIL_REQUEST_LOG_RETENTION: '2h' }).requestLogRetentionMs, 7_200_000);
    assert.equal(loadConfig({ PAYRAIL_REQUEST_LOG_RETENTION: 'off' }).requestLogRetentionMs, 0);
    assert.throws(() => loadConfig({ PAYRAIL_REQUEST_LOG_RETENTION: 'a day' }), (err: Error) => err instanceof ConfigError && /PAYRAIL_REQUEST_LOG_RETENTION/.test(err.message));
    assert.equal(parseRetention(undefined, 'sandbox'), 24 * 3600_000);
    assert.equal(parseRetention('', 'live'), 7 * 86_400_000);
    assert.equal(parseRetention('90', 'sandbox'), 90_000);
    assert.equal(parseRetention('30m', 'sandbox'), 1_800_000);
    assert.equal(parseRetention('2d', 'live'), 2 * 86_400_000);
    assert.equal(parseRetention('off', 'sandbox'), 0);
    assert.throws(() => parseRetention('1 week', 'sandbox'), /PAYRAIL_REQUEST_LOG_RETENTION must be seconds or a number with s, m, h or d \(e\.g\. 24h\), or off; got "1 week"/);
  });
});
