import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TIMESTAMP, newKeyPair, startHarness, type Harness, type Reply } from './helpers/harness.js';
import { purgeExpiredKeys } from '../src/platform/idempotency/idempotency.repo.js';
import { postSigned, startPeer } from './helpers/peer.js';
import { onPostgres } from './helpers/test-db.js';

/**
 * X-PARTNER-IDEMPOTENCY-KEY on the partner API: replay, conflicts, in-flight claims and their
 * take-over, per-project keys, expiry, and concurrent retries on one and on two instances.
 */
let h: Harness;
let demoId: string;
before(async () => {
  h = await startHarness();
  demoId = (await h.runtime.database.db.selectFrom('projects').select('id').where('name', '=', 'demo').executeTakeFirstOrThrow()).id;
});
after(async () => h.close());

const db = () => h.runtime.database.db;

async function sessionCount(): Promise<number> {
  const row = await db().selectFrom('sessions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

async function keyRow(key: string, projectId = demoId) {
  return db().selectFrom('idempotency_keys').selectAll().where('project_id', '=', projectId).where('key', '=', key).executeTakeFirst();
}

/** The request hash the server stores for this method and body, read from a throwaway call (no formula copied here). */
async function requestHashOf(method: string, body: unknown): Promise<string> {
  const probeKey = `probe-${Math.random().toString(36).slice(2)}`;
  const res = await h.call(method, body, { idempotencyKey: probeKey });
  assert.ok(res.statusCode < 500, res.body);
  return (await keyRow(probeKey))!.request_hash;
}

/** A claim left by a request whose method never committed (its process died mid-request). */
async function insertInFlight(key: string, requestHash: string): Promise<void> {
  const now = h.clock.now();
  await db().insertInto('idempotency_keys').values({ project_id: demoId, key, request_hash: requestHash, state: 'in_flight', locked_at: now, created_at: now }).execute();
}

function assertError(res: Reply, status: number, code: string, description: string): void {
  assert.equal(res.statusCode, status, res.body);
  assert.equal(res.body, JSON.stringify({ status: 'error', error: { code, description } }));
}

const createBody = { amount_details: { amount: 10000, currency: 'usd' }, metadata: 'idem' };

describe('replay', () => {
  test('same key and same body: the stored response again, byte for byte, and one session', async () => {
    const before = await sessionCount();
    const first = await h.call('session/create', createBody, { idempotencyKey: 'order-1' });
    assert.equal(first.statusCode, 200, first.body);
    const session = first.json().session;
    assert.deepEqual(first.json(), { status: 'ok', session: { id: session.id, status: 'created', created_at: session.created_at, updated_at: session.created_at } });
    assert.match(session.created_at, TIMESTAMP);

    h.clock.advance(5_000); // a replay must not re-render timestamps
    const second = await h.call('session/create', createBody, { idempotencyKey: 'order-1' });
    assert.equal(second.statusCode, 200);
    assert.equal(second.body, first.body);
    assert.equal(second.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(await sessionCount(), before + 1);

    const row = await keyRow('order-1');
    assert.equal(row?.state, 'done');
    assert.equal(row?.response_status, 200);
    assert.equal(row?.response_body, first.body);
  });

  test('without a key, the same request twice creates two sessions', async () => {
    const before = await sessionCount();
    const a = await h.call('session/create', createBody);
    const b = await h.call('session/create', createBody);
    assert.equal(a.statusCode, 200);
    assert.equal(b.statusCode, 200);
    assert.notEqual(a.json().session.id, b.json().session.id);
    assert.equal(await sessionCount(), before + 2);
  });

  test('a 4xx business error is stored and replayed, even after the situation changed', async () => {
    const first = await h.call('session/status', { session_id: 'ps_4040' }, { idempotencyKey: 'status-404' });
    assertError(first, 404, 'session_not_found', 'session ps_4040 not found');
    const row = await keyRow('status-404');
    assert.equal(row?.state, 'done');
    assert.equal(row?.response_status, 404);
    assert.equal(row?.response_body, first.body);

    // The session now exists: a fresh request finds it, but the key still answers what it answered.
    const now = h.clock.now();
    await db()
      .insertInto('sessions')
      .values({ id: 'ps_4040', project_id: demoId, status: 'created', next_action: null, params: '{}', error_code: null, error_description: null, created_at: now, updated_at: now, finished_at: null })
      .execute();
    const fresh = await h.call('session/status', { session_id: 'ps_4040' });
    assert.equal(fresh.statusCode, 200, fresh.body);
    assert.equal(fresh.json().session.id, 'ps_4040');
    const replay = await h.call('session/status', { session_id: 'ps_4040' }, { idempotencyKey: 'status-404' });
    assert.equal(replay.statusCode, 404);
    assert.equal(replay.body, first.body);
  });

  test('keys are per project: the same key in two projects makes two sessions', async () => {
    const acme = newKeyPair();
    const created = await h.admin('POST', '/projects', { name: 'idem-acme', public_key: acme.publicPem });
    assert.equal(created.statusCode, 200, created.body);
    const before = await sessionCount();
    const mine = await h.call('session/create', createBody, { idempotencyKey: 'shared-key' });
    const theirs = await h.call('session/create', createBody, { idempotencyKey: 'shared-key', project: 'idem-acme', key: acme.privateKey });
    assert.equal(mine.statusCode, 200, mine.body);
    assert.equal(theirs.statusCode, 200, theirs.body);
    assert.notEqual(mine.json().session.id, theirs.json().session.id);
    assert.equal(await sessionCount(), before + 2);
    // Each project replays its own answer.
    assert.equal((await h.call('session/create', createBody, { idempotencyKey: 'shared-key' })).body, mine.body);
    assert.equal((await h.call('session/create', createBody, { idempotencyKey: 'shared-key', project: 'idem-acme', key: acme.privateKey })).body, theirs.body);
  });
});

describe('conflicts', () => {
  test('same key, different body: 409 idempotency_key_already_exists, nothing created', async () => {
    const first = await h.call('session/create', createBody, { idempotencyKey: 'order-2' });
    assert.equal(first.statusCode, 200);
    const before = await sessionCount();
    const other = await h.call('session/create', { ...createBody, metadata: 'other' }, { idempotencyKey: 'order-2' });
    assertError(other, 409, 'idempotency_key_already_exists', 'X-PARTNER-IDEMPOTENCY-KEY "order-2" was already used for a different request');
    assert.equal(await sessionCount(), before);
    // The conflict did not disturb the stored answer.
    assert.equal((await h.call('session/create', createBody, { idempotencyKey: 'order-2' })).body, first.body);
  });

  test('same key and bytes on another method or API version is a different request', async () => {
    // session/create ignores unknown fields, so these exact bytes are valid for both methods.
    const body = { session_id: 'ps_4041' };
    const first = await h.call('session/create', body, { idempotencyKey: 'order-3' });
    assert.equal(first.statusCode, 200, first.body);
    const v2 = await h.call('session/create', body, { idempotencyKey: 'order-3', version: 'v2' });
    assertError(v2, 409, 'idempotency_key_already_exists', 'X-PARTNER-IDEMPOTENCY-KEY "order-3" was already used for a different request');
    const status = await h.call('session/status', body, { idempotencyKey: 'order-3' });
    assertError(status, 409, 'idempotency_key_already_exists', 'X-PARTNER-IDEMPOTENCY-KEY "order-3" was already used for a different request');
  });

  test('a key still in flight: 409 "still being processed", nothing created', async () => {
    const body = { metadata: 'in-flight' };
    await insertInFlight('busy-1', await requestHashOf('session/create', body));
    const before = await sessionCount();
    const res = await h.call('session/create', body, { idempotencyKey: 'busy-1' });
    assertError(res, 409, 'idempotency_key_already_exists', 'a request with X-PARTNER-IDEMPOTENCY-KEY "busy-1" is still being processed');
    assert.equal(await sessionCount(), before);
    assert.equal((await keyRow('busy-1'))?.state, 'in_flight');
  });

  test('an in-flight key with a different body is "already used for a different request"', async () => {
    await insertInFlight('busy-2', await requestHashOf('session/create', { metadata: 'the original' }));
    const res = await h.call('session/create', { metadata: 'something else' }, { idempotencyKey: 'busy-2' });
    assertError(res, 409, 'idempotency_key_already_exists', 'X-PARTNER-IDEMPOTENCY-KEY "busy-2" was already used for a different request');
  });
});

describe('stale claims and expiry', () => {
  test('a claim older than 60 s is taken over by the same request, and only by it', async () => {
    const body = { metadata: 'stale' };
    await insertInFlight('stale-1', await requestHashOf('session/create', body));
    await insertInFlight('stale-2', await requestHashOf('session/create', body));

    h.clock.advance(30_000);
    const early = await h.call('session/create', body, { idempotencyKey: 'stale-1' });
    assertError(early, 409, 'idempotency_key_already_exists', 'a request with X-PARTNER-IDEMPOTENCY-KEY "stale-1" is still being processed');

    h.clock.advance(31_000); // 61 s since the claim
    const before = await sessionCount();
    const taken = await h.call('session/create', body, { idempotencyKey: 'stale-1' });
    assert.equal(taken.statusCode, 200, taken.body);
    assert.equal(taken.json().session.status, 'created');
    assert.equal(await sessionCount(), before + 1);
    const row = await keyRow('stale-1');
    assert.equal(row?.state, 'done');
    assert.equal(row?.response_body, taken.body);
    assert.equal((await h.call('session/create', body, { idempotencyKey: 'stale-1' })).body, taken.body);

    // A different request may not take over a stale claim: it is still someone else's key.
    const other = await h.call('session/create', { metadata: 'not the same' }, { idempotencyKey: 'stale-2' });
    assertError(other, 409, 'idempotency_key_already_exists', 'X-PARTNER-IDEMPOTENCY-KEY "stale-2" was already used for a different request');
    assert.equal(await sessionCount(), before + 1);
  });

  test('after 24 hours a key is free again, for the same or another request', async () => {
    const first = await h.call('session/create', createBody, { idempotencyKey: 'daily' });
    assert.equal(first.statusCode, 200);
    h.clock.advance(23 * 3600_000);
    assert.equal((await h.call('session/create', createBody, { idempotencyKey: 'daily' })).body, first.body);

    h.clock.advance(3600_000 + 1_000); // 24 h and a second
    const before = await sessionCount();
    const again = await h.call('session/create', createBody, { idempotencyKey: 'daily' });
    assert.equal(again.statusCode, 200);
    assert.notEqual(again.json().session.id, first.json().session.id);
    assert.equal(await sessionCount(), before + 1);
    assert.equal((await h.call('session/create', createBody, { idempotencyKey: 'daily' })).body, again.body);

    h.clock.advance(24 * 3600_000 + 1_000);
    const different = await h.call('session/status', { session_id: again.json().session.id }, { idempotencyKey: 'daily' });
    assert.equal(different.statusCode, 200, different.body);
    assert.deepEqual(different.json(), again.json());
  });
  test('purging removes keys older than 24 h plus a 60 s grace, and keeps younger ones', async () => {
    const now = h.clock.now();
    const at = (ageMs: number) => new Date(now.getTime() - ageMs);
    const row = (key: string, created: Date) => ({ project_id: demoId, key, request_hash: 'h', state: 'done' as const, response_status: 200, response_body: '{}', locked_at: created, created_at: created });
    await db()
      .insertInto('idempotency_keys')
      .values([row('purge-old', at(25 * 3600_000)), row('purge-grace', at(24 * 3600_000 + 30_000)), row('purge-young', at(1_000))])
      .execute();
    await purgeExpiredKeys(db(), now);
    assert.equal(await keyRow('purge-old'), undefined);
    assert.equal((await keyRow('purge-grace'))?.key, 'purge-grace');
    assert.equal((await keyRow('purge-young'))?.key, 'purge-young');
  });
});

describe('key format', () => {
  test('an empty key is invalid_request', async () => {
    const res = await h.call('session/create', {}, { headers: { 'x-partner-idempotency-key': '' } });
    assertError(res, 400, 'invalid_request', 'X-PARTNER-IDEMPOTENCY-KEY must be 1 to 255 printable ASCII characters');
  });

  test('255 characters are accepted, 256 are invalid_request', async () => {
    const ok = await h.call('session/create', {}, { idempotencyKey: 'k'.repeat(255) });
    assert.equal(ok.statusCode, 200, ok.body);
    const before = await sessionCount();
    const long = await h.call('session/create', {}, { idempotencyKey: 'k'.repeat(256) });
    assertError(long, 400, 'invalid_request', 'X-PARTNER-IDEMPOTENCY-KEY must be 1 to 255 printable ASCII characters');
    assert.equal(await sessionCount(), before);
  });
});

/** Every answer to a burst of identical retries is the one 200 (same bytes) or an in-flight 409. */
function assertBurst(replies: { status: number; body: string }[], key: string): string {
  const ok = replies.filter((r) => r.status === 200);
  assert.ok(ok.length >= 1, 'at least one request succeeded');
  const winner = ok[0]!.body;
  for (const r of ok) assert.equal(r.body, winner);
  const busy = JSON.stringify({
    status: 'error',
    error: { code: 'idempotency_key_already_exists', description: `a request with X-PARTNER-IDEMPOTENCY-KEY "${key}" is still being processed` },
  });
  for (const r of replies.filter((x) => x.status !== 200)) {
    assert.equal(r.status, 409, r.body);
    assert.equal(r.body, busy);
  }
  return winner;
}

async function sessionsWithMetadata(tag: string): Promise<number> {
  const rows = await db().selectFrom('sessions').select('params').where('project_id', '=', demoId).execute();
  return rows.filter((r) => (r.params as { metadata?: unknown }).metadata === tag).length;
}

describe('concurrency', () => {
  test('20 concurrent identical requests on one instance create exactly one session', async () => {
    const body = { amount_details: { amount: 777, currency: 'eur' }, metadata: 'burst-one' };
    const replies = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const r = await h.call('session/create', body, { idempotencyKey: 'burst-one' });
        return { status: r.statusCode, body: r.body };
      }),
    );
    const winner = assertBurst(replies, 'burst-one');
    assert.equal(await sessionsWithMetadata('burst-one'), 1);
    assert.equal((await h.call('session/create', body, { idempotencyKey: 'burst-one' })).body, winner);
  });

  test('20 concurrent identical requests over HTTP to two instances on one database create exactly one session', { skip: !onPostgres && 'needs PostgreSQL' }, async () => {
    const peer = await startPeer(h);
    try {
      const urlA = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
      const urlB = await peer.app.listen({ port: 0, host: '127.0.0.1' });
      const body = { amount_details: { amount: 778, currency: 'eur' }, metadata: 'burst-two' };
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, i) => postSigned(i % 2 ? urlB : urlA, 'session/create', body, { key: h.demoKey, idempotencyKey: 'burst-two' })),
      );
      const winner = assertBurst(replies, 'burst-two');
      assert.equal(await sessionsWithMetadata('burst-two'), 1);
      // Both instances replay the one stored answer.
      for (const url of [urlA, urlB]) {
        const again = await postSigned(url, 'session/create', body, { key: h.demoKey, idempotencyKey: 'burst-two' });
        assert.equal(again.status, 200);
        assert.equal(again.body, winner);
      }
    } finally {
      await peer.close();
    }
  });
});
