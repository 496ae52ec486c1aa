import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startHarness, type CallOptions, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { checkLedgerAfterEach } from './helpers/ledger-invariants.js';
import { USD, bankCard, refundAmounts, shape } from './helpers/acquiring.js';
import { assertError, createProject, dest, entriesFor, hook, ok, payoutBody, rowCounts, statusOf, topUp, typesFor, until, type Json } from './helpers/payouts.js';

/**
 * session/chargeback (Bank 131's SDK; spec §5.11, §6.4), v1 and v2: in the sandbox the call makes the
 * issuer take back what is left of the session's succeeded payment, at once: a refund with
 * is_chargeback true, accepted, the payment_refunded webhook to a real receiver, and the chargeback
 * booked out of the acquiring settlement. The refusals: unknown session, no payment, a payment not
 * (yet) succeeded, a payout session, nothing left to take back, a malformed body, each precise and
 * writing nothing. The same function serves the 0259 test card's chargeback job
 * (acquiring-timeouts.test.ts).
 */
let h: Harness;
let rx: Receiver;
let key: KeyObject;
const P = 'chargebacks';
let o: CallOptions;

before(async () => {
  h = await startHarness();
  rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
  key = await createProject(h, P, { webhook_url: rx.url, auto_confirm: true, allow_partial_refunds: true });
  o = { project: P, key };
});
after(async () => {
  await h?.close();
  await rx?.close();
});
checkLedgerAfterEach(() => h);

const customer = { reference: 'cb-payer' };

/** A succeeded card payment in a new session (auto-confirmed): its session id, payment id and rendering. */
async function paid(amount: number, number = '4242424242424242'): Promise<{ sid: string; pm: string; payment: Json }> {
  const init = await ok(h, 'session/init/payment', { payment_details: bankCard(number), amount_details: USD(amount), customer }, o);
  const sid: string = init.session.id;
  const fin = await hook(rx, sid, 1, 'payment_finished');
  assert.equal(fin.session['status'], 'accepted');
  return { sid, pm: init.session.acquiring_payments[0].id, payment: fin.session['acquiring_payments'][0] };
}

for (const version of ['v1', 'v2'] as const) {
  const L = version === 'v1' ? 'acquiring_payments' : 'payment_list';
  describe(`${version}: session/chargeback`, () => {
    test('takes back the whole payment: refund is_chargeback accepted, session accepted, payment_refunded; booked out of acquiring_settlement', async () => {
      const { sid, pm, payment } = await paid(7000);
      const res = await ok(h, 'session/chargeback', { session_id: sid }, { ...o, version });
      const refund = { id: '<rf>', status: 'accepted', created_at: '<ts>', finished_at: '<ts>', is_chargeback: true, amount_details: USD(7000), amounts: refundAmounts(USD(7000)) };
      const { amounts: _, ...paymentWithoutAmounts } = shape(payment) as Json;
      const expected = {
        id: '<ps>',
        status: 'accepted',
        created_at: '<ts>',
        updated_at: '<ts>',
        finished_at: '<ts>',
        [L]: [{ ...paymentWithoutAmounts, refunds: [refund] }],
      };
      assert.deepEqual(shape(res.session), expected);
      const rf: string = res.session[L][0].refunds[0].id;
      assert.match(rf, /^rf_\d{22}$/);
      const wh = await hook(rx, sid, 2, 'payment_refunded');
      assert.equal(wh.session['acquiring_payments'][0].refunds[0].id, rf, 'the webhook (project version v1) shows the same refund');
      assert.deepEqual(await statusOf(h, sid, { ...o, version }), res.session, 'session/status shows what the call answered');
      assert.deepEqual(typesFor(rx, sid), ['payment_finished', 'payment_refunded']);
      assert.deepEqual(await entriesFor(h.runtime.database.db, rf), [{ kind: 'chargeback', postings: { acquiring_settlement: -7000, external_card_network: 7000 } }]);
      // Nothing is left: a second one is refused, and so is a refund.
      assertError(await h.call('session/chargeback', { session_id: sid }, { ...o, version }), 400, 'amount_exceeds_limit', `payment ${pm} is already refunded in full: nothing is left to charge back`);
      assertError(await h.call('session/refund', { session_id: sid }, { ...o, version }), 400, 'amount_exceeds_limit', `payment ${pm} is already refunded in full`);
    });

    test('after a partial refund, takes what is left', async () => {
      const { sid } = await paid(9000);
      await ok(h, 'session/refund', { session_id: sid, amount_details: USD(2500) }, { ...o, version });
      await hook(rx, sid, 2, 'payment_refunded');
      const res = await ok(h, 'session/chargeback', { session_id: sid }, { ...o, version });
      const refunds = res.session[L][0].refunds as Json[];
      assert.deepEqual(
        refunds.map((r) => [r['status'], r['is_chargeback'] ?? false, r['amount_details']]),
        [
          ['accepted', false, USD(2500)],
          ['accepted', true, USD(6500)],
        ],
      );
      await hook(rx, sid, 3, 'payment_refunded');
    });
  });
}

describe('session/chargeback refusals: precise, and nothing written', () => {
  async function refusedCleanly(body: unknown, status: number, code: string, description: string | RegExp, opts: CallOptions = o): Promise<void> {
    const before = await rowCounts(h.runtime.database.db);
    assertError(await h.call('session/chargeback', body, opts), status, code, description);
    assert.deepEqual(await rowCounts(h.runtime.database.db), before, 'a refusal writes nothing');
  }

  test('unknown session, another project’s session, a malformed body', async () => {
    await refusedCleanly({ session_id: 'ps_404' }, 404, 'session_not_found', 'session ps_404 not found');
    const { sid } = await paid(1000);
    await refusedCleanly({ session_id: sid }, 404, 'session_not_found', `session ${sid} not found`, {});
    await refusedCleanly({}, 400, 'invalid_request', 'session_id is required');
    await refusedCleanly({ session_id: 42 }, 400, 'invalid_request', /^session_id must be/);
  });

  test('a session without a payment; a payment still pending; a declined payment', async () => {
    const created = await ok(h, 'session/create', {}, o);
    await refusedCleanly({ session_id: created.session.id }, 409, 'invalid_session_state', `session ${created.session.id} holds no payment to charge back: it is created`);

    // The demo project confirms by hand: its payment waits (pending) for session/confirm.
    const pending = await ok(h, 'session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(1000), customer }, {});
    const psid: string = pending.session.id;
    const ppm: string = pending.session.acquiring_payments[0].id;
    await until(h, psid, (s) => s['next_action'] === 'confirm');
    await refusedCleanly({ session_id: psid }, 409, 'invalid_session_state', new RegExp(`^session ${psid} has no succeeded payment to charge back: its payment ${ppm} is pending`), {});
    await ok(h, 'session/cancel', { session_id: psid }, {});

    const declined = await ok(h, 'session/init/payment', { payment_details: bankCard('4000000000000002'), amount_details: USD(1000), customer }, o);
    const dsid: string = declined.session.id;
    await hook(rx, dsid, 1, 'payment_finished');
    await refusedCleanly({ session_id: dsid }, 409, 'invalid_session_state', `session ${dsid} has no succeeded payment to charge back: its payment ${declined.session.acquiring_payments[0].id} is failed`);
  });

  test('a payout session: payouts cannot be charged back', async () => {
    await topUp(h, P, 100_000);
    const init = await ok(h, 'session/init/payout', payoutBody('v1', dest.card(), USD(1000)), o);
    const sid: string = init.session.id;
    const po: string = init.session.payments[0].id;
    await hook(rx, sid, 1, 'payment_finished');
    await refusedCleanly({ session_id: sid }, 409, 'invalid_session_state', `session ${sid} holds no card payment to charge back: its payout ${po} is succeeded; payouts cannot be charged back`);
  });
});
