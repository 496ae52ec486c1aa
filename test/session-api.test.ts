import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TIMESTAMP, newKeyPair, startHarness, type Harness } from './helpers/harness.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h.close());

describe('session/create and session/status', () => {
  test('create answers a spec-shaped session and status returns it', async () => {
    const res = await h.call('session/create', { amount_details: { amount: 10000, currency: 'usd' }, metadata: 'order123' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.deepEqual(Object.keys(body), ['status', 'session']);
    assert.equal(body.status, 'ok');
    assert.match(body.session.id, /^ps_\d+$/);
    assert.deepEqual(body.session, { id: body.session.id, status: 'created', created_at: body.session.created_at, updated_at: body.session.updated_at });
    assert.match(body.session.created_at, TIMESTAMP);
    assert.equal(body.session.created_at, body.session.updated_at);

    const status = await h.call('session/status', { session_id: body.session.id });
    assert.equal(status.statusCode, 200);
    assert.deepEqual(status.json(), body);
  });

  test('v2 answers the same methods with the same shape', async () => {
    const res = await h.call('session/create', { payout_details: { type: 'card', card: { type: 'bank_card', bank_card: { number: '4242424242424242' } } }, amount_details: { amount: 1, currency: 'EUR' } }, { version: 'v2' });
    assert.equal(res.statusCode, 200, res.body);
    const id = res.json().session.id;
    const v1 = await h.call('session/status', { session_id: id });
    const v2 = await h.call('session/status', { session_id: id }, { version: 'v2' });
    assert.deepEqual(v1.json(), v2.json());
  });

  test('an empty body and PHP\'s [] are both an empty create', async () => {
    for (const raw of ['{}', '[]']) {
      const res = await h.call('session/create', undefined, { raw });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().session.status, 'created');
    }
  });

  test('unknown fields are ignored', async () => {
    const res = await h.call('session/create', { amount_details: { amount: 5, currency: 'usd', extra: 1 }, something_new: true });
    assert.equal(res.statusCode, 200, res.body);
  });
});

describe('authentication', () => {
  const body = { amount_details: { amount: 100, currency: 'usd' } };

  test('missing X-PARTNER-PROJECT is identification_error', async () => {
    const res = await h.call('session/create', body, { headers: { 'x-partner-project': '' } });
    assert.equal(res.statusCode, 401);
    assert.deepEqual(res.json(), { status: 'error', error: { code: 'identification_error', description: 'X-PARTNER-PROJECT header is required' } });
  });

  test('an unknown project is identification_error', async () => {
    const res = await h.call('session/create', body, { project: 'nobody' });
    assert.equal(res.statusCode, 401);
    assert.deepEqual(res.json().error, { code: 'identification_error', description: 'project "nobody" is not known' });
  });

  test('missing, wrong and tampered signatures are authentication_error, and nothing is written', async () => {
    const count = async () => Number((await h.runtime.database.db.selectFrom('sessions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const missing = await h.call('session/create', body, { headers: { 'x-partner-sign': '' } });
    assert.equal(missing.statusCode, 401);
    assert.equal(missing.json().error.code, 'authentication_error');
    assert.match(missing.json().error.description, /X-PARTNER-SIGN header is required/);

    const other = newKeyPair();
    const wrongKey = await h.call('session/create', body, { key: other.privateKey });
    assert.equal(wrongKey.statusCode, 401);
    assert.equal(wrongKey.json().error.code, 'authentication_error');

    // Signed one body, sent another.
    const signed = JSON.stringify(body);
    const tampered = await h.runtime.app.inject({
      method: 'POST',
      url: '/api/v1/session/create',
      headers: { 'x-partner-project': 'demo', 'x-partner-sign': (await import('./helpers/harness.js')).signBody(signed, h.demoKey) },
      payload: signed.replace('100', '900'),
    });
    assert.equal(tampered.statusCode, 401);
    assert.equal(JSON.parse(tampered.body).error.code, 'authentication_error');
    assert.equal(await count(), before);
  });

  test('malformed JSON is judged only after the signature', async () => {
    const bad = '{"amount_details": ';
    const signedBad = await h.call('session/create', undefined, { raw: bad });
    assert.equal(signedBad.statusCode, 400);
    assert.equal(signedBad.json().error.code, 'invalid_request');
    assert.match(signedBad.json().error.description, /^body is not valid JSON/);
    const unsigned = await h.call('session/create', undefined, { raw: bad, headers: { 'x-partner-sign': 'AAAA' } });
    assert.equal(unsigned.json().error.code, 'authentication_error');
  });
});

describe('validation and errors', () => {
  const cases: [string, unknown, string][] = [
    ['zero amount', { amount_details: { amount: 0, currency: 'usd' } }, 'amount_details.amount must be a positive integer'],
    ['fractional amount', { amount_details: { amount: 10.5, currency: 'usd' } }, 'amount_details.amount must be a positive integer'],
    ['string amount', { amount_details: { amount: '100', currency: 'usd' } }, 'amount_details.amount must be a positive integer'],
    ['missing currency', { amount_details: { amount: 100 } }, 'amount_details.currency is required'],
    ['unknown currency', { amount_details: { amount: 100, currency: 'abc' } }, 'amount_details.currency must be an ISO 4217 currency code'],
    ['body is a string', 'hello', 'body must be a JSON object'],
    [
      'card number failing Luhn',
      { payment_details: { type: 'card', card: { type: 'bank_card', bank_card: { number: '4242424242424241', expiration_month: '01', expiration_year: '30' } } } },
      'payment_details.card.bank_card.number is not a valid card number (Luhn check failed)',
    ],
    ['status without session_id', {}, 'session_id is required'],
  ];
  for (const [name, body, description] of cases) {
    test(`${name} → invalid_request naming the field`, async () => {
      const method = description.startsWith('session_id') ? 'session/status' : 'session/create';
      const res = await h.call(method, body);
      assert.equal(res.statusCode, 400, res.body);
      assert.deepEqual(res.json(), { status: 'error', error: { code: 'invalid_request', description } });
    });
  }

  test('currency is accepted in any case and rendered lower-case', async () => {
    const res = await h.call('session/create', { amount_details: { amount: 100, currency: 'UsD' } });
    assert.equal(res.statusCode, 200);
    const row = await h.runtime.database.db.selectFrom('sessions').select('params').where('id', '=', res.json().session.id).executeTakeFirstOrThrow();
    assert.deepEqual(row.params['amount_details'], { amount: 100, currency: 'usd' });
  });

  test('an unknown session and another project\'s session get the same session_not_found', async () => {
    const other = newKeyPair();
    const created = await h.admin('POST', '/projects', { name: 'acme', public_key: other.publicPem });
    assert.equal(created.statusCode, 200, created.body);
    const mine = (await h.call('session/create', {})).json().session.id;

    const unknown = await h.call('session/status', { session_id: 'ps_404' });
    assert.equal(unknown.statusCode, 404);
    assert.deepEqual(unknown.json().error, { code: 'session_not_found', description: 'session ps_404 not found' });
    const foreign = await h.call('session/status', { session_id: mine }, { project: 'acme', key: other.privateKey });
    assert.equal(foreign.statusCode, 404);
    assert.deepEqual(foreign.json().error, { code: 'session_not_found', description: `session ${mine} not found` });
  });

  test('a body over 64 KiB is 413 in the envelope', async () => {
    const res = await h.call('session/create', { metadata: 'x'.repeat(70 * 1024) });
    assert.equal(res.statusCode, 413);
    assert.deepEqual(res.json().error, { code: 'payload_too_large', description: 'request body is larger than the 65536 bytes allowed' });
  });

  test('an unknown method is not_found in the envelope', async () => {
    const res = await h.call('session/teleport', {});
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json().error, { code: 'not_found', description: 'no such endpoint: POST /api/v1/session/teleport' });
  });

  test('every response carries a request id', async () => {
    const res = await h.call('session/create', {});
    assert.match(String(res.headers['x-request-id']), /^req_[0-9a-f-]{36}$/);
  });
});

describe('card data', () => {
  test('a full card number and security code are never stored or logged in clear', async () => {
    const pan = '5555555555554444';
    const res = await h.call('session/create', {
      payment_details: { type: 'card', card: { type: 'bank_card', bank_card: { number: pan, expiration_month: '12', expiration_year: '30', security_code: '987' } } },
      amount_details: { amount: 100, currency: 'usd' },
      customer: { reference: 'lucky' },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.ok(!res.body.includes(pan));
    const { db } = h.runtime.database;
    const session = await db.selectFrom('sessions').selectAll().where('id', '=', res.json().session.id).executeTakeFirstOrThrow();
    const stored = JSON.stringify(session);
    assert.ok(!stored.includes(pan), 'session row holds the card number');
    assert.ok(!stored.includes('"987"'), 'session row holds the security code');
    assert.match(stored, /"last4":"4444"/);
    assert.match(stored, /"brand":"mastercard"/);
    const cards = JSON.stringify(await db.selectFrom('cards').selectAll().execute());
    assert.ok(!cards.includes(pan), 'vault row holds the card number in clear');
    assert.ok(!h.logs.join('').includes(pan), 'a log line holds the card number');
  });
});
