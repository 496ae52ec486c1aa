import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { listen } from '../src/cli/listen.js';
import { loadConfig } from '../src/platform/config/config.js';
import { createRuntime } from '../src/runtime.js';
import { newKeyPair, signBody, startHarness, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { bankCard, ok, USD } from './helpers/acquiring.js';
import { freshDatabase, onPostgres, type TestDatabase } from './helpers/test-db.js';
import { spawnCli, type CliProcess } from './helpers/cli-process.js';
import { openEventStreams } from '../src/edge/api/payrail-events.routes.js';

/**
 * `payrail listen` (the function H4's CLI wires) against a listening server whose project has NO
 * webhook_url: webhooks are still recorded (state no_endpoint), streamed by POST /api/v1/payrail/events
 * and forwarded to a real receiver with the server's own signature of the exact outbox bytes.
 */
let h: Harness;
let base: string;
let pem: string;
let rx: Receiver;
const customer = { reference: 'listen', contacts: [{ email: 'listen@example.com' }] };

class Output extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
  async waitFor(re: RegExp, timeoutMs = 8000): Promise<RegExpMatchArray> {
    const started = Date.now();
    for (;;) {
      const m = this.text.match(re);
      if (m) return m;
      if (Date.now() - started > timeoutMs) throw new Error(`output never matched ${re}:\n${this.text}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

const webhookRows = (sessionId: string) =>
  h.runtime.database.db.selectFrom('webhooks').select(['id', 'seq', 'type', 'state', 'body', 'attempts']).where('session_id', '=', sessionId).orderBy('seq').execute();

before(async () => {
  h = await startHarness();
  base = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
  pem = (await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body;
  rx = await startReceiver(pem);
});
after(async () => {
  await h.close();
  await rx.close();
});

describe('payrail listen with no webhook_url registered', () => {
  let sessionId: string;

  test('a card payment\'s webhooks reach the forward URL, signed by the server over the outbox bytes', async () => {
    assert.equal((await h.admin('GET', '/projects/demo')).json().project.settings.webhook_url, null);
    const out = new Output();
    const stop = new AbortController();
    const running = listen({ url: base, project: 'demo', key: h.demoKey, forwardTo: rx.url, out, signal: stop.signal });
    await out.waitFor(/^Ready: webhooks of project demo/m);

    const init = await ok(h, 'session/init/payment', { payment_details: bankCard('5555555555554444'), amount_details: USD(4200), customer });
    sessionId = init.session['id'];
    await rx.waitFor(1);
    await ok(h, 'session/confirm', { session_id: sessionId });
    const got = await rx.waitFor(2);

    const rows = await webhookRows(sessionId);
    assert.deepEqual(rows.map((r) => [r.type, r.state, r.attempts]), [['ready_to_confirm', 'no_endpoint', 0], ['payment_finished', 'no_endpoint', 0]]);
    assert.deepEqual(got.map((r) => r.body), rows.map((r) => r.body), 'the forwarded bodies are the outbox bytes');
    assert.deepEqual(got.map((r) => r.headers['x-payrail-webhook-id']), rows.map((r) => r.id));
    const key = createPublicKey(pem);
    for (const r of got) {
      assert.equal(r.verified, true);
      assert.equal(verify('sha256', Buffer.from(r.body), key, Buffer.from(String(r.headers['x-partner-sign']), 'base64')), true);
      assert.equal(r.headers['content-type'], 'application/json');
    }
    assert.equal(got[1]!.json.session['status'], 'accepted');
    const attempts = await h.runtime.database.db.selectFrom('webhook_attempts').select('id').where('webhook_id', 'in', rows.map((r) => r.id)).execute();
    assert.deepEqual(attempts, [], 'nothing was attempted: there is no endpoint');

    const line = await out.waitFor(new RegExp(`payment_finished  ${sessionId}  \\[session accepted, payment succeeded\\]  ${rows[1]!.id}  → 200 OK`));
    assert.ok(line);
    assert.match(out.text, new RegExp(`ready_to_confirm  ${sessionId}  \\[session \\w+, payment \\w+\\]  ${rows[0]!.id}  → 200 OK`));
    stop.abort();
    assert.equal(await running, 0);
  });

  test('from a cursor it replays what came after; --print-json prints the bodies; a failing endpoint is reported', async () => {
    const rows = await webhookRows(sessionId);
    const out = new Output();
    const stop = new AbortController();
    const before = rx.received.length;
    rx.respond = () => ({ status: 503, body: 'down' });
    const running = listen({ url: base, project: 'demo', key: h.demoKey, forwardTo: rx.url, printJson: true, out, signal: stop.signal, after: rows[0]!.seq });
    await out.waitFor(/→ 503 your endpoint did not answer 2xx/);
    stop.abort();
    assert.equal(await running, 0);
    rx.respond = () => ({ status: 200, body: 'ok' });
    assert.deepEqual(rx.received.slice(before).map((r) => r.json.type), ['payment_finished'], 'only what came after the cursor');
    assert.ok(out.text.includes(JSON.stringify(JSON.parse(rows[1]!.body), null, 2)), out.text);
    assert.ok(!out.text.includes('ready_to_confirm'));
  });

  test('a bad signature or a bad cursor on the stream request gets the error envelope', async () => {
    const body = JSON.stringify({ after: '0' });
    const wrong = newKeyPair().privateKey;
    const res = await fetch(`${base}/api/v1/payrail/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': signBody(body, wrong) }, body });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await res.json(), {
      status: 'error',
      error: { code: 'authentication_error', description: 'X-PARTNER-SIGN does not verify the request body with any active key of project "demo"' },
    });

    const bad = JSON.stringify({ after: 'yesterday' });
    const res2 = await fetch(`${base}/api/v2/payrail/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': signBody(bad, h.demoKey) }, body: bad });
    assert.equal(res2.status, 400);
    assert.deepEqual(await res2.json(), {
      status: 'error',
      error: { code: 'invalid_request', description: 'after must be a cursor from an earlier answer (a whole number of at most 18 digits)' },
    });

    const out = new Output();
    assert.equal(await listen({ url: base, project: 'demo', key: wrong, out }), 1);
    assert.match(out.text, /the server refused the stream \(HTTP 401\): .*authentication_error/);
  });

  test('a dropped stream reconnects and still delivers what was written meanwhile, once', async () => {
    const out = new Output();
    const stop = new AbortController();
    const before = rx.received.length;
    const running = listen({ url: base, project: 'demo', key: h.demoKey, forwardTo: rx.url, out, signal: stop.signal });
    await out.waitFor(/^Ready/m);
    const first = await ok(h, 'session/init/payment', { payment_details: bankCard('5555555555554444'), amount_details: USD(300), customer });
    await out.waitFor(new RegExp(`ready_to_confirm  ${first.session['id']}`));
    // Cut every connection of the server (the stream's too), then write a webhook before listen's backoff (0.5 s) is over.
    h.runtime.app.server.closeAllConnections();
    const second = await ok(h, 'session/init/payment', { payment_details: bankCard('5555555555554444'), amount_details: USD(301), customer });
    await out.waitFor(/the stream (dropped|ended)/);
    await out.waitFor(new RegExp(`ready_to_confirm  ${second.session['id']}  .*→ 200 OK`));
    await out.waitFor(/^reconnected: resuming after \d+$/m);
    stop.abort();
    assert.equal(await running, 0);
    const ids = rx.received.slice(before).map((r) => r.json.session['id']);
    assert.deepEqual(ids, [first.session['id'], second.session['id']], 'each webhook forwarded once, none lost across the drop');
  });

  test('a stream the client leaves ends its loop on the server', async () => {
    const body = JSON.stringify({});
    const stop = new AbortController();
    const res = await fetch(`${base}/api/v1/payrail/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': signBody(body, h.demoKey) }, body, signal: stop.signal });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /^retry: 1000\n: payrail events of project demo after \d+\n\nevent: ready\ndata: \{"project":"demo","after":"\d+"\}\n\n/);
    assert.equal(res.headers.get('connection'), 'close', 'a stream is never a keep-alive connection');
    assert.equal(openEventStreams(h.runtime.app), 1);
    stop.abort();
    const started = Date.now();
    while (openEventStreams(h.runtime.app) > 0) {
      assert.ok(Date.now() - started < 3000, 'the server still runs the stream 3 s after the client left');
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});

describe('two instances on one PostgreSQL', { skip: !onPostgres && 'needs TEST_DATABASE_URL' }, () => {
  test('a webhook written by the other instance reaches the stream', async () => {
    // The other instance: its own data dir holding this one's master key, on the same database.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-other-'));
    fs.copyFileSync(path.join(h.dataDir, 'master.key'), path.join(dir, 'master.key'));
    const other = await createRuntime(loadConfig({ PAYRAIL_DATA_DIR: dir, DATABASE_URL: h.db.url!, LOG_LEVEL: 'warn' }), { logger: pino({ level: 'silent' }) });
    try {
      const out = new Output();
      const stop = new AbortController();
      const running = listen({ url: base, project: 'demo', key: h.demoKey, out, signal: stop.signal });
      await out.waitFor(/^Ready/m);
      const raw = JSON.stringify({ payment_details: bankCard('5555555555554444'), amount_details: USD(100), customer });
      const res = await other.app.inject({
        method: 'POST',
        url: '/api/v1/session/init/payment',
        headers: { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': signBody(raw, h.demoKey) },
        payload: raw,
      });
      assert.equal(res.statusCode, 200, res.body);
      await out.waitFor(new RegExp(`ready_to_confirm  ${JSON.parse(res.body).session.id}  `));
      stop.abort();
      assert.equal(await running, 0);
    } finally {
      await other.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The checks, over real processes: `payrail serve`, `payrail logs tail` and `payrail listen`
 * as child processes (from source, through tsx), the project with no webhook_url, a receiver here
 * that verifies each webhook with the key from GET /api/v1/public-key. Last, shutdown: the server
 * stops on SIGTERM within seconds although listen's stream is open, and listen stops on SIGINT.
 */
describe('payrail serve, logs tail and listen as processes', () => {
  let db: TestDatabase;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let url: string;
  let demoKey: string;
  let server: CliProcess | undefined;
  const children: CliProcess[] = [];
  let prx: Receiver | undefined;
  before(async () => {
    db = await freshDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-listen-'));
    env = { PAYRAIL_DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'warn', PAYRAIL_LOG_FORMAT: 'json', ...(db.url ? { DATABASE_URL: db.url } : {}) };
    server = spawnCli(['serve'], env);
    url = (await server.waitFor(/payrail is listening on (http:\/\/\S+)/, 90_000))[1]!;
    demoKey = fs.readFileSync(path.join(dir, 'demo.private.pem'), 'utf8');
  });
  after(async () => {
    for (const c of children) await c.kill();
    await server?.kill();
    await prx?.close();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const call = async (method: string, body: unknown, headers: Record<string, string> = {}) => {
    const raw = JSON.stringify(body);
    const res = await fetch(`${url}/api/v1/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': signBody(raw, createPrivateKey(demoKey)), ...headers }, body: raw });
    return { status: res.status, requestId: res.headers.get('x-request-id') ?? '', json: (await res.json()) as { session: { id: string } } };
  };

  test('logs tail prints a request within a second of its answer, and never the card number it carried', async () => {
    const tail = spawnCli(['logs', 'tail', '--url', url], env);
    children.push(tail);
    // A first request, to know the tail is running (its start, through tsx, takes seconds here).
    const warm = await call('session/status', { session_id: 'ps_none' });
    await tail.waitFor(new RegExp(`404 session_not_found  \\d+ ms  ${warm.requestId}`), 60_000);
    const pan = '4242424242424242';
    const res = await call('session/init/payment', { payment_details: bankCard(pan, { cvc: '737' }), amount_details: USD(500), customer }, { 'x-partner-idempotency-key': `order-${pan}` });
    assert.equal(res.status, 200);
    const answered = Date.now();
    const line = (await tail.waitFor(new RegExp(`^.*POST /api/v1/session/init/payment  200  \\d+ ms  idempotency-key=order-\\[redacted\\]  ${res.requestId}$`, 'm'), 5000))[0];
    const shownAfter = Date.now() - answered;
    assert.ok(shownAfter < 1000, `logs tail showed the request ${shownAfter} ms after its answer`);
    assert.doesNotMatch(tail.output(), /4242\D{0,3}4242/, 'no card number in the output');
    assert.ok(line);
    tail.child.kill('SIGINT');
    assert.deepEqual(await tail.exited, { code: 0, signal: null });
  });

  test('listen forwards a verified webhook with no webhook URL registered; both stop cleanly', async () => {
    const serverKey = await (await fetch(`${url}/api/v1/public-key`)).text();
    prx = await startReceiver(serverKey);
    const listener = spawnCli(['listen', '--forward-to', prx.url, '--url', url], env);
    children.push(listener);
    await listener.waitFor(/^Ready: webhooks of project demo/m, 60_000);

    const res = await call('session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(1999), customer });
    assert.equal(res.status, 200);
    const sessionId = res.json.session.id;

    const [got] = await prx.waitFor(1, 15_000);
    assert.equal(got!.verified, true, 'X-PARTNER-SIGN verifies with the server key');
    assert.equal(verify('sha256', Buffer.from(got!.body), createPublicKey(serverKey), Buffer.from(String(got!.headers['x-partner-sign']), 'base64')), true);
    assert.equal(got!.json.type, 'ready_to_confirm');
    assert.equal(got!.json.session['id'], sessionId);
    await listener.waitFor(new RegExp(`ready_to_confirm  ${sessionId}  \\[session \\w+, payment \\w+\\]  wh_\\w+  → 200 OK`), 10_000);
    const settings = await (await fetch(`${url}/admin/projects/demo`, { headers: { authorization: `Bearer ${fs.readFileSync(path.join(dir, 'admin-token'), 'utf8').trim()}` } })).json();
    assert.equal((settings as { project: { settings: { webhook_url: unknown } } }).project.settings.webhook_url, null, 'no webhook URL was registered');

    // The server stops on SIGTERM though listen's stream is open (app.close() ends it); listen then reconnects until SIGINT.
    const t0 = Date.now();
    server!.child.kill('SIGTERM');
    assert.deepEqual(await server!.exited, { code: 0, signal: null });
    const stopMs = Date.now() - t0;
    assert.ok(stopMs < 10_000, `the server took ${stopMs} ms to stop with a stream open`);
    await listener.waitFor(/the stream (ended|dropped)/, 10_000);
    listener.child.kill('SIGINT');
    assert.deepEqual(await listener.exited, { code: 0, signal: null });
  });
});
