import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newKeyPair, startHarness, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';

// Public tokens, tokenization, token/info and recurring payments (spec §5.12–5.14, §5.17, §6.2, §8).
let h: Harness;
let rx: Receiver;
before(async () => {
  h = await startHarness();
  rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
  await h.admin('PATCH', '/projects/demo', { webhook_url: rx.url, auto_confirm: true });
});
after(async () => {
  await h.close();
  await rx.close();
});

const publicToken = async (body: unknown) => {
  const res = await h.call('token', body);
  assert.equal(res.statusCode, 200, res.body);
  assert.match(res.json().public_token, /^[0-9a-f]{64}$/);
  return res.json().public_token as string;
};
const tokenize = (token: string | undefined, card: Record<string, string>) =>
  h.runtime.app.inject({
    method: 'POST',
    url: '/cds/v1/tokenize/card',
    headers: { 'content-type': 'application/json', origin: 'https://shop.example', ...(token ? { 'x-public-token': token } : {}) },
    payload: JSON.stringify({ card }),
  });
const card = (number: string) => ({ number, expiration_month: '12', expiration_year: '30', security_code: '321' });

/** Waits until the session's latest payment reaches a final status and returns the session. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a whole wire session, navigated freely by the assertions
async function settled(sessionId: string): Promise<Record<string, any>> {
  for (let i = 0; i < 100; i++) {
    const s = (await h.call('session/status', { session_id: sessionId })).json().session;
    const p = s.acquiring_payments?.at(-1);
    if (p && (p.status === 'succeeded' || p.status === 'failed' || p.status === 'pending')) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`session ${sessionId} did not settle`);
}

describe('tokenization', () => {
  test('a tokenize_widget token vaults one card and answers its number_hash, with CORS for the partner page', async () => {
    const token = await publicToken({ tokenize_widget: { access: true, locale: 'en' } });
    const res = await tokenize(token, card('4242424242424242'));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    const body = JSON.parse(res.body);
    assert.deepEqual(Object.keys(body.data), ['token', 'info']);
    assert.match(body.data.token, /^[0-9a-f]{64}$/);
    assert.deepEqual(body.data.info, { masked_card_number: '424242******4242', card_type: 'visa' });

    const again = await tokenize(token, card('4242424242424242'));
    assert.equal(again.statusCode, 401);
    assert.deepEqual(JSON.parse(again.body).error, { code: 'invalid_public_token', description: 'the public token was already used' });

    // The same card through another token gives the same hash (one card, one hash per project).
    const second = await tokenize(await publicToken({ tokenize_widget: { access: true } }), card('4242424242424242'));
    assert.equal(JSON.parse(second.body).data.token, body.data.token);

    const info = await h.call('token/info', { type: 'card', card: { type: 'encrypted_card', encrypted_card: { number_hash: body.data.token } } });
    assert.deepEqual(info.json(), { status: 'ok', info: { token: body.data.token, number_hash: body.data.token, brand: 'visa', last4: '4242', country_iso3: 'USA', type: 'card' } });
  });

  test('a preflight from any origin is allowed', async () => {
    const res = await h.runtime.app.inject({
      method: 'OPTIONS',
      url: '/cds/v1/tokenize/card',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-public-token' },
    });
    assert.equal(res.statusCode, 204);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.match(String(res.headers['access-control-allow-headers']), /x-public-token/);
  });

  test('missing, unknown, expired tokens are refused and change nothing', async () => {
    const count = async () => (await h.runtime.database.db.selectFrom('cards').select('id').execute()).length;
    const before = await count();
    assert.deepEqual(JSON.parse((await tokenize(undefined, card('5555555555554444'))).body).error, { code: 'invalid_public_token', description: 'X-PUBLIC-TOKEN header is required' });
    assert.deepEqual(JSON.parse((await tokenize('f'.repeat(64), card('5555555555554444'))).body).error, { code: 'invalid_public_token', description: 'the public token is not known' });
    const token = await publicToken({ tokenize_widget: { access: true } });
    h.clock.advance(24 * 3600_000 + 1000);
    const expired = await tokenize(token, card('5555555555554444'));
    assert.equal(expired.statusCode, 401);
    assert.match(JSON.parse(expired.body).error.description, /^the public token expired at \d{4}-/);
    assert.equal(await count(), before);
  });

  test('tokenization attempts are limited per public token', async () => {
    const token = await publicToken({ tokenize_widget: { access: true } });
    for (let i = 0; i < 10; i++) {
      const bad = await tokenize(token, { ...card('4242424242424242'), number: '4242424242424241' });
      assert.equal(bad.statusCode, 400, bad.body);
    }
    const limited = await tokenize(token, card('4242424242424242'));
    assert.equal(limited.statusCode, 429);
    assert.equal(JSON.parse(limited.body).error.code, 'rate_limited');
  });

  test("another project's public token and card hash are unknown to this project", async () => {
    const other = newKeyPair();
    await h.admin('POST', '/projects', { name: 'other-shop', public_key: other.publicPem });
    const token = await publicToken({ tokenize_widget: { access: true } });
    const hash = JSON.parse((await tokenize(token, card('5555555555554444'))).body).data.token;
    const asOther = { project: 'other-shop', key: other.privateKey };
    const cardInfo = await h.call('token/info', { type: 'card', card: { type: 'encrypted_card', encrypted_card: { number_hash: hash } } }, asOther);
    assert.deepEqual(cardInfo.json().error, { code: 'invalid_request', description: 'card.encrypted_card.number_hash does not name a card of this project' });
    const tokenInfo = await h.call('token/info', { type: 'public_token', public_token: { token } }, asOther);
    assert.deepEqual(tokenInfo.json().error, { code: 'invalid_request', description: 'public_token.token is not a public token of this project' });
    const mine = await h.call('token/info', { type: 'public_token', public_token: { token } });
    assert.equal(mine.json().info.type, 'public_token');
    assert.deepEqual(Object.keys(mine.json().info.widgets), ['tokenize_widget']);
    assert.equal(mine.json().info.widgets.tokenize_widget.is_active, false);
    assert.equal(mine.json().info.is_active, false);
  });

  test('an acquiring_widget token needs a session of this project that has not started', async () => {
    const res = await h.call('token', { acquiring_widget: { session_id: 'ps_404' } });
    assert.deepEqual(res.json().error, { code: 'session_not_found', description: 'session ps_404 not found' });
    const none = await h.call('token', {});
    assert.deepEqual(none.json().error, { code: 'invalid_request', description: 'at least one widget is required: tokenize_widget, acquiring_widget, fps_no_account_widget, self_employed_widget' });
    const bad = await h.call('token', { acquiring_widget: { session_id: 'ps_1', success_return_url: 'javascript:alert(1)' } });
    assert.deepEqual(bad.json().error, { code: 'invalid_request', description: 'acquiring_widget.success_return_url must be an absolute http(s) URL' });
  });
});

describe('recurring payments', () => {
  const init = (details: unknown, options?: Record<string, unknown>) =>
    h.call('session/init/payment', { payment_details: details, amount_details: { amount: 2500, currency: 'usd' }, customer: { reference: 'lucky' }, ...(options ? { payment_options: options } : {}) });

  test('a payment with recurrent: true issues a token; MIT charges it without the payer; disabled it is refused', async () => {
    const first = await init({ type: 'card', card: { type: 'bank_card', bank_card: { number: '4000000000003220', expiration_month: '11', expiration_year: '31', security_code: '555' } } }, { recurrent: true, return_url: 'https://shop.example/back' });
    assert.equal(first.statusCode, 200, first.body);
    const sid = first.json().session.id;
    let s = await settled(sid);
    const tds = new URL(s.acquiring_payments[0].customer_interaction.redirect.url).pathname;
    await h.runtime.app.inject({ method: 'POST', url: tds, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'result=confirmed' });
    await new Promise((r) => setTimeout(r, 100));
    s = await settled(sid);
    const payment = s.acquiring_payments[0];
    assert.equal(payment.status, 'succeeded');
    const recurrent = payment.recurrent;
    assert.deepEqual(Object.keys(recurrent), ['token', 'created_at', 'finished_at', 'is_active', 'type']);
    assert.equal(recurrent.type, 'recurrent_token');
    assert.equal(recurrent.is_active, true);
    assert.equal(recurrent.finished_at, '2031-11-30T23:59:59.000000Z', 'valid to the end of the card expiry month');

    // MIT: the 3-D Secure card is charged without a challenge and without a security code.
    const mit = await init({ type: 'recurrent', recurrent: { token: recurrent.token, initiator: 'merchant' } });
    assert.equal(mit.statusCode, 200, mit.body);
    const mitSession = await settled(mit.json().session.id);
    assert.equal(mitSession.acquiring_payments[0].status, 'succeeded');
    // The charge echoes the token it was made with (issue 11 item 6), not the card.
    assert.deepEqual(mitSession.acquiring_payments[0].payment_details, { type: 'recurrent', recurrent: { token: recurrent.token, initiator: 'merchant' } });

    // CIT needs return_url and goes through 3-D Secure.
    const citNoUrl = await init({ type: 'recurrent', recurrent: { token: recurrent.token, initiator: 'client' } });
    assert.deepEqual(citNoUrl.json().error, { code: 'invalid_request', description: 'payment_options.return_url is required for a client-initiated recurrent payment (the payer passes 3-D Secure)' });
    const cit = await init({ type: 'recurrent', recurrent: { token: recurrent.token, initiator: 'client' } }, { return_url: 'https://shop.example/back' });
    const citSession = await settled(cit.json().session.id);
    assert.equal(citSession.acquiring_payments[0].status, 'pending');
    assert.equal(citSession.acquiring_payments[0].customer_interaction.type, 'redirect');

    const status = await h.call('recurrent/status', { recurrent: { token: recurrent.token } });
    assert.equal(status.json().recurrent.is_active, true);
    const disabled = await h.call('recurrent/disable', { recurrent: { token: recurrent.token } });
    assert.equal(disabled.json().recurrent.is_active, false);
    const info = await h.call('token/info', { type: 'recurrent_token', recurrent_token: { token: recurrent.token } });
    assert.equal(info.json().info.is_active, false);
    const refused = await init({ type: 'recurrent', recurrent: { token: recurrent.token, initiator: 'merchant' } });
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().error.code, 'binding_is_deactivated');
    assert.match(refused.json().error.description, /^recurrent token was disabled at /);
    const unknown = await init({ type: 'recurrent', recurrent: { token: 'nope' } });
    assert.deepEqual(unknown.json().error, { code: 'invalid_request', description: 'payment_details.recurrent.token is not a recurrent token of this project' });
  });

  test('card_id appears on masked cards when the project enables it, stable per card', async () => {
    await h.admin('PATCH', '/projects/demo', { card_id_enabled: true });
    try {
      const a = await settled((await init({ type: 'card', card: { type: 'bank_card', bank_card: { number: '5555555555554444', expiration_month: '12', expiration_year: '30' } } })).json().session.id);
      const b = await settled((await init({ type: 'card', card: { type: 'bank_card', bank_card: { number: '5555555555554444', expiration_month: '12', expiration_year: '30' } } })).json().session.id);
      const idA = a.acquiring_payments[0].payment_details.card.card_id;
      assert.match(idA, /^card_\d+$/);
      assert.equal(b.acquiring_payments[0].payment_details.card.card_id, idA);
    } finally {
      await h.admin('PATCH', '/projects/demo', { card_id_enabled: false });
    }
  });
});

describe('card data after tokenization and recurring payments', () => {
  test('no full card number used above is in any table, log line or webhook', async () => {
    const { dumpTables } = await import('./helpers/acquiring.js');
    const tables = await dumpTables(h.runtime.database.db);
    const haystacks = [...[...tables.values()].flat(), ...h.logs, ...rx.received.map((r) => r.body)];
    assert.ok(tables.get('cards')?.length, 'the vault holds the cards (sealed)');
    for (const pan of ['4242424242424242', '5555555555554444', '4000000000003220']) {
      const hits = haystacks.filter((text) => text.includes(pan));
      assert.deepEqual(hits, [], `${pan} found in clear`);
    }
  });
});
