import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { newKeyPair, startHarness, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';

// An operator's setting: PAYRAIL_WEBHOOK_ALLOW_PRIVATE=false refuses private targets at registration
// and again at delivery.
let h: Harness;
let rx: Receiver;
before(async () => {
  h = await startHarness({ env: { PAYRAIL_WEBHOOK_ALLOW_PRIVATE: 'false' } });
  rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
});
after(async () => {
  await h.close();
  await rx.close();
});

test('registration refuses loopback, private and metadata targets, naming the rule', async () => {
  for (const url of ['http://127.0.0.1:9/x', 'http://2130706433/', 'http://0x7f000001/', 'http://[::ffff:127.0.0.1]/', 'http://169.254.169.254/', 'http://10.0.0.1/', 'http://localhost/']) {
    const res = await h.admin('PATCH', '/projects/demo', { webhook_url: url });
    assert.equal(res.statusCode, 400, url);
    assert.equal(res.json().error.code, 'invalid_request');
    assert.match(res.json().error.description, /^settings\.webhook_url must not point to a loopback, private, link-local or metadata address .*PAYRAIL_WEBHOOK_ALLOW_PRIVATE=false/, url);
  }
  const created = await h.admin('POST', '/projects', { name: 'p1', public_key: newKeyPair().publicPem, settings: { webhook_url: 'http://127.0.0.1/' } });
  assert.equal(created.statusCode, 400);
  const ftp = await h.admin('PATCH', '/projects/demo', { webhook_url: 'ftp://93.184.216.34/' });
  assert.deepEqual(ftp.json().error, { code: 'invalid_request', description: 'settings.webhook_url must use http or https, got ftp' });
  const ok = await h.admin('PATCH', '/projects/demo', { webhook_url: 'https://93.184.216.34/hooks' });
  assert.equal(ok.statusCode, 200);
});

test('delivery checks again: a URL that points at a private address by then is refused, not connected to', async () => {
  // Simulate a target that became private after registration (DNS rebinding, an edited row).
  await h.runtime.database.db.updateTable('projects').set({ webhook_url: rx.url }).where('name', '=', 'demo').execute();
  h.runtime.app.log.info('rebound');
  await new Promise((r) => setTimeout(r, 1100)); // the project cache notices within a second
  const t = await h.admin('POST', '/webhooks/trigger', { type: 'payment_finished' });
  assert.equal(t.statusCode, 200, t.body);
  await new Promise((r) => setTimeout(r, 600));
  const [entry] = (await h.admin('GET', `/sessions/${t.json().session_id}/webhooks`)).json().webhooks;
  assert.equal(rx.received.length, 0);
  assert.equal(entry.attempts.length, 1);
  assert.match(entry.attempts[0].error, /refused: 127\.0\.0\.1 is a private address/);
});
