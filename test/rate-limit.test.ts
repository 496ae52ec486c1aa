import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/platform/config/config.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { newKeyPair, signBody, startHarness, type Harness, type Reply } from './helpers/harness.js';
import { assertError, patchProject } from './helpers/acquiring.js';
import { onPostgres } from './helpers/test-db.js';

/**
 * Per-project rate limits (issue 14, item 3; docs/operations.md "Rate limits"): a project setting,
 * 429 `rate_limited` with Retry-After beyond it, counted after authentication, nothing written for
 * a refused request; shared by instances through Redis (PAYRAIL_REDIS_URL).
 */
const REDIS_URL = process.env['TEST_REDIS_URL'] || 'redis://127.0.0.1:6379';
const BODY = { amount_details: { amount: 100, currency: 'usd' } };
// Each test sets its own burst: the window of a limit (here up to 5 s) outlives the test that set it.
const limited = (burst: number) => new RegExp(`^project "demo" is limited to 1 request per second \\(burst ${burst}\\); retry after [1-${burst}] s$`);

const countRows = async (h: Harness, table: 'sessions' | 'idempotency_keys' | 'used_signatures') =>
  Number((await h.runtime.database.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

function assertLimited(res: Reply, burst: number): void {
  assertError(res, 429, 'rate_limited', limited(burst));
  const retryAfter = Number(res.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= burst, `Retry-After: ${String(res.headers['retry-after'])}`);
}

/** Runs `suite` against a harness whose instance counts in memory, then in Redis. */
for (const store of ['memory', 'redis'] as const) {
  describe(`per-project rate limits (${store} store)`, () => {
    let h: Harness;
    let other: ReturnType<typeof newKeyPair>;
    before(async () => {
      h = await startHarness({ env: store === 'redis' ? { PAYRAIL_REDIS_URL: REDIS_URL, PAYRAIL_REDIS_PREFIX: `payrail-test-${randomBytes(6).toString('hex')}:` } : {} });
      other = newKeyPair();
      const created = await h.admin('POST', '/projects', { name: 'other', public_key: other.publicPem, settings: { rate_limit: { requests_per_second: 1, burst: 3 } } });
      assert.equal(created.statusCode, 200, created.body);
    });
    after(() => h.close());

    test('off by default; the setting is shown, validated and cleared through the admin API', async () => {
      assert.equal((await h.admin('GET', '/projects/demo')).json().project.settings.rate_limit, null);
      for (let i = 0; i < 10; i++) assert.equal((await h.call('session/create', BODY)).statusCode, 200);
      assertError(await h.admin('PATCH', '/projects/demo', { rate_limit: { requests_per_second: 0 } }), 400, 'invalid_request', /rate_limit\.requests_per_second must be a whole number of requests per second from 1 to 1000000/);
      assertError(await h.admin('PATCH', '/projects/demo', { rate_limit: { requests_per_second: 5, burst: 1.5 } }), 400, 'invalid_request', /rate_limit\.burst must be a whole number/);
      const patched = await h.admin('PATCH', '/projects/demo', { rate_limit: { requests_per_second: 7 } });
      assert.deepEqual(patched.json().project.settings.rate_limit, { requests_per_second: 7, burst: 7 }, 'the burst defaults to one second of requests');
      assert.equal((await h.admin('PATCH', '/projects/demo', { rate_limit: null })).json().project.settings.rate_limit, null);
    });

    test('beyond the burst: 429 rate_limited with Retry-After, and nothing is written', async () => {
      await patchProject(h, 'demo', { rate_limit: { requests_per_second: 1, burst: 3 } });
      for (let i = 0; i < 3; i++) assert.equal((await h.call('session/create', BODY)).statusCode, 200, `request ${i + 1} of the burst`);
      const sessions = await countRows(h, 'sessions');
      const keys = await countRows(h, 'idempotency_keys');
      assertLimited(await h.call('session/create', BODY, { idempotencyKey: 'refused-1' }), 3);
      assertLimited(await h.call('session/create', BODY), 3);
      assert.equal(await countRows(h, 'sessions'), sessions, 'no session for a refused request');
      assert.equal(await countRows(h, 'idempotency_keys'), keys, 'no idempotency key claimed by a refused request');
      // The limit is per project: "other" has its own budget.
      const otherCall = () => h.call('session/create', BODY, { project: 'other', key: other.privateKey });
      for (let i = 0; i < 3; i++) assert.equal((await otherCall()).statusCode, 200, `other's request ${i + 1}`);
      assertError(await otherCall(), 429, 'rate_limited', /^project "other" is limited/);
      const sessionsNow = await countRows(h, 'sessions');
      // A changed limit takes effect at once (the directory cache is dropped, the window is the new limit's).
      await patchProject(h, 'demo', { rate_limit: { requests_per_second: 1000, burst: 1000 } });
      const retried = await h.call('session/create', BODY, { idempotencyKey: 'refused-1' });
      assert.equal(retried.statusCode, 200, 'the refused key was never claimed: its retry runs');
      assert.equal(await countRows(h, 'sessions'), sessionsNow + 1);
      await patchProject(h, 'demo', { rate_limit: null });
    });

    test('forged requests naming a project do not spend its budget', async () => {
      await patchProject(h, 'demo', { rate_limit: { requests_per_second: 1, burst: 4 } });
      const raw = JSON.stringify(BODY);
      for (let i = 0; i < 10; i++) {
        const forged = await h.call('session/create', BODY, { raw, headers: { 'x-partner-sign': signBody(raw, other.privateKey) } });
        assert.equal(forged.statusCode, 401, forged.body);
      }
      for (let i = 0; i < 4; i++) assert.equal((await h.call('session/create', BODY)).statusCode, 200, `request ${i + 1} of the burst`);
      assertLimited(await h.call('session/create', BODY), 4);
      await patchProject(h, 'demo', { rate_limit: null });
    });

    test('with the replay guard on, a refused request does not use up its signature', async () => {
      await patchProject(h, 'demo', { rate_limit: { requests_per_second: 1, burst: 5 }, signature_max_age_seconds: 300 });
      const raw = JSON.stringify(BODY);
      let seq = 0;
      const signed = () => {
        const ts = `${Math.floor(Date.now() / 1000)}.${String(seq++).padStart(6, '0')}`;
        return { raw, headers: { 'x-partner-timestamp': ts, 'x-partner-sign': signBody(`${ts}.${raw}`, h.demoKey) } };
      };
      for (let i = 0; i < 5; i++) assert.equal((await h.call('session/create', BODY, signed())).statusCode, 200);
      const used = await countRows(h, 'used_signatures');
      const refused = signed();
      assertLimited(await h.call('session/create', BODY, refused), 5);
      assert.equal(await countRows(h, 'used_signatures'), used);
      await patchProject(h, 'demo', { rate_limit: null });
      assert.equal((await h.call('session/create', BODY, refused)).statusCode, 200, 'the refused signed request, sent again, is accepted');
      await patchProject(h, 'demo', { signature_max_age_seconds: null });
    });
  });
}

describe('Redis unreachable', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ env: { PAYRAIL_REDIS_URL: 'redis://127.0.0.1:1' } });
  });
  after(() => h.close());

  test('fails open: requests are served without the limit, and a warning is logged', async () => {
    await patchProject(h, 'demo', { rate_limit: { requests_per_second: 1, burst: 1 } });
    for (let i = 0; i < 5; i++) {
      const res = await h.call('session/create', BODY);
      assert.equal(res.statusCode, 200, res.body);
    }
    assert.ok(
      h.logs.some((l) => l.includes('"level":40') && l.includes('rate limit store unreachable')),
      'a warning names the unreachable store',
    );
  });
});

/**
 * Two instances on one PostgreSQL sharing one Redis, flooded through real sockets, alternately:
 * together they accept the project's configured rate, within 10 %, not twice it.
 */
describe('two instances share one limit', { skip: !onPostgres && 'needs PostgreSQL (TEST_DATABASE_URL)' }, () => {
  const RPS = 20;
  let h: Harness;
  let peer: Runtime;
  const urls: string[] = [];
  const prefix = `payrail-test-${randomBytes(6).toString('hex')}:`;
  before(async () => {
    h = await startHarness({ env: { PAYRAIL_REDIS_URL: REDIS_URL, PAYRAIL_REDIS_PREFIX: prefix } });
    if (!h.db.url) throw new Error('unreachable');
    // startPeer (helpers/peer.ts), with the shared store set.
    const config = loadConfig({ PAYRAIL_DATA_DIR: h.dataDir, DATABASE_URL: h.db.url, LOG_LEVEL: 'silent', PAYRAIL_REDIS_URL: REDIS_URL, PAYRAIL_REDIS_PREFIX: prefix });
    peer = await createRuntime(config, { logger: pino({ level: 'silent' }), clock: h.clock });
    for (const app of [h.runtime.app, peer.app]) {
      await app.listen({ port: 0, host: '127.0.0.1' });
      urls.push(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
    }
    await patchProject(h, 'demo', { rate_limit: { requests_per_second: RPS, burst: RPS } });
    // The peer sees the change within its directory's recheck (1 s).
    await new Promise((r) => setTimeout(r, 1500));
  });
  after(async () => {
    await peer?.close();
    await h.close();
  });

  test(`${RPS} per second held across both within 10 %`, async (t) => {
    const raw = JSON.stringify(BODY);
    const headers = { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': signBody(raw, h.demoKey) };
    const sessionsBefore = await h.runtime.database.db.selectFrom('sessions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    // 8.9 s: nine whole 1-second windows from the first request, and the flood stops before a tenth opens.
    const seconds = 8.9;
    const counts = { ok: 0, limited: 0, other: 0 };
    const perInstance = [0, 0];
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 6 }, async (_, worker) => {
        for (let i = 0; Date.now() - started < seconds * 1000; i++) {
          const which = (worker + i) % 2;
          const res = await fetch(`${urls[which]}/api/v1/session/create`, { method: 'POST', headers, body: raw });
          const text = await res.text();
          if (res.status === 200) {
            counts.ok++;
            perInstance[which]!++;
          } else if (res.status === 429 && JSON.parse(text).error.code === 'rate_limited') counts.limited++;
          else counts.other++;
          await new Promise((r) => setTimeout(r, 2));
        }
      }),
    );
    const rate = counts.ok / seconds;
    const summary = `${counts.ok} accepted (${perInstance.join(' + ')}), ${counts.limited} limited, ${counts.other} other in ${seconds} s: ${rate.toFixed(1)}/s for ${RPS}/s configured`;
    t.diagnostic(summary);
    assert.equal(counts.other, 0, summary);
    assert.ok(counts.limited > counts.ok, `the flood exceeded the limit: ${summary}`);
    assert.ok(perInstance[0]! > 0 && perInstance[1]! > 0, `both instances accepted some: ${summary}`);
    assert.ok(Math.abs(rate - RPS) <= RPS * 0.1, summary);
    const sessionsAfter = await h.runtime.database.db.selectFrom('sessions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(sessionsAfter.n) - Number(sessionsBefore.n), counts.ok, 'one session per accepted request, none for a refused one');
  });
});

// The shared store these tests use must be there (as on CI); say so plainly rather than fail obscurely.
before(async () => {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  try {
    await probe.connect();
    assert.equal(await probe.ping(), 'PONG');
  } catch (err) {
    throw new Error(`these tests need Redis at ${REDIS_URL} (TEST_REDIS_URL): ${(err as Error).message}`, { cause: err });
  } finally {
    probe.disconnect();
  }
});
