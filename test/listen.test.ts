import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPublicKey, verify } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { listen } from '../src/cli/listen.js';
import { loadConfig } from '../src/platform/config/config.js';
import { createRuntime } from '../src/runtime.js';
import { newKeyPair, signBody, startHarness, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { bankCard, ok, USD } from './helpers/acquiring.js';
import { onPostgres } from './helpers/test-db.js';
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

  test('a stream the client leaves ends its loop on the server', async () => {
    const body = JSON.stringify({});
    const stop = new AbortController();
    const res = await fetch(`${base}/api/v1/payrail/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': signBody(body, h.demoKey) }, body, signal: stop.signal });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /^retry: 1000\n: payrail events of project demo after \d+\n\n/);
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
