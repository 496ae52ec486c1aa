import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newKeyPair, startHarness, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';

/**
 * A webhook's body is the session rendered once, at enqueue time, for the project's api_version.
 * For a v2 project it must be exactly what session/status answers under /api/v2.
 */
let h: Harness;
let rx: Receiver;
const partner = newKeyPair();

before(async () => {
  h = await startHarness();
  const pem = (await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body;
  rx = await startReceiver(pem);
  const res = await h.admin('POST', '/projects', { name: 'partner-v2', public_key: partner.publicPem, settings: { api_version: 'v2', webhook_url: rx.url } });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().project.settings.api_version, 'v2');
});
after(async () => {
  await h.close();
  await rx.close();
});

describe('webhooks for an api_version v2 project', () => {
  test('the body is the v2 rendering of the session: what session/status answers under /api/v2', async () => {
    const opts = { version: 'v2', project: 'partner-v2', key: partner.privateKey } as const;
    const created = await h.call('session/create', { amount_details: { amount: 1500, currency: 'eur' }, metadata: 'v2 webhook' }, opts);
    assert.equal(created.statusCode, 200, created.body);
    const sessionId = created.json().session.id as string;

    const start = rx.received.length;
    const trig = await h.admin('POST', '/webhooks/trigger', { type: 'ready_to_confirm', project: 'partner-v2', session_id: sessionId });
    assert.equal(trig.statusCode, 200, trig.body);
    const [got] = (await rx.waitFor(start + 1)).slice(start);
    assert.ok(got);
    assert.equal(got.verified, true);
    assert.equal(got.headers['x-payrail-webhook-id'], trig.json().webhook_id);

    const status = await h.call('session/status', { session_id: sessionId }, opts);
    assert.equal(status.statusCode, 200, status.body);
    assert.deepEqual(got.json, { type: 'ready_to_confirm', session: status.json().session });
    // The stored body is the same bytes that were sent.
    const log = (await h.admin('GET', `/sessions/${sessionId}/webhooks`)).json().webhooks;
    assert.equal(log.length, 1);
    assert.deepEqual(log[0].body, got.json);
    // A session without operations renders the same under v1 and v2 (they differ only in the
    // operation list names), so the v1 answer matches too; no v1-only list name appears.
    const v1 = await h.call('session/status', { session_id: sessionId }, { ...opts, version: 'v1' });
    assert.deepEqual(got.json.session, v1.json().session);
    for (const v1Only of ['acquiring_payments', 'payments']) assert.equal(v1Only in got.json.session, false);
  });
});
