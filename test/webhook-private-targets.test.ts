import assert from 'node:assert/strict';
import dns from 'node:dns';
import { after, before, mock, test } from 'node:test';
import { attemptDelivery, createDeliveryAgent } from '../src/platform/webhooks/deliver.js';
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
  for (const url of [
    'http://127.0.0.1:9/x', 'http://2130706433/', 'http://0x7f000001/', 'http://[::ffff:127.0.0.1]/', 'http://169.254.169.254/', 'http://10.0.0.1/', 'http://localhost/',
    // IPv6 forms that carry or lead to an internal IPv4 address
    'http://[::127.0.0.1]/', 'http://[::ffff:0:127.0.0.1]/', 'http://[64:ff9b::a9fe:a9fe]/', 'http://[64:ff9b:1::7f00:1]/', 'http://[2002:7f00:1::]/', 'http://[2001::1]/',
  ]) {
    const res = await h.admin('PATCH', '/projects/demo', { webhook_url: url });
    assert.equal(res.statusCode, 400, url);
    assert.equal(res.json().error.code, 'invalid_request');
    assert.match(res.json().error.description, /^settings\.webhook_url must not point to a loopback, private, link-local or metadata address .*PAYRAIL_WEBHOOK_ALLOW_PRIVATE=false/, url);
  }
  const created = await h.admin('POST', '/projects', { name: 'p1', public_key: newKeyPair().publicPem, settings: { webhook_url: 'http://127.0.0.1/' } });
  assert.equal(created.statusCode, 400);
  const ftp = await h.admin('PATCH', '/projects/demo', { webhook_url: 'ftp://93.184.216.34/' });
  assert.deepEqual(ftp.json().error, { code: 'invalid_request', description: 'settings.webhook_url must use http or https, got ftp' });
  for (const url of ['https://93.184.216.34/hooks', 'https://[64:ff9b::93.184.216.34]/hooks', 'https://[2002:5db8:d822::1]/hooks']) {
    const ok = await h.admin('PATCH', '/projects/demo', { webhook_url: url });
    assert.equal(ok.statusCode, 200, `${url}: ${ok.body}`);
  }
});

/**
 * Writes `url` straight into demo's row (as DNS rebinding or an edited row would: registration never
 * saw it), triggers a webhook and returns its delivery log entry once the worker has tried it.
 */
async function triggerWithStoredUrl(url: string) {
  await h.runtime.database.db.updateTable('projects').set({ webhook_url: url }).where('name', '=', 'demo').execute();
  await new Promise((r) => setTimeout(r, 1100)); // the project cache notices within a second
  const t = await h.admin('POST', '/webhooks/trigger', { type: 'payment_finished' });
  assert.equal(t.statusCode, 200, t.body);
  await new Promise((r) => setTimeout(r, 600));
  const [entry] = (await h.admin('GET', `/sessions/${t.json().session_id}/webhooks`)).json().webhooks;
  return entry;
}

test('delivery checks again: a URL that points at a private address by then is refused, not connected to', async () => {
  // Simulate a target that became private after registration (DNS rebinding, an edited row).
  const entry = await triggerWithStoredUrl(rx.url);
  assert.equal(rx.received.length, 0);
  assert.equal(entry.attempts.length, 1);
  assert.match(entry.attempts[0].error, /refused: 127\.0\.0\.1 is a private address/);
});

// The URL parser writes these IPv6 forms of 127.0.0.1 as hex: [::7f00:1], [::ffff:0:7f00:1], …
const LOOPBACK_IN_IPV6 = ['[::127.0.0.1]', '[::ffff:127.0.0.1]', '[::ffff:0:127.0.0.1]', '[64:ff9b::127.0.0.1]', '[64:ff9b:1::7f00:1]', '[2002:7f00:1::]', '[2001::7f00:1]'];

test('delivery refuses an IPv6 literal that carries or leads to an internal IPv4 address, before connecting', async () => {
  const port = new URL(rx.url).port;
  const agent = createDeliveryAgent(false);
  try {
    for (const host of LOOPBACK_IN_IPV6) {
      const result = await attemptDelivery(agent, `http://${host}:${port}/hook`, '{}', 'sig', {}, false);
      assert.equal(result.ok, false, host);
      assert.equal(result.httpStatus, null, host);
      assert.match(result.error ?? '', /^refused: .* is a private address$/, host);
    }
  } finally {
    await agent.close();
  }
  assert.equal(rx.received.length, 0);

  // Through the worker too: a row edited to the SIIT form of the receiver's address is not delivered.
  const entry = await triggerWithStoredUrl(`http://[::ffff:0:127.0.0.1]:${port}/hook`);
  assert.equal(rx.received.length, 0);
  assert.equal(entry.attempts.length, 1);
  assert.match(entry.attempts[0].error, /refused: ::ffff:0:7f00:1 is a private address/);
});

test('delivery refuses a name that resolves, at delivery time, to an IPv6 form of an internal IPv4 address', async () => {
  const port = new URL(rx.url).port;
  const answers: Record<string, string> = {
    'compat.rebind.test': '::7f00:1',
    'mapped.rebind.test': '::ffff:7f00:1',
    'siit.rebind.test': '::ffff:0:7f00:1',
    'nat64.rebind.test': '64:ff9b::7f00:1',
    'nat64-local.rebind.test': '64:ff9b:1::7f00:1',
    'sixtofour.rebind.test': '2002:7f00:1::',
    'teredo.rebind.test': '2001:0:4136:e378:8000:63bf:3fff:fdd2',
  };
  const real = dns.lookup;
  // deliver.ts resolves through dns.lookup (its connect-time lookup): answer for the test names only.
  const stub = mock.method(dns, 'lookup', (hostname: string, options: unknown, callback: (err: Error | null, list: dns.LookupAddress[]) => void) => {
    const address = answers[hostname];
    if (address === undefined) return (real as unknown as (...a: unknown[]) => void)(hostname, options, callback);
    return callback(null, [{ address, family: 6 }]);
  });
  const agent = createDeliveryAgent(false);
  try {
    for (const [name, address] of Object.entries(answers)) {
      const result = await attemptDelivery(agent, `http://${name}:${port}/hook`, '{}', 'sig', {}, false);
      assert.equal(result.ok, false, name);
      assert.equal(result.error, `refused: ${name} resolves to private address ${address}`, name);
    }
    assert.ok(stub.mock.callCount() >= Object.keys(answers).length);
  } finally {
    stub.mock.restore();
    await agent.close();
  }
  assert.equal(rx.received.length, 0);
});
