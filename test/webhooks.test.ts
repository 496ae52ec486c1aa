import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { startHarness, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';

let h: Harness;
let rx: Receiver;
let pem: string;

before(async () => {
  h = await startHarness();
  pem = (await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body;
  rx = await startReceiver(pem);
  const res = await h.admin('PATCH', '/projects/demo', { webhook_url: rx.url });
  assert.equal(res.statusCode, 200, res.body);
});
after(async () => {
  await h.close();
  await rx.close();
});
afterEach(() => {
  rx.respond = () => ({ status: 200, body: 'ok' });
});

const trigger = async (type: string, sessionId?: string, project = 'demo') => {
  const res = await h.admin('POST', '/webhooks/trigger', { type, project, ...(sessionId ? { session_id: sessionId } : {}) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { webhook_id: string; session_id: string };
};
const log = async (sessionId: string) => (await h.admin('GET', `/sessions/${sessionId}/webhooks`)).json().webhooks;
const advance = async (seconds: number) => {
  const res = await h.admin('POST', '/clock/advance', { seconds });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
};

describe('delivery', () => {
  test('a webhook arrives as a signed POST of the session snapshot, once', async () => {
    const start = rx.received.length;
    const { session_id, webhook_id } = await trigger('payment_finished');
    const [got] = (await rx.waitFor(start + 1)).slice(start);
    assert.ok(got);
    assert.equal(got.verified, true, 'X-PARTNER-SIGN verifies with GET /api/v1/public-key');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['x-payrail-webhook-id'], webhook_id);
    const status = (await h.call('session/status', { session_id })).json();
    assert.deepEqual(got.json, { type: 'payment_finished', session: status.session });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rx.received.filter((r) => r.headers['x-payrail-webhook-id'] === webhook_id).length, 1);

    const [entry] = await log(session_id);
    assert.equal(entry.state, 'delivered');
    assert.equal(entry.attempts_made, 1);
    assert.equal(entry.attempts.length, 1);
    assert.equal(entry.attempts[0].http_status, 200);
    assert.equal(entry.attempts[0].response_excerpt, 'ok');
    assert.equal(entry.attempts[0].url, rx.url);
    assert.equal(typeof entry.attempts[0].latency_ms, 'number');
    assert.deepEqual(entry.body, got.json);
  });

  test('a receiver that fails is retried on the schedule, and later webhooks of the session wait', async () => {
    rx.respond = (r) => (r.json.type === 'ready_to_confirm' ? { status: 500, body: 'boom' } : { status: 200 });
    const start = rx.received.length;
    const first = await trigger('ready_to_confirm');
    await trigger('payment_finished', first.session_id);
    await rx.waitFor(start + 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(rx.received.slice(start).map((r) => r.json.type), ['ready_to_confirm'], 'the second webhook waits behind the failing first');

    // Gaps are 10 s and 20 s, each ±10 %: by +12 s the second attempt has run, by +37 s the third.
    await advance(12);
    await advance(25);
    rx.respond = () => ({ status: 200 });
    await advance(60);
    const types = rx.received.slice(start).map((r) => r.json.type);
    assert.deepEqual(types, ['ready_to_confirm', 'ready_to_confirm', 'ready_to_confirm', 'ready_to_confirm', 'payment_finished']);
    const entries = await log(first.session_id);
    assert.deepEqual(entries.map((e: { state: string }) => e.state), ['delivered', 'delivered']);
    assert.deepEqual(entries[0].attempts.map((a: { http_status: number }) => a.http_status), [500, 500, 500, 200]);
    assert.equal(entries[0].attempts[0].response_excerpt, 'boom');
  });

  test('the clock plays out the whole default schedule: growing gaps up to 15 minutes, giving up after 30', async () => {
    rx.respond = () => ({ status: 503 });
    const { session_id } = await trigger('action_required');
    await new Promise((r) => setTimeout(r, 300));
    await advance(35 * 60);
    const [entry] = await log(session_id);
    assert.equal(entry.state, 'failed');
    const times = entry.attempts.map((a: { attempted_at: string }) => Date.parse(a.attempted_at));
    const gaps = times.slice(1).map((t: number, i: number) => (t - times[i]) / 1000);
    // 10 s doubling to the 15-minute cap, each ±10 % jitter, until 30 minutes from the first.
    const expected = [10, 20, 40, 80, 160, 320, 640];
    assert.equal(gaps.length, expected.length, `gaps were ${gaps.join(', ')}`);
    gaps.forEach((gap: number, i: number) => {
      assert.ok(gap >= expected[i]! * 0.9 - 0.5 && gap <= expected[i]! * 1.1 + 1.5, `gap ${i + 1} was ${gap}s, expected ~${expected[i]}s`);
    });
    assert.ok(times.at(-1) - times[0] <= 30 * 60_000);
  });

  test('per-project schedule: webhook_max_attempts 3 stops after 3 attempts; resend starts a new cycle', async () => {
    const patched = await h.admin('PATCH', '/projects/demo', { webhook_max_attempts: 3 });
    assert.equal(patched.json().project.settings.webhook_max_attempts, 3);
    try {
      rx.respond = () => ({ status: 500 });
      const { session_id, webhook_id } = await trigger('ready_to_capture');
      await new Promise((r) => setTimeout(r, 300));
      await advance(3600);
      let [entry] = await log(session_id);
      assert.equal(entry.state, 'failed');
      assert.equal(entry.attempts.length, 3);

      rx.respond = () => ({ status: 200 });
      const resent = await h.admin('POST', `/webhooks/${webhook_id}/resend`);
      assert.deepEqual(resent.json(), { status: 'ok', resent: 1 });
      await advance(1);
      [entry] = await log(session_id);
      assert.equal(entry.state, 'delivered');
      assert.equal(entry.attempts.length, 4);
    } finally {
      await h.admin('PATCH', '/projects/demo', { webhook_max_attempts: 12 });
    }
  });

  test('resend everything that failed in a time window', async () => {
    await h.admin('PATCH', '/projects/demo', { webhook_max_attempts: 1 });
    try {
      rx.respond = () => ({ status: 500 });
      const from = new Date(h.clock.now().getTime() - 1000).toISOString();
      const a = await trigger('payment_finished');
      const b = await trigger('payment_finished');
      await new Promise((r) => setTimeout(r, 400));
      await advance(1);
      assert.equal((await log(a.session_id))[0].state, 'failed');
      rx.respond = () => ({ status: 200 });
      const res = await h.admin('POST', '/webhooks/resend', { from, to: new Date(h.clock.now().getTime() + 1000).toISOString(), project: 'demo' });
      assert.equal(res.statusCode, 200, res.body);
      assert.ok(res.json().resent >= 2);
      await advance(1);
      assert.equal((await log(a.session_id))[0].state, 'delivered');
      assert.equal((await log(b.session_id))[0].state, 'delivered');
      const bad = await h.admin('POST', '/webhooks/resend', { from: 'yesterday', to: 'today' });
      assert.deepEqual(bad.json().error, { code: 'invalid_request', description: 'from must be an ISO 8601 date-time' });
    } finally {
      await h.admin('PATCH', '/projects/demo', { webhook_max_attempts: 12 });
    }
  });

  test('a redirect is a failed attempt and is not followed', async () => {
    const start = rx.received.length;
    rx.respond = (r) => (r.path === '/hooks' ? { status: 302, headers: { location: `${rx.url}/elsewhere` } } : { status: 200 });
    const { session_id } = await trigger('payment_refunded');
    await rx.waitFor(start + 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(rx.received.slice(start).map((r) => r.path), ['/hooks']);
    const [entry] = await log(session_id);
    assert.equal(entry.state, 'pending');
    assert.equal(entry.attempts[0].http_status, 302);
    assert.equal(entry.attempts[0].error, `redirect to ${rx.url}/elsewhere not followed`);
    rx.respond = () => ({ status: 200 });
    await advance(15);
  });

  test('a 10 MB answer is read no further than 64 KiB and only 1 KiB is kept', async () => {
    rx.respond = () => ({ status: 200, body: Buffer.alloc(10 * 1024 * 1024, 'a') });
    const start = rx.received.length;
    const { session_id } = await trigger('payment_finished');
    await rx.waitFor(start + 1);
    await new Promise((r) => setTimeout(r, 500));
    const [entry] = await log(session_id);
    assert.equal(entry.state, 'delivered');
    assert.equal(entry.attempts[0].response_excerpt.length, 1024);
  });

  test('a hanging receiver does not hold up other deliveries, and times out after 10 s', { timeout: 30_000 }, async () => {
    const slow = await startReceiver(pem, () => 'hang');
    const other = await h.admin('POST', '/projects', {
      name: 'slowpoke',
      public_key: (await import('./helpers/harness.js')).newKeyPair().publicPem,
      settings: { webhook_url: slow.url },
    });
    assert.equal(other.statusCode, 200, other.body);
    try {
      const hung = await trigger('payment_finished', undefined, 'slowpoke');
      await slow.waitFor(1);
      const start = rx.received.length;
      const t0 = Date.now();
      await trigger('payment_finished');
      await rx.waitFor(start + 1, 3000);
      assert.ok(Date.now() - t0 < 3000);
      // The hung attempt ends at the 10 s timeout and is scheduled for a retry.
      const deadline = Date.now() + 15_000;
      let entry;
      do {
        await new Promise((r) => setTimeout(r, 250));
        [entry] = await log(hung.session_id);
      } while (entry.attempts.length === 0 && Date.now() < deadline);
      assert.equal(entry.attempts[0].error, 'timed out after 10 s');
      assert.ok(entry.attempts[0].latency_ms >= 9_900 && entry.attempts[0].latency_ms < 12_000, `latency ${entry.attempts[0].latency_ms}`);
      assert.equal(entry.state, 'pending');
    } finally {
      await h.admin('PATCH', '/projects/slowpoke', { webhook_url: null });
      await slow.close();
    }
  });
});

describe('outbox', () => {
  test('a webhook written in a transaction that rolls back never exists', async () => {
    const { findProjectByName } = await import('../src/domain/projects/project.repo.js');
    const { getSession } = await import('../src/domain/sessions/session.service.js');
    const { db } = h.runtime.database;
    const project = (await findProjectByName(db, 'demo'))!;
    const sessionId = (await h.call('session/create', {})).json().session.id;
    const session = await getSession(db, project, sessionId);
    await assert.rejects(
      db.transaction().execute(async (tx) => {
        await h.runtime.domain.events.emit(tx, project, { session, operations: [] }, 'payment_finished', new Date());
        throw new Error('the state change failed');
      }),
      /the state change failed/,
    );
    const rows = await db.selectFrom('webhooks').select('id').where('session_id', '=', sessionId).execute();
    assert.deepEqual(rows, []);
  });

  test('a project without webhook_url queues nothing; trigger says why', async () => {
    const res = await h.admin('POST', '/projects', { name: 'poller', public_key: (await import('./helpers/harness.js')).newKeyPair().publicPem });
    assert.equal(res.statusCode, 200);
    const t = await h.admin('POST', '/webhooks/trigger', { type: 'payment_finished', project: 'poller' });
    assert.equal(t.statusCode, 400);
    assert.equal(t.json().error.code, 'invalid_request');
    assert.match(t.json().error.description, /has no webhook_url/);
  });

  test('the attempts feed behind `payrail webhooks tail` pages forward', async () => {
    const first = (await h.admin('GET', '/webhooks/attempts?after=0&limit=2')).json();
    assert.equal(first.status, 'ok');
    assert.equal(first.attempts.length, 2);
    const next = (await h.admin('GET', `/webhooks/attempts?after=${first.cursor}&limit=2`)).json();
    assert.ok(Number(next.attempts[0].id) > Number(first.cursor));
    for (const a of first.attempts) assert.deepEqual(Object.keys(a).sort(), ['attempted_at', 'error', 'http_status', 'id', 'latency_ms', 'response_excerpt', 'session_id', 'type', 'url', 'webhook_id']);
  });
});

describe('clock', () => {
  test('GET /admin/clock and advance move the sandbox time forward only', async () => {
    const before = (await h.admin('GET', '/clock')).json().clock;
    assert.equal(before.sandbox, true);
    const moved = await advance(4 * 3600);
    assert.equal(moved.clock.offset_seconds, before.offset_seconds + 4 * 3600);
    assert.ok(Date.parse(moved.clock.now) - Date.parse(before.now) >= 4 * 3600_000);
    for (const seconds of [0, -5, 1.5, 'x']) {
      const bad = await h.admin('POST', '/clock/advance', { seconds });
      assert.equal(bad.statusCode, 400, String(seconds));
      assert.equal(bad.json().error.code, 'invalid_request');
    }
  });
});
