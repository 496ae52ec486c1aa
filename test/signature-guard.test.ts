import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signBody, startHarness, type Harness } from './helpers/harness.js';
import { assertError, patchProject } from './helpers/payouts.js';

/**
 * X-PARTNER-SIGN is decoded strictly, and a project may turn on a replay guard: a signed
 * X-PARTNER-TIMESTAMP within a window, each signature accepted once (issue 10, item 9;
 * docs/security.md).
 */
let h: Harness;
let sessionId: string;
before(async () => {
  h = await startHarness();
  const res = await h.call('session/create', { amount_details: { amount: 100, currency: 'usd' } });
  sessionId = res.json().session.id;
});
after(() => h.close());

const statusBody = () => JSON.stringify({ session_id: sessionId });

describe('X-PARTNER-SIGN is standard Base64 and nothing else', () => {
  const STRICT = 'X-PARTNER-SIGN must be standard Base64 (RFC 4648, with padding) and nothing else';
  const good = () => signBody(statusBody(), h.demoKey);
  const cases: [string, (s: string) => string][] = [
    ['a space inside', (s) => `${s.slice(0, 10)} ${s.slice(10)}`],
    ['a junk suffix', (s) => `${s}, junk`],
    ['base64url', (s) => s.replace(/\+/g, '-').replace(/\//g, '_')],
    ['padding left off', (s) => s.replace(/=+$/, '')],
    ['a character that is not Base64', (s) => `*${s.slice(1)}`],
    ['junk after the padding', (s) => `${s}AAAA`],
  ];
  for (const [name, mangle] of cases) {
    test(`${name}: refused as malformed, before any key is tried`, async () => {
      const sig = mangle(good());
      if (name === 'base64url') assert.notEqual(sig, good(), 'this signature has + or / to replace');
      const res = await h.call('session/status', {}, { raw: statusBody(), headers: { 'x-partner-sign': sig } });
      assertError(res, 401, 'authentication_error', STRICT);
    });
  }

  test('the same bytes, correctly encoded, verify', async () => {
    const res = await h.call('session/status', {}, { raw: statusBody() });
    assert.equal(res.statusCode, 200, res.body);
  });
});

describe('the replay guard (signature_max_age_seconds)', () => {
  // Milliseconds and a counter: two requests of one test never share a timestamp (nor a signature).
  let seq = 0;
  const now = () => `${Math.floor(Date.now() / 1000)}.${String(Date.now() % 1000).padStart(3, '0')}${String(seq++ % 1000).padStart(3, '0')}`;
  const signed = (ts: string, raw: string) => ({ raw, headers: { 'x-partner-timestamp': ts, 'x-partner-sign': signBody(`${ts}.${raw}`, h.demoKey) } });

  test('off by default: a timestamp header is ignored and the body alone is signed', async () => {
    const res = await h.call('session/status', {}, { raw: statusBody(), headers: { 'x-partner-timestamp': 'not a number' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal((await h.admin('GET', '/projects/demo')).json().project.settings.signature_max_age_seconds, null);
  });

  describe('on, with a 300-second window', () => {
    before(() => patchProject(h, 'demo', { signature_max_age_seconds: 300 }));
    after(() => patchProject(h, 'demo', { signature_max_age_seconds: null }));

    test('a request without X-PARTNER-TIMESTAMP is refused', async () => {
      assertError(
        await h.call('session/status', {}, { raw: statusBody() }),
        401,
        'authentication_error',
        'project "demo" requires X-PARTNER-TIMESTAMP (Unix seconds, up to 6 decimals), signed as timestamp + "." + body',
      );
    });

    test('timestamp + "." + body, signed and fresh: accepted once; the same bytes again are refused', async () => {
      const req = signed(now(), statusBody());
      const first = await h.call('session/status', {}, req);
      assert.equal(first.statusCode, 200, first.body);
      assertError(await h.call('session/status', {}, req), 401, 'authentication_error', 'this signed request was already accepted once: sign each request anew (a new X-PARTNER-TIMESTAMP)');
    });

    test('a captured signed status body cannot be replayed as a cancel or a refund', async () => {
      const req = signed(now(), statusBody());
      assert.equal((await h.call('session/status', {}, req)).statusCode, 200);
      for (const method of ['session/cancel', 'session/refund', 'session/confirm']) {
        assertError(await h.call(method, {}, req), 401, 'authentication_error', /already accepted once/);
      }
      const status = await h.call('session/status', {}, signed(now(), statusBody()));
      assert.equal(status.json().session.status, 'created', 'the session was not cancelled');
    });

    test('whole seconds are enough for requests that differ', async () => {
      const ts = String(Math.floor(Date.now() / 1000));
      assert.equal((await h.call('session/status', {}, signed(ts, JSON.stringify({ session_id: sessionId, n: 1 })))).statusCode, 200);
      assert.equal((await h.call('session/status', {}, signed(ts, JSON.stringify({ session_id: sessionId, n: 2 })))).statusCode, 200);
    });

    test('a timestamp outside the window is refused, either side', async () => {
      for (const skew of [-400, 400]) {
        const ts = String(Math.floor(Date.now() / 1000) + skew);
        assertError(await h.call('session/status', {}, signed(ts, statusBody())), 401, 'authentication_error', new RegExp(`^X-PARTNER-TIMESTAMP ${ts} is (399|400|401) s from the server's time; project "demo" accepts 300 s$`));
      }
    });

    test('a malformed timestamp, or a signature over the body alone, is refused', async () => {
      const raw = statusBody();
      assertError(
        await h.call('session/status', {}, { raw, headers: { 'x-partner-timestamp': '1e9' } }),
        401,
        'authentication_error',
        'project "demo" requires X-PARTNER-TIMESTAMP (Unix seconds, up to 6 decimals), signed as timestamp + "." + body',
      );
      assertError(
        await h.call('session/status', {}, { raw, headers: { 'x-partner-timestamp': now() } }),
        401,
        'authentication_error',
        'X-PARTNER-SIGN does not verify X-PARTNER-TIMESTAMP + "." + the request body with any active key of project "demo"',
      );
    });

    test('10 concurrent copies of one signed request: exactly one is accepted', async () => {
      const req = signed(now(), statusBody());
      const answers = await Promise.all(Array.from({ length: 10 }, () => h.call('session/status', {}, req)));
      assert.deepEqual(answers.map((a) => a.statusCode).sort(), [200, 401, 401, 401, 401, 401, 401, 401, 401, 401]);
    });

    test('a retry, signed anew, with the same idempotency key replays the first answer', async () => {
      const raw = JSON.stringify({ amount_details: { amount: 4200, currency: 'usd' } });
      const first = await h.call('session/create', {}, { ...signed(now(), raw), idempotencyKey: 'guarded-1' });
      assert.equal(first.statusCode, 200, first.body);
      const retry = await h.call('session/create', {}, { ...signed(now(), raw), idempotencyKey: 'guarded-1' });
      assert.equal(retry.statusCode, 200, retry.body);
      assert.equal(retry.body, first.body);
    });
  });

  test('the window is 1 to 3600 seconds or null', async () => {
    for (const bad of [0, 3601, 1.5, '60']) {
      const res = await h.admin('PATCH', '/projects/demo', { signature_max_age_seconds: bad });
      assertError(res, 400, 'invalid_request', /signature_max_age_seconds/);
    }
  });
});
