import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startHarness, type CallOptions, type Harness, type Reply } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { USD, advance, assertError, bankCard, captured, dumpTables, findToken, hook, maskedCard, patchProject, shape, typesFor } from './helpers/acquiring.js';

/**
 * Every test card of docs/test-cards.md and a card of every brand, each paid with a distinctive
 * security code; then the proof that no full card number and no security code is anywhere in plain
 * text: not in a log line, a response, a webhook, a 3-D Secure page or any row of any table.
 */
let h: Harness;
let rx: Receiver;
/** Every request body sent, and every response body and page received, in order. */
const sent: string[] = [];
const answers: string[] = [];

before(async () => {
  h = await startHarness();
  rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
  await patchProject(h, 'demo', { webhook_url: rx.url });
});
after(async () => {
  await h.close();
  await rx.close();
});

async function call(method: string, body: unknown, opts?: CallOptions): Promise<Reply> {
  sent.push(JSON.stringify(body));
  const res = await h.call(method, body, opts);
  answers.push(res.body);
  return res;
}
async function okCall(method: string, body: unknown, opts?: CallOptions) {
  const res = await call(method, body, opts);
  assert.equal(res.statusCode, 200, `${method}: ${res.body}`);
  return res.json() as { status: 'ok'; session: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}
async function page(url: string, result?: 'confirmed' | 'failed') {
  const path = new URL(url).pathname;
  const res = result
    ? await h.runtime.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `result=${result}` })
    : await h.runtime.app.inject({ method: 'GET', url: path });
  answers.push(res.body);
  return res;
}

/** Appends the Luhn check digit. */
function luhn(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

/** Every card number and security code used in this file (the scan looks for each). */
const PANS = new Set<string>();
const CVCS = new Set<string>();
const customer = { reference: 'card-data' };

type Outcome = { kind: 'succeeded' } | { kind: '3ds'; answer: 'confirmed' | 'failed' } | { kind: 'declined'; code: string; description: string };

/** One payment through the whole flow; returns the final session (from payment_finished). */
async function pay(number: string, cvc: string, outcome: Outcome, brand: string) {
  PANS.add(number);
  CVCS.add(cvc);
  const init = await okCall('session/init/payment', { payment_details: bankCard(number, { cvc, holder: 'CARD HOLDER' }), amount_details: USD(4321), customer, payment_options: { return_url: 'https://shop.example/done' } });
  const sid: string = init.session.id;
  const last4 = number.slice(-4);
  assert.deepEqual(init.session['acquiring_payments'][0].payment_details, maskedCard(brand, last4), 'brand and last4 at once, no bin yet');
  const rtc = await hook(rx, sid, 1, 'ready_to_confirm');
  assert.deepEqual(rtc.session['acquiring_payments'][0].payment_details, maskedCard(brand, last4, number.slice(0, 6)));
  await okCall('session/confirm', { session_id: sid });
  let n = 2;
  if (outcome.kind === '3ds') {
    const ar = await hook(rx, sid, n++, 'action_required');
    const url = ar.session['acquiring_payments'][0].customer_interaction.redirect.url as string;
    assert.match((await page(url)).body, new RegExp(`data-testid="card">${brand} •••• ${last4}<`));
    assert.equal((await page(url, outcome.answer)).statusCode, 303);
  }
  const fin = await hook(rx, sid, n, 'payment_finished');
  const base = {
    id: '<pm>',
    created_at: '<ts>',
    updated_at: '<ts>',
    finished_at: '<ts>',
    customer,
    payment_details: maskedCard(brand, last4, number.slice(0, 6)),
    amount_details: USD(4321),
    payment_options: { return_url: 'https://shop.example/done' },
  };
  const failed = outcome.kind === 'declined' ? outcome : outcome.kind === '3ds' && outcome.answer === 'failed' ? { code: '3DS_error', description: 'the payer failed 3-D Secure authentication' } : undefined;
  assert.deepEqual(
    shape(fin.session),
    failed
      ? { id: '<ps>', status: 'cancelled', created_at: '<ts>', updated_at: '<ts>', finished_at: '<ts>', acquiring_payments: [{ ...base, status: 'failed', error: { code: failed.code, description: failed.description }, ...(outcome.kind === '3ds' ? { transaction_info: { rrn: '<rrn>' } } : {}) }] }
      : { id: '<ps>', status: 'accepted', created_at: '<ts>', updated_at: '<ts>', finished_at: '<ts>', acquiring_payments: [{ ...base, status: 'succeeded', transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' } }] },
  );
  if (!failed) assert.deepEqual(captured(fin.session['acquiring_payments'][0]), USD(4321));
  assert.deepEqual(typesFor(rx, sid), outcome.kind === '3ds' ? ['ready_to_confirm', 'action_required', 'payment_finished'] : ['ready_to_confirm', 'payment_finished']);
  answers.push((await call('session/status', { session_id: sid })).body);
  return fin.session;
}

describe('the test cards of docs/test-cards.md', () => {
  const TABLE: [string, string, string, Outcome][] = [
    ['4242424242424242', 'visa', '9137', { kind: 'succeeded' }],
    ['5555555555554444', 'mastercard', '8264', { kind: 'succeeded' }],
    ['4000000000003220', 'visa', '7351', { kind: '3ds', answer: 'confirmed' }],
    ['4000000000003220', 'visa', '6482', { kind: '3ds', answer: 'failed' }],
    ['4000000000000002', 'visa', '5193', { kind: 'declined', code: 'card_declined', description: 'the issuer declined the payment' }],
    ['4000000000009995', 'visa', '4726', { kind: 'declined', code: 'insufficient_funds', description: 'the card has insufficient funds' }],
    ['4000000000000069', 'visa', '3859', { kind: 'declined', code: 'bank_card_expired', description: 'the card has expired' }],
    ['4000000000000119', 'visa', '2947', { kind: 'declined', code: 'provider_internal_error', description: 'the processor failed to handle the payment; retry later' }],
    // Its chargeback a clock-day later is in acquiring-timeouts.test.ts.
    ['4000000000000259', 'visa', '1836', { kind: 'succeeded' }],
  ];
  for (const [number, brand, cvc, outcome] of TABLE) {
    const what = outcome.kind === 'declined' ? `declined: ${outcome.code}` : outcome.kind === '3ds' ? `3-D Secure, ${outcome.answer === 'confirmed' ? 'Confirm → succeeded' : 'Fail → 3DS_error'}` : 'succeeds';
    test(`${number}: ${brand}, ${what}`, async () => {
      await pay(number, cvc, outcome, brand);
    });
  }

  test('any other Luhn-valid number succeeds, with its brand detected by BIN range', async () => {
    const cards: [string, string][] = [
      ['378282246310005', 'amex'],
      ['340000000000009', 'amex'],
      ['5105105105105100', 'mastercard'],
      ['2223003122003222', 'mastercard'],
      [luhn('272099000000000'), 'mastercard'],
      ['6011111111111117', 'discover'],
      [luhn('650000000000000'), 'discover'],
      ['3530111333300000', 'jcb'],
      [luhn('358900000000000'), 'jcb'],
      ['30569309025904', 'diners'],
      ['36227206271667', 'diners'],
      [luhn('390000000000'), 'diners'],
      [luhn('220000000000000'), 'mir'],
      [luhn('220499999999999'), 'mir'],
      [luhn('401288888888188'), 'visa'],
    ];
    const cvcs = ['7093', '6158', '5827', '4392', '3614', '2785', '1569', '8402', '7716', '6639', '5548', '4471', '3306', '2253', '1184'];
    for (const [i, [number, brand]] of cards.entries()) await pay(number, cvcs[i]!, { kind: 'succeeded' }, brand);
  });
});

describe('card data never appears in plain text', () => {
  test('more flows: card stored by session/create, a hold captured and refunded, a cancel, a refused number, an idempotent replay', async () => {
    // Stored at create, paid at start (the security code waits, sealed, between the two).
    const stored = '5555555555554444';
    PANS.add(stored);
    CVCS.add('3377');
    const created = await okCall('session/create', { payment_details: bankCard(stored, { cvc: '3377' }), amount_details: USD(2500), customer });
    await okCall('session/start/payment', { session_id: created.session.id });
    await hook(rx, created.session.id, 1, 'ready_to_confirm');
    await okCall('session/confirm', { session_id: created.session.id });
    await hook(rx, created.session.id, 2, 'payment_finished');

    // A hold, captured in part and refunded.
    PANS.add('4242424242424242');
    CVCS.add('2468');
    const hold = await okCall('session/init/payment', { payment_details: bankCard('4242424242424242', { cvc: '2468' }), amount_details: USD(9000), customer, payment_options: { hold: true } });
    const hid: string = hold.session.id;
    await hook(rx, hid, 1, 'ready_to_confirm');
    await okCall('session/confirm', { session_id: hid });
    await hook(rx, hid, 2, 'ready_to_capture');
    await okCall('session/capture', { session_id: hid, amount_details: USD(8000) });
    await hook(rx, hid, 3, 'payment_finished');
    await okCall('session/refund', { session_id: hid, amount_details: USD(1000) });
    await hook(rx, hid, 4, 'payment_refunded');

    // Cancelled at ready_to_confirm: the payment never reached the issuer.
    PANS.add('6011111111111117');
    CVCS.add('1357');
    const cancelled = await okCall('session/init/payment', { payment_details: bankCard('6011111111111117', { cvc: '1357' }), amount_details: USD(500), customer });
    await hook(rx, cancelled.session.id, 1, 'ready_to_confirm');
    await okCall('session/cancel', { session_id: cancelled.session.id });
    await hook(rx, cancelled.session.id, 2, 'payment_finished');

    // Refused requests: a number failing Luhn, and a valid one with a bad expiry.
    PANS.add('4242424242424241');
    CVCS.add('8642');
    assertError(
      await call('session/init/payment', { payment_details: bankCard('4242424242424241', { cvc: '8642' }), amount_details: USD(500), customer }),
      400,
      'invalid_request',
      'payment_details.card.bank_card.number is not a valid card number (Luhn check failed)',
    );
    PANS.add('3530111333300000');
    CVCS.add('9753');
    assertError(
      await call('session/init/payment', { payment_details: bankCard('3530111333300000', { cvc: '9753', month: '13' }), amount_details: USD(500), customer }),
      400,
      'invalid_request',
      'payment_details.card.bank_card.expiration_month must be a two-digit month, 01 to 12',
    );

    // An idempotent init/payment and its replay (the stored response is a row too).
    PANS.add('371449635398431');
    CVCS.add('6174');
    const body = { payment_details: bankCard('371449635398431', { cvc: '6174' }), amount_details: USD(700), customer };
    const first = await call('session/init/payment', body, { idempotencyKey: 'card-data-1' });
    const replay = await call('session/init/payment', body, { idempotencyKey: 'card-data-1' });
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(replay.body, first.body);
    await hook(rx, first.json().session.id, 1, 'ready_to_confirm');
    await okCall('session/confirm', { session_id: first.json().session.id });
    await hook(rx, first.json().session.id, 2, 'payment_finished');

    // A timeout too, so timed jobs have run; then everything in the outbox is delivered.
    await advance(h, 60);
  });

  test('no full card number or security code in logs, responses, pages, webhooks or any table', async () => {
    const tables = await dumpTables(h.runtime.database.db);
    const places: [string, string][] = [
      ['logs', h.logs.join('')],
      ['responses and pages', answers.join('\n')],
      ['webhooks', rx.received.map((r) => `${JSON.stringify(r.headers)}\n${r.body}`).join('\n')],
      ...[...tables].map(([name, rows]) => [`table ${name}`, rows.join('\n')] as [string, string]),
    ];
    // The scan is looking at something: logs have the calls, tables have the sessions and the cards.
    assert.ok(h.logs.some((l) => l.includes('/api/v1/session/init/payment')), 'request log lines were captured');
    for (const t of ['sessions', 'payments', 'refunds', 'cards', 'webhooks', 'sandbox_processor_ops', 'idempotency_keys', 'jobs']) assert.ok(tables.has(t), `table ${t} is dumped`);
    assert.ok(tables.get('cards')!.length >= PANS.size - 2, 'every vaulted card has a row');
    assert.ok(rx.received.length >= 40);
    // …and would find what it looks for: every needle is in what was sent.
    const request = sent.join('\n');
    for (const pan of PANS) assert.ok(request.includes(pan), pan);
    for (const cvc of CVCS) assert.ok(findToken(request, cvc).length > 0, cvc);

    const leaks: string[] = [];
    for (const pan of PANS) {
      const forms = {
        digits: pan,
        hex: Buffer.from(pan).toString('hex'),
        base64: Buffer.from(pan).toString('base64').replace(/=+$/, ''),
        sha256: createHash('sha256').update(pan).digest('hex'),
        sha1: createHash('sha1').update(pan).digest('hex'),
        md5: createHash('md5').update(pan).digest('hex'),
      };
      for (const [place, text] of places) {
        for (const [form, needle] of Object.entries(forms)) if (text.includes(needle)) leaks.push(`${place}: card number ${pan} (${form})`);
      }
    }
    for (const cvc of CVCS) {
      for (const [place, text] of places) {
        for (const hit of findToken(text, cvc)) leaks.push(`${place}: security code ${cvc} in …${hit}…`);
        if (text.includes(Buffer.from(cvc).toString('hex'))) leaks.push(`${place}: security code ${cvc} (hex)`);
      }
    }
    assert.deepEqual(leaks, []);
  });

  test(
    'no security code is kept, even sealed, once the payment is over',
    async () => {
      const { db } = h.runtime.database;
      const payments = await db.selectFrom('payments').select(['id', 'stage', 'payment_details']).where('stage', 'in', ['succeeded', 'failed']).execute();
      const sessions = await db.selectFrom('sessions').select(['id', 'status', 'params']).where('status', 'in', ['accepted', 'cancelled']).execute();
      assert.ok(payments.length > 20 && sessions.length > 20);
      const holding = [
        ...payments.filter((p) => JSON.stringify(p.payment_details).includes('security_code_sealed')).map((p) => `payment ${p.id} (${p.stage})`),
        ...sessions.filter((s) => JSON.stringify(s.params).includes('security_code_sealed')).map((s) => `session ${s.id} (${s.status})`),
      ];
      assert.deepEqual(holding, []);
    },
  );
});
