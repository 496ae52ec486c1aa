import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startHarness, type CallOptions, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { checkLedgerAfterEach } from './helpers/ledger-invariants.js';
import { bankCard, shape as shapeAcquiring } from './helpers/acquiring.js';
import {
  USD,
  advance,
  amountsOf,
  assertError,
  createProject,
  dest,
  entriesFor,
  hook,
  maskedPayoutCard,
  ok,
  payoutBody,
  shape as shapePayouts,
  statusOf,
  topUp,
  typesFor,
  untilSent,
  type Json,
} from './helpers/payouts.js';

/**
 * Issue 11 item 9: every branch of the spec's operation codes (§3.4) that the sandbox can produce,
 * reached by the documented test data of docs/test-cards.md and docs/test-payouts.md, over real HTTP
 * with the webhooks a real receiver gets. Payments: a test card per decline, the provider timeout,
 * a deactivated card binding on a saved-card charge. Payouts: the same cards, test IBANs for the
 * amount limits, a rail timeout that turns out not to have paid, and a rail failure that leaves the
 * payout (and its session) in `error`, with the reservation held until support resolves it. Card
 * payouts carry transaction_info {rrn, auth_code}. The ledger's invariants are checked after each test.
 */
let h: Harness;
let rx: Receiver;
let key: KeyObject;
const P = 'branches';
let o: CallOptions;

before(async () => {
  h = await startHarness();
  rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
  // Auto-confirmed, so each payment or payout goes straight to its outcome: one payment_finished.
  key = await createProject(h, P, { webhook_url: rx.url, auto_confirm: true });
  o = { project: P, key };
  await topUp(h, P, 10_000_000, 'usd');
  await topUp(h, P, 10_000_000, 'eur');
});
after(async () => {
  await h?.close();
  await rx?.close();
});
checkLedgerAfterEach(() => h);

const shape = (v: unknown) => shapePayouts(shapeAcquiring(v));
const customer = { reference: 'branch-tester' };

/** Waits until a job of `kind` for the payout is queued (the rail has answered). */
async function untilJob(kind: string, payoutId: string): Promise<void> {
  const db = h.runtime.database.db;
  for (let i = 0; i < 800; i++) {
    const row = await db.selectFrom('jobs').select('id').where('kind', '=', kind).where('unique_key', 'like', `${payoutId}:%`).executeTakeFirst();
    if (row) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no ${kind} job for ${payoutId}`);
}

describe('payments: every decline a test card gives', () => {
  const declines: [string, string, string][] = [
    ['4000000000000036', 'provider_issuer_unavailable', 'the issuing bank is unavailable; retry later'],
    ['4000000000000044', 'amount_less_allowed_provider', "the amount is below the provider's minimum for this card"],
    ['4000000000000051', 'provider_exceeds_amount_limit', "the amount exceeds the provider's limit for this card"],
    ['4000000000000077', 'activity_count_exceeded', 'the card has exceeded its limit on the number of operations'],
    ['4000000000000085', 'card_number_does_not_exist', 'the issuer has no card with this number'],
    ['4000000000000101', 'provider_timeout', 'the provider did not answer in time; nothing was charged or paid'],
  ];
  for (const [number, code, description] of declines) {
    test(`${number}: payment failed with ${code}, session cancelled, payment_finished; nothing booked`, async () => {
      const init = await ok(h, 'session/init/payment', { payment_details: bankCard(number), amount_details: USD(2000), customer }, o);
      const sid: string = init.session.id;
      const pm: string = init.session.acquiring_payments[0].id;
      const fin = await hook(rx, sid, 1, 'payment_finished');
      assert.deepEqual(shape(fin.session), {
        id: '<ps>',
        status: 'cancelled',
        created_at: '<ts>',
        updated_at: '<ts>',
        finished_at: '<ts>',
        acquiring_payments: [
          {
            id: '<pm>',
            status: 'failed',
            created_at: '<ts>',
            updated_at: '<ts>',
            finished_at: '<ts>',
            customer,
            payment_details: { type: 'card', card: { last4: number.slice(-4), brand: 'visa', bin: '400000', country_iso3: 'USA' } },
            amount_details: USD(2000),
            error: { code, description },
          },
        ],
      });
      assert.deepEqual(await statusOf(h, sid, o), fin.session, 'session/status shows what the webhook showed');
      assert.deepEqual(typesFor(rx, sid), ['payment_finished']);
      assert.deepEqual(await entriesFor(h.runtime.database.db, pm), [], 'a declined payment books nothing');
      assertError(await h.call('session/refund', { session_id: sid }, o), 409, 'invalid_session_state', `session ${sid} has no succeeded payment to refund`);
    });
  }

  test('4000 0000 0000 0127: the first payment succeeds and saves the card; a charge of the saved card is declined with binding_is_deactivated', async () => {
    const first = await ok(h, 'session/init/payment', { payment_details: bankCard('4000000000000127'), amount_details: USD(1500), customer, payment_options: { recurrent: true } }, o);
    const paid = await hook(rx, first.session.id, 1, 'payment_finished');
    assert.equal(paid.session['status'], 'accepted');
    const token: string = paid.session['acquiring_payments'][0].recurrent.token;
    assert.equal(typeof token, 'string');

    const mit = await ok(h, 'session/init/payment', { payment_details: { type: 'recurrent', recurrent: { token, initiator: 'merchant' } }, amount_details: USD(1500), customer }, o);
    const fin = await hook(rx, mit.session.id, 1, 'payment_finished');
    assert.deepEqual(shape(fin.session), {
      id: '<ps>',
      status: 'cancelled',
      created_at: '<ts>',
      updated_at: '<ts>',
      finished_at: '<ts>',
      acquiring_payments: [
        {
          id: '<pm>',
          status: 'failed',
          created_at: '<ts>',
          updated_at: '<ts>',
          finished_at: '<ts>',
          customer,
          payment_details: { type: 'recurrent', recurrent: { token, initiator: 'merchant' } },
          amount_details: USD(1500),
          error: { code: 'binding_is_deactivated', description: 'the card binding was deactivated by the issuer; ask the payer to pay with a card again' },
        },
      ],
    });
  });

  test('4000 0000 0000 0135 (transfers to it are prohibited) still takes payments', async () => {
    const init = await ok(h, 'session/init/payment', { payment_details: bankCard('4000000000000135'), amount_details: USD(1000), customer }, o);
    const fin = await hook(rx, init.session.id, 1, 'payment_finished');
    assert.equal(fin.session['status'], 'accepted');
    assert.equal(fin.session['acquiring_payments'][0].status, 'succeeded');
  });

  for (const version of ['v1', 'v2'] as const) {
    test(`${version}, 4000 0000 0000 0143: the processor fails without an outcome: payment failed with its error, session in error (not final), nothing booked, the session takes nothing more`, async () => {
      const v = { ...o, version };
      const L = version === 'v1' ? 'acquiring_payments' : 'payment_list';
      const init = await ok(h, 'session/init/payment', { payment_details: bankCard('4000000000000143'), amount_details: USD(2500), customer }, v);
      const sid: string = init.session.id;
      const pm: string = init.session[L][0].id;
      const fin = await hook(rx, sid, 1, 'payment_finished');
      assert.equal(fin.session['status'], 'error');
      const status = await statusOf(h, sid, v);
      assert.equal(status['status'], 'error');
      assert.equal(status['finished_at'], undefined, 'the session is not final');
      const payment = status[L][0];
      assert.equal(payment.status, 'failed');
      assert.equal(payment.finished_at, undefined, 'the payment is not final');
      assert.deepEqual(payment.error, { code: 'provider_internal_error', description: 'the processor failed and cannot say whether the operation was made; support is investigating' });
      assert.deepEqual(await entriesFor(h.runtime.database.db, pm), [], 'nothing is booked');
      const state = (what: string) => [409, 'invalid_session_state', what] as const;
      assertError(await h.call('session/refund', { session_id: sid, amount_details: USD(100) }, v), ...state(`session ${sid} has no succeeded payment to refund`));
      assertError(await h.call('session/cancel', { session_id: sid }, v), ...state(`session ${sid} cannot be cancelled now: its payment ${pm} is in error (support resolves it)`));
      assertError(
        await h.call('session/start/payment', { session_id: sid, payment_details: bankCard('4111111111111111'), amount_details: USD(100), customer }, v),
        ...state(`session ${sid} cannot start a payment: it is in error and waits for resolution by support`),
      );
      assertError(await h.call('session/chargeback', { session_id: sid }, v), ...state(`session ${sid} cannot start a chargeback: it is in error and waits for resolution by support`));
      await advance(h, 2 * 86_400);
      assert.equal((await statusOf(h, sid, v))['status'], 'error', 'nothing moves it on its own');
      assert.deepEqual(typesFor(rx, sid), ['payment_finished']);
    });
  }

  test('a 3-D Secure challenge carries the authorization\'s rrn as transaction_info on action_required', async () => {
    const key3 = await createProject(h, 'branches-3ds', { webhook_url: rx.url, auto_confirm: true });
    const init = await ok(h, 'session/init/payment', { payment_details: bankCard('4000000000003220'), amount_details: USD(700), customer, payment_options: { return_url: 'https://shop.example/back' } }, { project: 'branches-3ds', key: key3 });
    const action = await hook(rx, init.session.id, 1, 'action_required');
    const payment = action.session['acquiring_payments'][0];
    assert.equal(payment.status, 'pending');
    assert.equal(payment.customer_interaction.type, 'redirect');
    assert.match(payment.transaction_info.rrn, /^\d{12}$/);
  });
});

describe('payouts: every refusal a test destination gives', () => {
  const refusals: [string, Json, string, string][] = [
    ['card 4000 0000 0000 0036', dest.card('4000000000000036'), 'provider_issuer_unavailable', 'the issuing bank is unavailable; retry later'],
    ['card 4000 0000 0000 0044', dest.card('4000000000000044'), 'amount_less_allowed_provider', "the amount is below the provider's minimum for this card"],
    ['card 4000 0000 0000 0051', dest.card('4000000000000051'), 'provider_exceeds_amount_limit', "the amount exceeds the provider's limit for this card"],
    ['card 4000 0000 0000 0077', dest.card('4000000000000077'), 'activity_count_exceeded', 'the card has exceeded its limit on the number of operations'],
    ['card 4000 0000 0000 0085', dest.card('4000000000000085'), 'card_number_does_not_exist', 'the issuer has no card with this number'],
    ['card 4000 0000 0000 0135', dest.card('4000000000000135'), 'provider_foreign_transfer_prohibited', 'transfers to this foreign card are prohibited'],
    ['IBAN …0451', dest.iban('DE42370400440532010451'), 'provider_exceeds_amount_limit', "the amount exceeds the recipient bank's limit for one transfer"],
    ['IBAN …0452', dest.iban('DE15370400440532010452'), 'amount_less_allowed_provider', "the amount is below the recipient bank's minimum for one transfer"],
  ];
  for (const [label, d, code, description] of refusals) {
    test(`${label}: payout failed with ${code}, session cancelled, the reservation back in the wallet`, async () => {
      const init = await ok(h, 'session/init/payout', payoutBody('v1', d as never, USD(3000), { customer }), o);
      const sid: string = init.session.id;
      const po: string = init.session.payments[0].id;
      const fin = await hook(rx, sid, 1, 'payment_finished');
      const isCard = d['method'].type === 'card';
      assert.deepEqual(shape(fin.session), {
        id: '<ps>',
        status: 'cancelled',
        created_at: '<ts>',
        updated_at: '<ts>',
        finished_at: '<ts>',
        payments: [
          {
            id: '<po>',
            status: 'failed',
            created_at: '<ts>',
            updated_at: '<ts>',
            finished_at: '<ts>',
            customer,
            payment_method: isCard ? maskedPayoutCard('visa', d['method'].card.bank_card.number.slice(-4)) : d['method'],
            amount_details: USD(3000),
            participant_details: d['participants'],
            error: { code, description },
          },
        ],
      });
      assert.deepEqual(await statusOf(h, sid, o), fin.session);
      assert.deepEqual(await entriesFor(h.runtime.database.db, po), [
        { kind: 'payout_reserve', postings: { wallet: -3000, reserved: 3000 } },
        { kind: 'payout_void', postings: { reserved: -3000, wallet: 3000 } },
      ]);
    });
  }

  for (const [label, d] of [
    ['card 4000 0000 0000 0101', dest.card('4000000000000101')],
    ['IBAN …0504', dest.iban('DE66370400440532010504')],
  ] as const) {
    test(`${label}: the rail times out; reconciliation 30 clock-minutes later finds nothing paid: failed, provider_timeout`, async () => {
      const init = await ok(h, 'session/init/payout', payoutBody('v1', d, USD(4000)), o);
      const sid: string = init.session.id;
      const po: string = init.session.payments[0].id;
      await untilJob('payout.reconcile', po);
      const waiting = await statusOf(h, sid, o);
      assert.equal(waiting['status'], 'in_progress');
      assert.equal(waiting['payments'][0].status, 'in_progress', 'the outcome is unknown until reconciliation');
      assert.deepEqual(typesFor(rx, sid), []);
      await advance(h, 30 * 60 + 5);
      const fin = await hook(rx, sid, 1, 'payment_finished');
      assert.equal(fin.session['status'], 'cancelled');
      assert.deepEqual(fin.session['payments'][0].error, { code: 'provider_timeout', description: 'the provider did not answer in time; nothing was charged or paid' });
      assert.equal(fin.session['payments'][0].status, 'failed');
      assert.equal(fin.session['payments'][0].transaction_info, undefined);
      assert.deepEqual(await entriesFor(h.runtime.database.db, po), [
        { kind: 'payout_reserve', postings: { wallet: -4000, reserved: 4000 } },
        { kind: 'payout_void', postings: { reserved: -4000, wallet: 4000 } },
      ]);
    });
  }

  for (const [label, d] of [
    ['card 4000 0000 0000 0143', dest.card('4000000000000143')],
    ['IBAN …0500', dest.iban('DE77370400440532010500')],
  ] as const) {
    for (const version of ['v1', 'v2'] as const) {
      test(`${version}, ${label}: the rail fails without an outcome: payout failed with its error, session in error (not final); the money stays reserved; the session takes nothing more`, async () => {
        const v = { ...o, version };
        const L = version === 'v1' ? 'payments' : 'payout_list';
        const D = version === 'v1' ? 'payment_method' : 'payout_details';
        const init = await ok(h, 'session/init/payout', payoutBody(version, d, USD(5000), { customer }), v);
        const sid: string = init.session.id;
        const po: string = init.session[L][0].id;
        const fin = await hook(rx, sid, 1, 'payment_finished');
        const expected = {
          id: '<ps>',
          status: 'error',
          created_at: '<ts>',
          updated_at: '<ts>',
          [L]: [
            {
              id: '<po>',
              status: 'failed',
              created_at: '<ts>',
              updated_at: '<ts>',
              customer,
              [D]: d.method.type === 'card' ? maskedPayoutCard('visa', '0143') : d.method,
              amount_details: USD(5000),
              amounts: amountsOf(5000, 0),
              participant_details: d.participants,
              error: { code: 'provider_internal_error', description: 'the processor failed and cannot say whether the operation was made; support is investigating' },
            },
          ],
        };
        // The webhook is rendered in the project's version (v1); session/status in the caller's.
        assert.equal(fin.session['status'], 'error');
        assert.deepEqual(shape(await statusOf(h, sid, v)), expected, 'no finished_at: neither the session nor the payout is final');
        assert.deepEqual(await entriesFor(h.runtime.database.db, po), [{ kind: 'payout_reserve', postings: { wallet: -5000, reserved: 5000 } }], 'amount and fee stay reserved');
        const state = (what: string) => [409, 'invalid_session_state', what] as const;
        assertError(await h.call('session/confirm', { session_id: sid }, v), ...state(`session ${sid} is not waiting for confirmation: its payout ${po} is in error (support resolves it)`));
        assertError(await h.call('session/cancel', { session_id: sid }, v), ...state(`session ${sid} cannot be cancelled now: its payout ${po} is in error (support resolves it)`));
        assertError(
          await h.call('session/start/payout', { session_id: sid, [D]: dest.card().method, amount_details: USD(100), participant_details: dest.card().participants }, v),
          ...state(`session ${sid} cannot start a payout: it is in error and waits for resolution by support`),
        );
        assertError(await h.call('session/chargeback', { session_id: sid }, v), ...state(`session ${sid} cannot start a chargeback: it is in error and waits for resolution by support`));
        await advance(h, 2 * 86_400);
        assert.deepEqual(shape(await statusOf(h, sid, v)), expected, 'nothing moves it on its own');
        assert.deepEqual(typesFor(rx, sid), ['payment_finished']);
      });
    }
  }

  test('a card payout that succeeds carries transaction_info {rrn, auth_code}; a bank transfer only its rrn', async () => {
    const card = await ok(h, 'session/init/payout', payoutBody('v1', dest.card(), USD(1200)), o);
    const paid = await hook(rx, card.session.id, 1, 'payment_finished');
    assert.match(paid.session['payments'][0].transaction_info.rrn, /^\d{12}$/);
    assert.match(paid.session['payments'][0].transaction_info.auth_code, /^\d{6}$/);
    assert.deepEqual(Object.keys(paid.session['payments'][0].transaction_info), ['rrn', 'auth_code']);

    const iban = await ok(h, 'session/init/payout', payoutBody('v1', dest.iban('BE71096123456769', 'BEL'), { amount: 1300, currency: 'eur' }), o);
    await untilSent(h, iban.session.id, o);
    await advance(h, 86_400 + 60);
    const done = await hook(rx, iban.session.id, 1, 'payment_finished');
    assert.equal(done.session['status'], 'accepted');
    assert.deepEqual(Object.keys(done.session['payments'][0].transaction_info), ['rrn']);
  });
});
