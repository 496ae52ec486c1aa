import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { sql } from 'kysely';
import { after, before, describe, test } from 'node:test';
import { TIMESTAMP, signBody, startHarness, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { bankCard } from './helpers/acquiring.js';
import {
  USD,
  advance,
  amountsOf,
  assertError,
  clockNow,
  createProject,
  dest,
  hook,
  maskedPayoutCard,
  refundAmounts,
  shape,
  topUp,
  typesFor,
  type Json,
} from './helpers/payouts.js';

/**
 * What a client written against Smart Glocal / Bank 131 reads (issue 11, items 1, 5, 11 and 12),
 * over a real socket with signed requests and webhooks to a real receiver: fees as
 * `amounts.fee.merchant_fee`, `updated_at` on operations, refunds with `is_chargeback` and
 * `amounts`, the issuing country of a masked payout card, webhooks rendered in the API version of
 * the call that created the session, and wallet/balance with the caller's wall-clock time after
 * the sandbox clock moved ahead.
 */
let h: Harness;
let rx: Receiver;
let base: string;
let key: KeyObject;
const PROJECT = 'compat';
/** Payments 2.9 % + 0.30, payouts 1 % + 0.50 (half up). */
const FEES = { payment: { percent: 2.9, fixed: 30 }, payout: { percent: 1, fixed: 50 } };

before(async () => {
  h = await startHarness();
  rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
  // A project as older partners have it: api_version v1 (the default), auto_confirm on.
  key = await createProject(h, PROJECT, { webhook_url: rx.url, fees: FEES, auto_confirm: true, allow_partial_refunds: true });
  await topUp(h, PROJECT, 1_000_000);
  base = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  await h.close();
  await rx.close();
});

/** A signed POST on the real socket; fails unless it is a 200 when `expectOk`. */
async function post(path: string, body: unknown, o: { key?: KeyObject; project?: string } = {}): Promise<{ statusCode: number; body: string; json: () => Json }> {
  const raw = JSON.stringify(body);
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-partner-project': o.project ?? PROJECT, 'x-partner-sign': signBody(raw, o.key ?? key) },
    body: raw,
  });
  const text = await res.text();
  return { statusCode: res.status, body: text, json: () => JSON.parse(text) as Json };
}
async function ok(path: string, body: unknown, o: { key?: KeyObject; project?: string } = {}): Promise<Json> {
  const res = await post(path, body, o);
  assert.equal(res.statusCode, 200, `${path}: ${res.body}`);
  return res.json();
}

/** A Luhn-valid card number from a prefix (16 digits). */
function luhn(prefix: string): string {
  const body = prefix.padEnd(15, '0');
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    let d = Number(body[14 - i]);
    if (i % 2 === 0) d *= 2;
    sum += d > 9 ? d - 9 : d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

const assertUpdatedAt = (op: Json) => {
  assert.match(op.updated_at, TIMESTAMP);
  assert.ok(op.updated_at >= op.created_at, `updated_at ${op.updated_at} before created_at ${op.created_at}`);
};

const customer = { reference: 'compat-1' };

describe('fees, updated_at and refunds as the SDK reads them', () => {
  for (const version of ['v1', 'v2'] as const) {
    const L = version === 'v1' ? 'acquiring_payments' : 'payment_list';
    test(`${version}: a payment of 100.00 shows amounts.fee.merchant_fee 3.20 and updated_at; its refund is_chargeback false with amounts; in responses and webhooks`, async () => {
      // create + start (session/init/payment records no API version yet: see the report to the lead).
      const sid: string = (await ok(`/api/${version}/session/create`, { amount_details: USD(10_000), customer })).session.id;
      const init = await ok(`/api/${version}/session/start/payment`, { session_id: sid, payment_details: bankCard('4242424242424242') });
      assertUpdatedAt(init.session[L][0]);
      assert.equal(init.session[L][0].amounts, undefined, 'no amounts before the payment succeeds');

      const fin = await hook(rx, sid, 1, 'payment_finished');
      const paid = fin.session[L][0];
      const expectedPayment = {
        id: '<pm>',
        status: 'succeeded',
        created_at: '<ts>',
        updated_at: '<ts>',
        finished_at: '<ts>',
        customer,
        payment_details: paid.payment_details,
        amount_details: USD(10_000),
        amounts: { gross: USD(10_000), net: USD(9_680), fee: { merchant_fee: USD(320) } },
        transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' },
      };
      assert.deepEqual(shape(paid), expectedPayment);
      assert.deepEqual({ last4: paid.payment_details.card.last4, brand: paid.payment_details.card.brand }, { last4: '4242', brand: 'visa' });
      assertUpdatedAt(paid);
      assert.equal(paid.updated_at, paid.finished_at, 'the last change of a finished payment is its finish');
      assert.deepEqual(shape(fin.session), { id: '<ps>', status: 'accepted', created_at: '<ts>', updated_at: '<ts>', finished_at: '<ts>', [L]: [expectedPayment] });

      const refunded = await ok(`/api/${version}/session/refund`, { session_id: sid, amount_details: USD(2_500) });
      assert.deepEqual(shape(refunded.session[L][0].refunds), [
        { id: '<rf>', status: 'in_progress', created_at: '<ts>', is_chargeback: false, amount_details: USD(2_500), amounts: refundAmounts(USD(2_500)) },
      ]);
      const done = await hook(rx, sid, 2, 'payment_refunded');
      const refund = { id: '<rf>', status: 'accepted', created_at: '<ts>', finished_at: '<ts>', is_chargeback: false, amount_details: USD(2_500), amounts: refundAmounts(USD(2_500)) };
      assert.deepEqual(shape(done.session[L][0].refunds), [refund]);
      assert.deepEqual(shape(done.session[L][0].amounts), expectedPayment.amounts, 'the fee is not returned by a refund');
      // session/status says the same, in the version of the request.
      const status = await ok(`/api/${version}/session/status`, { session_id: sid });
      assert.deepEqual(status.session, done.session);
      assert.deepEqual(typesFor(rx, sid), ['payment_finished', 'payment_refunded']);
    });
  }

  test('a charged-back payment: the refund has is_chargeback true and amounts of the whole amount', async () => {
    const init = await ok('/api/v1/session/init/payment', { payment_details: bankCard('4000000000000259'), amount_details: USD(4_000), customer });
    const sid: string = init.session.id;
    await hook(rx, sid, 1, 'payment_finished');
    await advance(h, 86_400 + 60);
    const back = await hook(rx, sid, 2, 'payment_refunded');
    assert.deepEqual(shape(back.session['acquiring_payments'][0].refunds), [
      { id: '<rf>', status: 'accepted', created_at: '<ts>', finished_at: '<ts>', is_chargeback: true, amount_details: USD(4_000), amounts: refundAmounts(USD(4_000)) },
    ]);
  });
});

describe('payouts: fees, updated_at, country_iso3 of masked cards', () => {
  test('a card payout of 200.00: amounts with fee.merchant_fee 2.50, the card with its issuing country, updated_at; in the answer and the webhook', async () => {
    const init = await ok('/api/v1/session/init/payout', { ...payoutOf(dest.card(), USD(20_000)) });
    const sid: string = init.session.id;
    const fin = await hook(rx, sid, 1, 'payment_finished');
    const payout = fin.session['payments'][0];
    assert.deepEqual(shape(payout), {
      id: '<po>',
      status: 'succeeded',
      created_at: '<ts>',
      updated_at: '<ts>',
      finished_at: '<ts>',
      payment_method: maskedPayoutCard('visa', '4242', 'USA'),
      amount_details: USD(20_000),
      amounts: amountsOf(20_000, 250),
      participant_details: dest.card().participants,
      transaction_info: shape(payout.transaction_info),
    });
    assert.deepEqual(amountsOf(20_000, 250).fee, { merchant_fee: USD(250) });
    assertUpdatedAt(payout);
  });

  // The vault keeps a six-digit bin, so the country comes from the six-digit prefixes of src/kernel/card-country.ts.
  for (const [prefix, country] of [['2200', 'RUS'], ['6200', 'CHN'], ['3528', 'JPN'], ['5555555555', 'USA']] as const) {
    test(`a payout card with bin ${prefix.slice(0, 6)}…: country_iso3 ${country}`, async () => {
      const number = luhn(prefix);
      const init = await ok('/api/v2/session/init/payout', { payout_details: dest.card(number).method, participant_details: dest.card().participants, amount_details: USD(1_000) });
      const card = init.session['payout_list'][0].payout_details.card;
      assert.deepEqual(card, { last4: number.slice(-4), brand: card.brand, country_iso3: country });
    });
  }
});

/** A v1 payout body for this destination. */
function payoutOf(d: { method: Json; participants: Json }, amount: Json): Json {
  return { payment_method: d.method, participant_details: d.participants, amount_details: amount };
}

describe("webhooks in the API version of the session's creating call (item 5)", () => {
  test('a v1 project, a session created under /api/v2: every webhook names payout_list and payout_details', async () => {
    const init = await ok('/api/v2/session/init/payout', { payout_details: dest.card().method, participant_details: dest.card().participants, amount_details: USD(3_000) });
    const sid: string = init.session.id;
    const fin = await hook(rx, sid, 1, 'payment_finished');
    assert.deepEqual(Object.keys(fin.session).filter((k) => k === 'payments' || k === 'payout_list'), ['payout_list']);
    assert.deepEqual(fin.session['payout_list'][0].payout_details, maskedPayoutCard('visa', '4242'));
    assert.equal('payment_method' in fin.session['payout_list'][0], false);
    // session/status answers in the request's version, whatever the session's.
    const v1 = await ok('/api/v1/session/status', { session_id: sid });
    assert.deepEqual(v1.session['payments'][0].payment_method, maskedPayoutCard('visa', '4242'));
    const v2 = await ok('/api/v2/session/status', { session_id: sid });
    assert.deepEqual(v2.session, fin.session);
  });

  test('session/create under /api/v2 then start/payout under /api/v1: the webhooks stay v2 (the creating call decides)', async () => {
    const sid: string = (await ok('/api/v2/session/create', { amount_details: USD(1_500) })).session.id;
    const started = await ok('/api/v1/session/start/payout', { session_id: sid, payment_method: dest.card().method, participant_details: dest.card().participants });
    assert.ok(started.session['payments'], 'the answer is in the version of the request');
    const fin = await hook(rx, sid, 1, 'payment_finished');
    assert.deepEqual(fin.session['payout_list'][0].payout_details, maskedPayoutCard('visa', '4242'));
    assert.equal(fin.session['payments'], undefined);
  });

  test('a session created under /api/v1 in a v2 project: its webhooks are v1', async () => {
    const k2 = await createProject(h, 'compat-v2', { webhook_url: rx.url, auto_confirm: true, api_version: 'v2' });
    await topUp(h, 'compat-v2', 100_000);
    const init = await ok('/api/v1/session/init/payout', payoutOf(dest.card(), USD(2_000)), { key: k2, project: 'compat-v2' });
    const fin = await hook(rx, init.session.id, 1, 'payment_finished');
    assert.deepEqual(fin.session['payments'][0].payment_method, maskedPayoutCard('visa', '4242'));
    assert.equal(fin.session['payout_list'], undefined);
  });

  test('v2 payments too: session/create under /api/v2, then start/payment, gives payment_list webhooks in a v1 project', async () => {
    const sid: string = (await ok('/api/v2/session/create', { amount_details: USD(1_000), customer })).session.id;
    await ok('/api/v2/session/start/payment', { session_id: sid, payment_details: bankCard('5555555555554444') });
    const fin = await hook(rx, sid, 1, 'payment_finished');
    assert.equal(fin.session['acquiring_payments'], undefined);
    assert.equal(fin.session['payment_list'][0].status, 'succeeded');
  });

  test('a session from before migration 0014 (no api_version) and one the admin API creates follow the project setting', async () => {
    const sid: string = (await ok('/api/v2/session/create', {})).session.id;
    const { db } = h.runtime.database;
    await sql`UPDATE sessions SET api_version = NULL WHERE id = ${sid}`.execute(db);
    const start = rx.received.length;
    const trig = await h.admin('POST', '/webhooks/trigger', { type: 'ready_to_confirm', project: PROJECT, session_id: sid });
    assert.equal(trig.statusCode, 200, trig.body);
    await rx.waitFor(start + 1);
    const stored = await sql<{ api_version: string | null }>`SELECT api_version FROM sessions WHERE id = ${sid}`.execute(db);
    assert.deepEqual(stored.rows, [{ api_version: null }]);
    // Rendered as v1 (the project's setting): the payout list would be `payments`; check the stored body.
    const log = (await h.admin('GET', `/sessions/${sid}/webhooks`)).json().webhooks;
    assert.deepEqual(log[0].body, { type: 'ready_to_confirm', session: (await ok('/api/v1/session/status', { session_id: sid })).session });
    // An admin-created session: no api_version, the project's.
    const adminTrig = await h.admin('POST', '/webhooks/trigger', { type: 'ready_to_confirm', project: PROJECT });
    assert.equal(adminTrig.statusCode, 200, adminTrig.body);
    const created = await sql<{ api_version: string | null }>`SELECT api_version FROM sessions ORDER BY created_at DESC, id DESC LIMIT 1`.execute(db);
    assert.deepEqual(created.rows, [{ api_version: null }]);
  });

  test('every call records its version; nothing else changes an existing session\'s', async () => {
    const { db } = h.runtime.database;
    const v1 = (await ok('/api/v1/session/create', {})).session.id;
    const v2 = (await ok('/api/v2/session/create', {})).session.id;
    await ok('/api/v1/session/status', { session_id: v2 });
    const rows = await sql<{ id: string; api_version: string }>`SELECT id, api_version FROM sessions WHERE id IN (${v1}, ${v2}) ORDER BY api_version`.execute(db);
    assert.deepEqual(rows.rows, [
      { id: v1, api_version: 'v1' },
      { id: v2, api_version: 'v2' },
    ]);
    await assert.rejects(sql`UPDATE sessions SET api_version = 'v3' WHERE id = ${v1}`.execute(db), /check/i);
  });
});

describe('wallet/balance after the sandbox clock moved ahead (item 12)', () => {
  const P = 'timewarp';
  let k: KeyObject;
  const balance = async (at: string) => {
    const res = await ok('/api/v1/wallet/balance', { request_datetime: at }, { key: k, project: P });
    return Object.fromEntries((res.wallets as Json[]).map((w) => [w.amount_details.currency, w.amount_details.amount]));
  };
  /** What a PHP client sends: its wall-clock time, whole seconds, with its zone offset. */
  const wallClock = (ms = Date.now()) => new Date(Math.floor(ms / 1000) * 1000 + 3 * 3600_000).toISOString().replace('.000Z', '+03:00');

  before(async () => {
    k = await createProject(h, P, { webhook_url: rx.url, auto_confirm: true, fees: { payout: { percent: 0, fixed: 0 } } });
    await topUp(h, P, 50_000);
  });

  test("the caller's wall-clock now includes payouts booked at the later sandbox time; sandbox timestamps are read as given", async () => {
    assert.deepEqual(await balance(wallClock()), { usd: 50_000 });
    await advance(h, 3 * 86_400);
    const init = await ok('/api/v1/session/init/payout', payoutOf(dest.card(), USD(10_000)), { key: k, project: P });
    const fin = await hook(rx, init.session.id, 1, 'payment_finished');
    const finishedAt = new Date(fin.session['payments'][0].finished_at as string);
    assert.ok(finishedAt.getTime() > Date.now() + 2 * 86_400_000, 'booked three sandbox days ahead of the wall clock');

    assert.deepEqual(await balance(wallClock()), { usd: 40_000 }, 'wall-clock now, whole seconds, +03:00');
    assert.deepEqual(await balance(new Date().toISOString()), { usd: 40_000 }, 'wall-clock now, in ms, Z');
    assert.deepEqual(await balance(new Date(Date.now() + 20_000).toISOString()), { usd: 40_000 }, 'a client clock 20 s fast');
    // A time on the sandbox timeline (what responses carry) is read as given, to the millisecond.
    assert.deepEqual(await balance(finishedAt.toISOString()), { usd: 40_000 });
    assert.deepEqual(await balance(new Date(finishedAt.getTime() - 60_000).toISOString()), { usd: 50_000 });
    assert.deepEqual(await balance((await clockNow(h)).toISOString()), { usd: 40_000 });
    // Far from the wall clock (an hour ago): on the sandbox timeline, before the top-up.
    assert.deepEqual(await balance(new Date(Date.now() - 3600_000).toISOString()), { usd: 0 });
  });

  test('bad request_datetime values are refused precisely', async () => {
    const call = (body: unknown) => post('/api/v1/wallet/balance', body, { key: k, project: P });
    assertError(await call({}), 400, 'invalid_request', /request_datetime/);
    assertError(await call({ request_datetime: 'now' }), 400, 'invalid_request', /request_datetime must be an ISO 8601 date-time like 2024-04-10T19:53:00\+03:00/);
    assertError(await call({ request_datetime: 1712768000 }), 400, 'invalid_request', /request_datetime/);
  });
});
