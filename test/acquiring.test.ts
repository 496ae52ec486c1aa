import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { newKeyPair, startHarness, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import {
  USD,
  assertError,
  captured,
  bankCard,
  hook,
  hooksFor,
  listOf,
  maskedCard,
  ok,
  patchProject,
  shape,
  statusOf,
  typesFor,
  until,
  type Version,
  refundAmounts,
} from './helpers/acquiring.js';

/**
 * Card acquiring end to end (docs/test-cards.md, "The flow, step by step"): every partner method
 * under /api/v1 and /api/v2, the 3-D Secure page, holds and captures, cancels, refunds, request
 * validation and every refusal, with whole bodies compared (ids and times as placeholders) and the
 * webhooks taken from a real receiver that checks their signatures.
 */
let h: Harness;
let rx: Receiver;
let publicUrl: string;

before(async () => {
  h = await startHarness();
  publicUrl = h.runtime.config.publicUrl;
  rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
  await patchProject(h, 'demo', { webhook_url: rx.url });
});
after(async () => {
  await h.close();
  await rx.close();
});

const customer = { reference: 'lucky', contacts: [{ email: 'lucky@example.com' }] };

/** Runs `fn` with the demo project's webhooks rendered in `version`, then puts v1 back. */
async function asVersion(version: Version, fn: () => Promise<void>): Promise<void> {
  if (version === 'v2') await patchProject(h, 'demo', { api_version: 'v2' });
  try {
    await fn();
  } finally {
    if (version === 'v2') await patchProject(h, 'demo', { api_version: 'v1' });
  }
}

async function threeDsPage(url: string) {
  const res = await h.runtime.app.inject({ method: 'GET', url: new URL(url).pathname });
  const field = (id: string) => new RegExp(`data-testid="${id}">([^<]*)<`).exec(res.body)?.[1];
  return { res, merchant: field('merchant'), amount: field('amount'), card: field('card') };
}

const answer3ds = (url: string, result: string) =>
  h.runtime.app.inject({ method: 'POST', url: new URL(url).pathname, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `result=${result}` });

for (const version of ['v1', 'v2'] as const) {
  const L = listOf(version);
  const other = version === 'v1' ? 'payment_list' : 'acquiring_payments';

  describe(`${version}: the card payment flow`, () => {
    test('3-D Secure card: init → ready_to_confirm → confirm → action_required → page → Confirm → payment_finished', async () => {
      await asVersion(version, async () => {
        const returnUrl = 'https://shop.example/back?order=7';
        const sent = {
          payment_details: bankCard('4000000000003220', { holder: 'ANN PAYER' }),
          amount_details: { amount: 12345, currency: 'USD' },
          customer,
          participant_details: { sender: { full_name: 'Ann Payer' } },
          payment_options: { return_url: returnUrl },
          metadata: { order: 7 },
        };
        const init = await ok(h, 'session/init/payment', sent, { version });
        const sid: string = init.session.id;
        const payment = {
          id: '<pm>',
          created_at: '<ts>',
          updated_at: '<ts>',
          customer,
          amount_details: USD(12345),
          participant_details: { sender: { full_name: 'Ann Payer' } },
          payment_options: { return_url: returnUrl },
          metadata: { order: 7 },
        };
        // Step 1: in_progress / in_progress; the masked card has no bin until the processor saw it.
        assert.deepEqual(shape(init), {
          status: 'ok',
          session: { id: '<ps>', status: 'in_progress', created_at: '<ts>', updated_at: '<ts>', [L]: [{ ...payment, status: 'in_progress', payment_details: maskedCard('visa', '3220') }] },
        });
        assert.equal(init.session[other], undefined);
        const pmId: string = init.session[L][0].id;

        // Step 2: the processor looked at the card: pending, next_action confirm, ready_to_confirm.
        const rtc = await hook(rx, sid, 1, 'ready_to_confirm');
        const seen = { ...payment, payment_details: maskedCard('visa', '3220', '400000') };
        assert.deepEqual(shape(rtc.session), {
          id: '<ps>',
          status: 'in_progress',
          created_at: '<ts>',
          updated_at: '<ts>',
          next_action: 'confirm',
          [L]: [{ ...seen, status: 'pending' }],
        });
        assert.deepEqual(await statusOf(h, sid, version), rtc.session);

        // Step 3: confirm → in_progress, no next_action.
        const confirmed = await ok(h, 'session/confirm', { session_id: sid }, { version });
        assert.deepEqual(shape(confirmed.session), { id: '<ps>', status: 'in_progress', created_at: '<ts>', updated_at: '<ts>', [L]: [{ ...seen, status: 'in_progress' }] });

        // Step 4: 3-D Secure: pending with a redirect to payrail's page, action_required.
        const ar = await hook(rx, sid, 2, 'action_required');
        const url = `${publicUrl}/3ds/<tds>`;
        assert.deepEqual(shape(ar.session), {
          id: '<ps>',
          status: 'in_progress',
          created_at: '<ts>',
          updated_at: '<ts>',
          [L]: [{ ...seen, status: 'pending', customer_interaction: { type: 'redirect', redirect: { url, base_url: url, method: 'GET', qs: {}, params: {} } }, transaction_info: { rrn: '<rrn>' } }],
        });
        const redirect = ar.session[L][0].customer_interaction.redirect.url as string;
        assert.equal(ar.session[L][0].customer_interaction.redirect.base_url, redirect);
        assert.deepEqual(await statusOf(h, sid, version), ar.session);

        // The page shows merchant, amount and masked card, with Confirm and Fail.
        const page = await threeDsPage(redirect);
        assert.equal(page.res.statusCode, 200);
        assert.equal(page.res.headers['content-type'], 'text/html; charset=utf-8');
        assert.equal(page.res.headers['cache-control'], 'no-store');
        assert.deepEqual([page.merchant, page.amount, page.card], ['demo', '123.45 USD', 'visa •••• 3220']);
        assert.match(page.res.body, /<button class="primary" type="submit" name="result" value="confirmed">Confirm<\/button>/);
        assert.match(page.res.body, /<button type="submit" name="result" value="failed">Fail<\/button>/);
        assert.ok(!page.res.body.includes('4000000000003220'));

        // Step 5: Confirm → 303 to return_url → succeeded / accepted, payment_finished.
        const answered = await answer3ds(redirect, 'confirmed');
        assert.equal(answered.statusCode, 303);
        assert.equal(answered.headers['location'], returnUrl);
        const fin = await hook(rx, sid, 3, 'payment_finished');
        assert.deepEqual(shape(fin.session), {
          id: '<ps>',
          status: 'accepted',
          created_at: '<ts>',
          updated_at: '<ts>',
          finished_at: '<ts>',
          [L]: [{ ...seen, status: 'succeeded', finished_at: '<ts>', transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' } }],
        });
        const s = fin.session as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        assert.equal(s['id'], sid);
        assert.equal(s[L][0].id, pmId);
        assert.equal(s['finished_at'], s[L][0].finished_at);
        assert.ok(s['created_at'] <= s[L][0].created_at && s[L][0].created_at <= s['finished_at']);
        assert.deepEqual(await statusOf(h, sid, version), fin.session);
        assert.deepEqual(captured(s[L][0]), USD(12345));
        assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'action_required', 'payment_finished']);

        // The step is over: the page says so and a second answer is refused.
        const again = await threeDsPage(redirect);
        assert.match(again.res.body, /<p>This verification is already complete\.<\/p>/);
        assert.ok(!again.res.body.includes('<form'));
        const unknown = await h.runtime.app.inject({ method: 'GET', url: '/3ds/AAAAAAAAAAAAAAAAAAAAAAAA' });
        assert.equal(unknown.statusCode, 404);
        assert.deepEqual(JSON.parse(unknown.body), { status: 'error', error: { code: 'not_found', description: 'no such 3-D Secure step' } });
        const late = await answer3ds(redirect, 'failed');
        assertError(
          { statusCode: late.statusCode, body: late.body, headers: late.headers, json: () => JSON.parse(late.body) },
          409,
          'invalid_session_state',
          `this 3-D Secure step is over: its payment ${pmId} is succeeded`,
        );
        assert.deepEqual(await statusOf(h, sid, version), fin.session);
      });
    });

    test('hold: ready_to_capture → partial capture → payment_finished; refunds up to what was captured', async () => {
      await asVersion(version, async () => {
        const init = await ok(
          h,
          'session/init/payment',
          { payment_details: bankCard('5555555555554444'), amount_details: USD(10000), customer, payment_options: { hold: true } },
          { version },
        );
        const sid: string = init.session.id;
        const base = { id: '<pm>', created_at: '<ts>', updated_at: '<ts>', customer, amount_details: USD(10000), payment_options: { hold: true } };
        const card = maskedCard('mastercard', '4444', '555555');
        await hook(rx, sid, 1, 'ready_to_confirm');
        await ok(h, 'session/confirm', { session_id: sid }, { version });

        const rtc = await hook(rx, sid, 2, 'ready_to_capture');
        assert.deepEqual(shape(rtc.session), {
          id: '<ps>',
          status: 'in_progress',
          created_at: '<ts>',
          updated_at: '<ts>',
          next_action: 'capture',
          [L]: [{ ...base, status: 'pending', payment_details: card, transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' } }],
        });
        assert.deepEqual(await statusOf(h, sid, version), rtc.session);

        const capture = await ok(h, 'session/capture', { session_id: sid, amount_details: { amount: 6000, currency: 'USD' } }, { version });
        assert.deepEqual(shape(capture.session), {
          id: '<ps>',
          status: 'in_progress',
          created_at: '<ts>',
          updated_at: '<ts>',
          [L]: [{ ...base, status: 'in_progress', payment_details: card, transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' } }],
        });
        const fin = await hook(rx, sid, 3, 'payment_finished');
        const done = { ...base, status: 'succeeded', finished_at: '<ts>', payment_details: card, transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' } };
        assert.deepEqual(shape(fin.session), { id: '<ps>', status: 'accepted', created_at: '<ts>', updated_at: '<ts>', finished_at: '<ts>', [L]: [done] });
        assert.deepEqual(fin.session[L][0].amounts.gross, USD(6000), 'a partial capture shows the captured gross amount');
        assert.deepEqual(captured(fin.session[L][0]), USD(6000));
        assert.equal(fin.session[L][0].transaction_info.rrn, rtc.session[L][0].transaction_info.rrn, 'the capture keeps the authorization');

        // A partial refund: the session goes back to in_progress, the refund is in_progress.
        const r1 = await ok(h, 'session/refund', { session_id: sid, amount_details: USD(2500), metadata: { reason: 'one item' } }, { version });
        const refund1 = { id: '<rf>', created_at: '<ts>', is_chargeback: false, amount_details: USD(2500), amounts: refundAmounts(USD(2500)), metadata: { reason: 'one item' } };
        assert.deepEqual(shape(r1.session), {
          id: '<ps>',
          status: 'in_progress',
          created_at: '<ts>',
          updated_at: '<ts>',
          [L]: [{ ...done, refunds: [{ ...refund1, status: 'in_progress' }] }],
        });
        const rf1 = await hook(rx, sid, 4, 'payment_refunded');
        assert.deepEqual(shape(rf1.session), {
          id: '<ps>',
          status: 'accepted',
          created_at: '<ts>',
          updated_at: '<ts>',
          finished_at: '<ts>',
          [L]: [{ ...done, refunds: [{ ...refund1, status: 'accepted', finished_at: '<ts>' }] }],
        });
        const rf1Id: string = r1.session[L][0].refunds[0].id;
        assert.equal(rf1.session[L][0].refunds[0].id, rf1Id);

        // More than is left (3500) is refused; the rest, without an amount, is refunded in full.
        const over = await h.call('session/refund', { session_id: sid, amount_details: USD(3501) }, { version });
        assertError(over, 400, 'amount_exceeds_limit', 'amount_details.amount 3501 exceeds what can still be refunded (3500 usd)');
        const r2 = await ok(h, 'session/refund', { session_id: sid }, { version });
        assert.deepEqual(
          shape(r2.session[L][0].refunds),
          [
            { ...refund1, status: 'accepted', finished_at: '<ts>' },
            { id: '<rf>', status: 'in_progress', created_at: '<ts>', is_chargeback: false, amount_details: USD(3500), amounts: refundAmounts(USD(3500)) },
          ],
        );
        const rf2 = await hook(rx, sid, 5, 'payment_refunded');
        assert.equal(rf2.session['status'], 'accepted');
        assert.deepEqual(rf2.session[L][0].refunds.map((r: { status: string; amount_details: { amount: number } }) => [r.status, r.amount_details.amount]), [
          ['accepted', 2500],
          ['accepted', 3500],
        ]);
        assert.deepEqual(await statusOf(h, sid, version), rf2.session);
        const full = await h.call('session/refund', { session_id: sid }, { version });
        assertError(full, 400, 'amount_exceeds_limit', `payment ${init.session[L][0].id} is already refunded in full`);
        assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'ready_to_capture', 'payment_finished', 'payment_refunded', 'payment_refunded']);
      });
    });

    test('hold captured in full, then refunded in full without an amount', async () => {
      await asVersion(version, async () => {
        const init = await ok(h, 'session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(7000), customer, payment_options: { hold: true } }, { version });
        const sid: string = init.session.id;
        await hook(rx, sid, 1, 'ready_to_confirm');
        await ok(h, 'session/confirm', { session_id: sid }, { version });
        await hook(rx, sid, 2, 'ready_to_capture');
        await ok(h, 'session/capture', { session_id: sid }, { version });
        const fin = await hook(rx, sid, 3, 'payment_finished');
        const done = {
          id: '<pm>',
          status: 'succeeded',
          created_at: '<ts>',
          updated_at: '<ts>',
          finished_at: '<ts>',
          customer,
          payment_details: maskedCard('visa', '4242', '424242'),
          amount_details: USD(7000),
          payment_options: { hold: true },
          transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' },
        };
        assert.deepEqual(shape(fin.session), { id: '<ps>', status: 'accepted', created_at: '<ts>', updated_at: '<ts>', finished_at: '<ts>', [L]: [done] });
        assert.deepEqual(captured(fin.session[L][0]), USD(7000));
        const refunded = await ok(h, 'session/refund', { session_id: sid }, { version });
        assert.deepEqual(shape(refunded.session[L][0].refunds), [{ id: '<rf>', status: 'in_progress', created_at: '<ts>', is_chargeback: false, amount_details: USD(7000), amounts: refundAmounts(USD(7000)) }]);
        const rf = await hook(rx, sid, 4, 'payment_refunded');
        assert.deepEqual(shape(rf.session), {
          id: '<ps>',
          status: 'accepted',
          created_at: '<ts>',
          updated_at: '<ts>',
          finished_at: '<ts>',
          [L]: [{ ...done, refunds: [{ id: '<rf>', status: 'accepted', created_at: '<ts>', finished_at: '<ts>', is_chargeback: false, amount_details: USD(7000), amounts: refundAmounts(USD(7000)) }] }],
        });
      });
    });

    test('cancel releases a hold: in_progress at once, then failed with cancelled_by_partner, session cancelled', async () => {
      await asVersion(version, async () => {
        const init = await ok(h, 'session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(5000), customer, payment_options: { hold: true } }, { version });
        const sid: string = init.session.id;
        await hook(rx, sid, 1, 'ready_to_confirm');
        await ok(h, 'session/confirm', { session_id: sid }, { version });
        await hook(rx, sid, 2, 'ready_to_capture');
        const base = {
          id: '<pm>',
          created_at: '<ts>',
          updated_at: '<ts>',
          customer,
          payment_details: maskedCard('visa', '4242', '424242'),
          amount_details: USD(5000),
          payment_options: { hold: true },
          transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' },
        };
        const cancelled = await ok(h, 'session/cancel', { session_id: sid }, { version });
        assert.deepEqual(shape(cancelled.session), { id: '<ps>', status: 'in_progress', created_at: '<ts>', updated_at: '<ts>', [L]: [{ ...base, status: 'in_progress' }] });
        const fin = await hook(rx, sid, 3, 'payment_finished');
        assert.deepEqual(shape(fin.session), {
          id: '<ps>',
          status: 'cancelled',
          created_at: '<ts>',
          updated_at: '<ts>',
          finished_at: '<ts>',
          [L]: [
            {
              ...base,
              status: 'failed',
              finished_at: '<ts>',
              error: { code: 'cancelled_by_partner', description: 'the partner cancelled the payment (session/cancel); the hold was released' },
            },
          ],
        });
        assert.deepEqual(await statusOf(h, sid, version), fin.session);
        assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'ready_to_capture', 'payment_finished']);
      });
    });

    test('cancel at ready_to_confirm: failed with cancelled_by_partner at once, session cancelled, payment_finished', async () => {
      await asVersion(version, async () => {
        const init = await ok(h, 'session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(900), customer }, { version });
        const sid: string = init.session.id;
        await hook(rx, sid, 1, 'ready_to_confirm');
        const cancelled = await ok(h, 'session/cancel', { session_id: sid }, { version });
        const expected = {
          id: '<ps>',
          status: 'cancelled',
          created_at: '<ts>',
          updated_at: '<ts>',
          finished_at: '<ts>',
          [L]: [
            {
              id: '<pm>',
              status: 'failed',
              created_at: '<ts>',
              updated_at: '<ts>',
              finished_at: '<ts>',
              customer,
              payment_details: maskedCard('visa', '4242', '424242'),
              amount_details: USD(900),
              error: { code: 'cancelled_by_partner', description: 'the partner cancelled the payment (session/cancel)' },
            },
          ],
        };
        assert.deepEqual(shape(cancelled.session), expected);
        const fin = await hook(rx, sid, 2, 'payment_finished');
        assert.deepEqual(fin.session, cancelled.session);
        // Cancelling no longer fits: the error names the state.
        const again = await h.call('session/cancel', { session_id: sid }, { version });
        assertError(again, 409, 'invalid_session_state', `session ${sid} cannot be cancelled now: its payment ${init.session[L][0].id} is failed`);
        const confirm = await h.call('session/confirm', { session_id: sid }, { version });
        assertError(confirm, 409, 'invalid_session_state', `session ${sid} is not waiting for confirmation: its payment ${init.session[L][0].id} is failed`);
        assert.deepEqual(await statusOf(h, sid, version), cancelled.session);
      });
    });

    test('session/create stores parameters; start/payment supplies the rest and overrides what it repeats', async () => {
      await asVersion(version, async () => {
        const created = await ok(h, 'session/create', { amount_details: { amount: 100, currency: 'eur' }, customer, metadata: 'from-create', payment_options: { return_url: 'https://shop.example/a' } }, { version });
        const sid: string = created.session.id;
        assert.deepEqual(shape(created.session), { id: '<ps>', status: 'created', created_at: '<ts>', updated_at: '<ts>' });
        const started = await ok(
          h,
          'session/start/payment',
          { session_id: sid, payment_details: bankCard('4242424242424242'), amount_details: { amount: 2500, currency: 'GBP' }, metadata: 'from-start' },
          { version },
        );
        const payment = {
          id: '<pm>',
          created_at: '<ts>',
          updated_at: '<ts>',
          customer,
          amount_details: { amount: 2500, currency: 'gbp' },
          payment_options: { return_url: 'https://shop.example/a' },
          metadata: 'from-start',
        };
        assert.deepEqual(shape(started.session), {
          id: '<ps>',
          status: 'in_progress',
          created_at: '<ts>',
          updated_at: '<ts>',
          [L]: [{ ...payment, status: 'in_progress', payment_details: maskedCard('visa', '4242') }],
        });
        assert.equal(started.session['id'], sid);
        assert.equal(started.session['created_at'], created.session['created_at']);
        await hook(rx, sid, 1, 'ready_to_confirm');
        await ok(h, 'session/confirm', { session_id: sid }, { version });
        const fin = await hook(rx, sid, 2, 'payment_finished');
        assert.deepEqual(shape(fin.session), {
          id: '<ps>',
          status: 'accepted',
          created_at: '<ts>',
          updated_at: '<ts>',
          finished_at: '<ts>',
          [L]: [{ ...payment, status: 'succeeded', finished_at: '<ts>', payment_details: maskedCard('visa', '4242', '424242'), transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' } }],
        });
      });
    });

    test('a card given to session/create is used by a start that names only the session', async () => {
      await asVersion(version, async () => {
        const created = await ok(h, 'session/create', { payment_details: bankCard('5555555555554444', { cvc: '4821' }), amount_details: USD(4200), customer }, { version });
        const sid: string = created.session.id;
        const started = await ok(h, 'session/start/payment', { session_id: sid }, { version });
        assert.deepEqual(shape(started.session[L]), [
          { id: '<pm>', status: 'in_progress', created_at: '<ts>', updated_at: '<ts>', customer, payment_details: maskedCard('mastercard', '4444'), amount_details: USD(4200) },
        ]);
        await hook(rx, sid, 1, 'ready_to_confirm');
        await ok(h, 'session/confirm', { session_id: sid }, { version });
        const fin = await hook(rx, sid, 2, 'payment_finished');
        assert.equal(fin.session['status'], 'accepted');
        assert.deepEqual(fin.session[L][0].payment_details, maskedCard('mastercard', '4444', '555555'));
      });
    });

    test('the 3-D Secure page answered Fail: failed with 3DS_error, session cancelled, payment_finished', async () => {
      await asVersion(version, async () => {
        // Without a return_url the page answers with its own "failed" page instead of redirecting.
        const init = await ok(h, 'session/init/payment', { payment_details: bankCard('4000000000003220'), amount_details: { amount: 1500, currency: 'jpy' }, customer }, { version });
        const sid: string = init.session.id;
        await hook(rx, sid, 1, 'ready_to_confirm');
        await ok(h, 'session/confirm', { session_id: sid }, { version });
        const ar = await hook(rx, sid, 2, 'action_required');
        const url = ar.session[L][0].customer_interaction.redirect.url as string;
        const page = await threeDsPage(url);
        assert.deepEqual([page.merchant, page.amount, page.card], ['demo', '1500 JPY', 'visa •••• 3220']);
        const bad = await answer3ds(url, 'maybe');
        assert.equal(bad.statusCode, 400);
        assert.deepEqual(JSON.parse(bad.body), { status: 'error', error: { code: 'invalid_request', description: 'result must be "confirmed" or "failed"' } });
        const answered = await answer3ds(url, 'failed');
        assert.equal(answered.statusCode, 200);
        assert.match(answered.body, /<h1>Verification failed<\/h1>/);
        const fin = await hook(rx, sid, 3, 'payment_finished');
        assert.deepEqual(shape(fin.session), {
          id: '<ps>',
          status: 'cancelled',
          created_at: '<ts>',
          updated_at: '<ts>',
          finished_at: '<ts>',
          [L]: [
            {
              id: '<pm>',
              status: 'failed',
              created_at: '<ts>',
              updated_at: '<ts>',
              finished_at: '<ts>',
              customer,
              payment_details: maskedCard('visa', '3220', '400000'),
              amount_details: { amount: 1500, currency: 'jpy' },
              error: { code: '3DS_error', description: 'the payer failed 3-D Secure authentication' },
              transaction_info: { rrn: '<rrn>' }, // the authorization the challenge held
            },
          ],
        });
        assert.deepEqual(await statusOf(h, sid, version), fin.session);
      });
    });
  });
}

describe('auto_confirm', () => {
  test('no ready_to_confirm and no confirm: the payment goes to the issuer at once', async () => {
    await patchProject(h, 'demo', { auto_confirm: true });
    try {
      const init = await ok(h, 'session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(3100), customer });
      const sid: string = init.session.id;
      const fin = await hook(rx, sid, 1, 'payment_finished');
      assert.deepEqual(shape(fin.session), {
        id: '<ps>',
        status: 'accepted',
        created_at: '<ts>',
        updated_at: '<ts>',
        finished_at: '<ts>',
        acquiring_payments: [
          {
            id: '<pm>',
            status: 'succeeded',
            created_at: '<ts>',
            updated_at: '<ts>',
            finished_at: '<ts>',
            customer,
            payment_details: maskedCard('visa', '4242', '424242'),
            amount_details: USD(3100),
            transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' },
          },
        ],
      });
      const confirm = await h.call('session/confirm', { session_id: sid });
      assertError(confirm, 409, 'invalid_session_state', `session ${sid} is not waiting for confirmation: its payment ${init.session['acquiring_payments'][0].id} is succeeded`);

      // A 3-D Secure card still stops for the payer: action_required is the first webhook.
      const tds = await ok(h, 'session/init/payment', { payment_details: bankCard('4000000000003220'), amount_details: USD(3100), customer });
      const ar = await hook(rx, tds.session.id, 1, 'action_required');
      assert.equal(ar.session['next_action'], undefined);
      assert.equal(ar.session['acquiring_payments'][0].status, 'pending');
      const page = await answer3ds(ar.session['acquiring_payments'][0].customer_interaction.redirect.url, 'confirmed');
      assert.equal(page.statusCode, 200);
      await hook(rx, tds.session.id, 2, 'payment_finished');
      assert.deepEqual(typesFor(rx, tds.session.id), ['action_required', 'payment_finished']);
      assert.deepEqual(typesFor(rx, sid), ['payment_finished']);
    } finally {
      await patchProject(h, 'demo', { auto_confirm: false });
    }
  });
});

describe('request validation', () => {
  /** Appends the Luhn check digit. */
  const luhn = (body: string) => {
    let sum = 0;
    for (let i = 0; i < body.length; i++) {
      let d = Number(body[body.length - 1 - i]);
      if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    return body + String((10 - (sum % 10)) % 10);
  };
  const P = 'payment_details.card.bank_card';
  const cases: [string, Record<string, unknown>, string][] = [
    ['11 digits', bankCard(luhn('4242424242')), `${P}.number must be 12 to 19 digits`],
    ['20 digits', bankCard(luhn('4242424242424242424')), `${P}.number must be 12 to 19 digits`],
    ['Luhn failure', bankCard('4242424242424241'), `${P}.number is not a valid card number (Luhn check failed)`],
    ['Luhn failure, 19 digits', bankCard('4242424242424242426'), `${P}.number is not a valid card number (Luhn check failed)`],
    ['spaces in the number', bankCard('4242 4242 4242 4242'), `${P}.number must be 12 to 19 digits`],
    ['a number as a JSON number', { type: 'card', card: { type: 'bank_card', bank_card: { number: 4242424242424242, expiration_month: '12', expiration_year: '30' } } }, `${P}.number must be 12 to 19 digits`],
    ['month 13', bankCard('4242424242424242', { month: '13' }), `${P}.expiration_month must be a two-digit month, 01 to 12`],
    ['month 00', bankCard('4242424242424242', { month: '00' }), `${P}.expiration_month must be a two-digit month, 01 to 12`],
    ['month 1', bankCard('4242424242424242', { month: '1' }), `${P}.expiration_month must be a two-digit month, 01 to 12`],
    ['year 2030', bankCard('4242424242424242', { year: '2030' }), `${P}.expiration_year must be a two-digit year, YY`],
    ['year 3', bankCard('4242424242424242', { year: '3' }), `${P}.expiration_year must be a two-digit year, YY`],
    ['CVC of 2 digits', bankCard('4242424242424242', { cvc: '12' }), `${P}.security_code must be 3 or 4 digits`],
    ['CVC of 5 digits', bankCard('4242424242424242', { cvc: '12345' }), `${P}.security_code must be 3 or 4 digits`],
    ['CVC with a letter', bankCard('4242424242424242', { cvc: '12a' }), `${P}.security_code must be 3 or 4 digits`],
    ['no expiry month', { type: 'card', card: { type: 'bank_card', bank_card: { number: '4242424242424242', expiration_year: '30' } } }, `${P}.expiration_month is required`],
    ['no expiry year', { type: 'card', card: { type: 'bank_card', bank_card: { number: '4242424242424242', expiration_month: '12' } } }, `${P}.expiration_year is required`],
    ['no number', { type: 'card', card: { type: 'bank_card', bank_card: { expiration_month: '12', expiration_year: '30' } } }, `${P}.number is required`],
  ];
  const count = async (table: 'sessions' | 'cards' | 'payments') =>
    Number((await h.runtime.database.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

  for (const [name, details, description] of cases) {
    test(`${name} → invalid_request, on init and on start, and nothing is written`, async () => {
      const before = [await count('sessions'), await count('cards'), await count('payments')];
      for (const version of ['v1', 'v2'] as const) {
        const init = await h.call('session/init/payment', { payment_details: details, amount_details: USD(100), customer }, { version });
        assertError(init, 400, 'invalid_request', description);
      }
      assert.deepEqual([await count('sessions'), await count('cards'), await count('payments')], before);
      const created = await ok(h, 'session/create', {});
      const start = await h.call('session/start/payment', { session_id: created.session.id, payment_details: details, amount_details: USD(100), customer });
      assertError(start, 400, 'invalid_request', description);
      assert.deepEqual(await statusOf(h, created.session.id), created.session);
    });
  }

  test('12 and 19 digits that pass Luhn, and a 4-digit or no security code, are accepted', async () => {
    for (const [number, o, brand] of [
      [luhn('42424242424'), { cvc: '1234' }, 'visa'],
      [luhn('424242424242424242'), { cvc: undefined }, 'visa'],
      [luhn('22000000000000'), {}, 'mir'],
    ] as const) {
      const res = await ok(h, 'session/init/payment', { payment_details: bankCard(number, o), amount_details: USD(100), customer });
      assert.deepEqual(res.session['acquiring_payments'][0].payment_details, maskedCard(brand, number.slice(-4)));
    }
  });

  test('a well-formed expiry that has passed is not a validation error', async () => {
    const res = await ok(h, 'session/init/payment', { payment_details: bankCard('4242424242424242', { month: '01', year: '20' }), amount_details: USD(100), customer });
    assert.equal(res.session['status'], 'in_progress');
    assert.equal(res.session['acquiring_payments'][0].status, 'in_progress');
  });

  test('what session/create omitted must come with start/payment: the error names the missing field', async () => {
    const full = { payment_details: bankCard('4242424242424242'), amount_details: USD(100), customer };
    for (const missing of ['payment_details', 'amount_details', 'customer'] as const) {
      const created = await ok(h, 'session/create', { metadata: 'x' });
      const sid: string = created.session.id;
      const { [missing]: _, ...rest } = full;
      for (const version of ['v1', 'v2'] as const) {
        const res = await h.call('session/start/payment', { session_id: sid, ...rest }, { version });
        assertError(res, 400, 'invalid_request', `${missing} is required (it was given neither to session/create nor here)`);
      }
      assert.deepEqual(await statusOf(h, sid), created.session);
      // init/payment has no session/create before it: its schema requires all three.
      const init = await h.call('session/init/payment', rest);
      assertError(init, 400, 'invalid_request', `${missing} is required`);
    }
  });

  test('card sources this server cannot charge are refused by name', async () => {
    // Every source of §6.7 is charged now (test/payment-sources.test.ts); what is refused is named.
    const cases: [unknown, string][] = [
      [{ type: 'card', card: { type: 'tokenized_card', tokenized_card: { token: 'tok_1' } } }, "payment_details.card.tokenized_card.token cannot be opened: it is not one of the sandbox's test tokens (docs/test-cards.md)"],
      [{ type: 'faster_payment_system' }, 'amount_details.currency must be RUB for a faster_payment_system payment (it is USD)'],
      [
        { type: 'card', card: { type: 'encrypted_card', encrypted_card: { number_hash: 'f'.repeat(64) } } },
        'payment_details.card.encrypted_card.number_hash does not name a card of this project (tokenize the card first)',
      ],
    ];
    for (const [details, description] of cases) {
      const res = await h.call('session/init/payment', { payment_details: details, amount_details: USD(100), customer });
      assertError(res, 400, 'invalid_request', description);
    }
  });

  test('payment_options are validated', async () => {
    const base = { payment_details: bankCard('4242424242424242'), amount_details: USD(100), customer };
    assertError(await h.call('session/init/payment', { ...base, payment_options: { return_url: 'back' } }), 400, 'invalid_request', 'payment_options.return_url must be an absolute URL');
    assertError(await h.call('session/init/payment', { ...base, payment_options: { hold: 'yes' } }), 400, 'invalid_request', 'payment_options.hold must be a boolean');
    assertError(await h.call('session/init/payment', { ...base, customer: { reference: '' } }), 400, 'invalid_request', 'customer.reference must be a non-empty string of at most 255 characters');
  });

  test('a currency payrail does not know is refused', async () => {
    const res = await h.call('session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: { amount: 100, currency: 'xyz' }, customer });
    assertError(res, 400, 'invalid_request', 'amount_details.currency must be an ISO 4217 currency code');
  });
});

describe('refunds', () => {
  async function paid(amount: number, project?: { name: string; key: KeyObject }) {
    const opts = project ? { project: project.name, key: project.key } : {};
    const init = await ok(h, 'session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(amount), customer }, opts);
    const sid: string = init.session.id;
    await hook(rx, sid, 1, 'ready_to_confirm');
    await ok(h, 'session/confirm', { session_id: sid }, opts);
    await hook(rx, sid, 2, 'payment_finished');
    return { sid, pm: init.session['acquiring_payments'][0].id as string, opts };
  }

  test('several partial refunds, back to back, up to the captured amount; each one ends in payment_refunded', async () => {
    const { sid, pm } = await paid(10000);
    const amounts = [3000, 2000, 4000];
    for (const a of amounts) await ok(h, 'session/refund', { session_id: sid, amount_details: USD(a) });
    // In-progress refunds count against the limit: 1000 is left.
    const over = await h.call('session/refund', { session_id: sid, amount_details: USD(1001) });
    assertError(over, 400, 'amount_exceeds_limit', 'amount_details.amount 1001 exceeds what can still be refunded (1000 usd)');
    await ok(h, 'session/refund', { session_id: sid, amount_details: USD(1000) });
    const hooks = await hooksFor(rx, sid, 6);
    assert.deepEqual(hooks.map((r) => r.json.type), ['ready_to_confirm', 'payment_finished', 'payment_refunded', 'payment_refunded', 'payment_refunded', 'payment_refunded']);
    const s = await until(h, sid, (x) => x['status'] === 'accepted');
    assert.deepEqual(
      s['acquiring_payments'][0].refunds.map((r: { id: string; status: string; amount_details: unknown }) => [r.status, r.amount_details]),
      [...amounts, 1000].map((a) => ['accepted', USD(a)]),
    );
    assert.equal(new Set(s['acquiring_payments'][0].refunds.map((r: { id: string }) => r.id)).size, 4);
    assert.equal(s['acquiring_payments'][0].status, 'succeeded');
    assert.deepEqual(hooks.at(-1)!.json.session, s);
    assertError(await h.call('session/refund', { session_id: sid, amount_details: USD(1) }), 400, 'amount_exceeds_limit', `payment ${pm} is already refunded in full`);
  });

  test('a project without allow_partial_refunds refuses a partial refund (authorization_error) and takes a full one', async () => {
    const { publicPem, privateKey } = newKeyPair();
    const created = await h.admin('POST', '/projects', { name: 'strict-shop', public_key: publicPem, settings: { webhook_url: rx.url } });
    assert.equal(created.statusCode, 200, created.body);
    assert.equal(created.json().project.settings.allow_partial_refunds, false);
    const { sid, pm, opts } = await paid(8000, { name: 'strict-shop', key: privateKey });
    assertError(await h.call('session/status', { session_id: sid }), 404, 'session_not_found', `session ${sid} not found`);
    const mine = (await ok(h, 'session/status', { session_id: sid }, opts)).session;
    const partial = await h.call('session/refund', { session_id: sid, amount_details: USD(100) }, opts);
    assertError(partial, 403, 'authorization_error', 'partial refunds are not enabled for project "strict-shop"; omit amount_details to refund the payment in full');
    assert.deepEqual((await ok(h, 'session/status', { session_id: sid }, opts)).session, mine);
    // The demo project cannot refund it at all: to demo, the session does not exist.
    assertError(await h.call('session/refund', { session_id: sid }), 404, 'session_not_found', `session ${sid} not found`);
    const whole = await ok(h, 'session/refund', { session_id: sid, amount_details: USD(8000) }, opts);
    assert.deepEqual(shape(whole.session['acquiring_payments'][0].refunds), [{ id: '<rf>', status: 'in_progress', created_at: '<ts>', is_chargeback: false, amount_details: USD(8000), amounts: refundAmounts(USD(8000)) }]);
    const rf = await hook(rx, sid, 3, 'payment_refunded');
    assert.equal(rf.session['acquiring_payments'][0].refunds[0].status, 'accepted');
    assertError(await h.call('session/refund', { session_id: sid }, opts), 400, 'amount_exceeds_limit', `payment ${pm} is already refunded in full`);

    // The same refusal on demo once allow_partial_refunds is switched off.
    await patchProject(h, 'demo', { allow_partial_refunds: false });
    try {
      const d = await paid(500);
      const s0 = await statusOf(h, d.sid);
      assertError(
        await h.call('session/refund', { session_id: d.sid, amount_details: USD(499) }),
        403,
        'authorization_error',
        'partial refunds are not enabled for project "demo"; omit amount_details to refund the payment in full',
      );
      assert.deepEqual(await statusOf(h, d.sid), s0);
      await ok(h, 'session/refund', { session_id: d.sid });
      await hook(rx, d.sid, 3, 'payment_refunded');
    } finally {
      await patchProject(h, 'demo', { allow_partial_refunds: true });
    }
  });
});

describe('refusals change nothing', () => {
  /** Calls `method` expecting the refusal, then checks the session and its webhooks are as before. */
  async function refused(sid: string, method: string, body: Record<string, unknown>, status: number, code: string, description: string, version: Version = 'v1') {
    const before = await statusOf(h, sid, version);
    const hooks = typesFor(rx, sid).length;
    const jobs = await h.runtime.database.db.selectFrom('jobs').select(['kind', 'unique_key', 'run_at']).where('kind', 'like', 'payment.%').orderBy('id').execute();
    const res = await h.call(method, { session_id: sid, ...body }, { version });
    assertError(res, status, code, description);
    assert.deepEqual(await statusOf(h, sid, version), before, `${method} changed the session`);
    assert.deepEqual(await h.runtime.database.db.selectFrom('jobs').select(['kind', 'unique_key', 'run_at']).where('kind', 'like', 'payment.%').orderBy('id').execute(), jobs, `${method} queued or removed a job`);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(typesFor(rx, sid).length, hooks, `${method} sent a webhook`);
  }
  const state = (description: string) => [409, 'invalid_session_state', description] as const;

  test('an unknown session, for every method and both versions', async () => {
    for (const version of ['v1', 'v2'] as const) {
      for (const method of ['session/start/payment', 'session/confirm', 'session/cancel', 'session/capture', 'session/refund', 'session/status']) {
        const res = await h.call(method, { session_id: 'ps_1000000000000000000' }, { version });
        assertError(res, 404, 'session_not_found', 'session ps_1000000000000000000 not found');
      }
    }
    assertError(await h.call('session/confirm', {}), 400, 'invalid_request', 'session_id is required');
  });

  test('a session with no payment, and one cancelled before any', async () => {
    const { session } = await ok(h, 'session/create', { amount_details: USD(100) });
    const sid: string = session.id;
    await refused(sid, 'session/confirm', {}, ...state(`session ${sid} has no operation waiting for confirmation (it is created)`));
    await refused(sid, 'session/capture', {}, ...state(`session ${sid} has no payment to capture`));
    await refused(sid, 'session/refund', {}, ...state(`session ${sid} has no succeeded payment to refund`));
    const cancelled = await ok(h, 'session/cancel', { session_id: sid });
    assert.deepEqual(shape(cancelled.session), { id: '<ps>', status: 'cancelled', created_at: '<ts>', updated_at: '<ts>', finished_at: '<ts>' });
    assert.deepEqual(await statusOf(h, sid), cancelled.session);
    await refused(sid, 'session/cancel', {}, ...state(`session ${sid} cannot be cancelled: it is cancelled`));
    await refused(sid, 'session/confirm', {}, ...state(`session ${sid} has no operation waiting for confirmation (it is cancelled)`), 'v2');
    await refused(sid, 'session/start/payment', { payment_details: bankCard('4242424242424242'), customer }, ...state(`session ${sid} cannot start a payment: it is cancelled`));
  });

  test('waiting for confirmation: capture and refund are refused; a second start adds a second payment', async () => {
    const init = await ok(h, 'session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(100), customer });
    const sid: string = init.session.id;
    const pm: string = init.session['acquiring_payments'][0].id;
    await hook(rx, sid, 1, 'ready_to_confirm');
    await refused(sid, 'session/capture', {}, ...state(`session ${sid} is not waiting for capture: its payment ${pm} is pending`));
    await refused(sid, 'session/refund', {}, ...state(`session ${sid} has no succeeded payment to refund`));
    // A session holds several operations (docs/decisions.md): the second start is a second payment.
    const second = await ok(h, 'session/start/payment', { session_id: sid, payment_details: bankCard('4242424242424242') });
    assert.deepEqual(second.session['acquiring_payments'].map((p: { id: string; status: string }) => [p.id === pm, p.status]), [[true, 'pending'], [false, 'in_progress']]);
    const cancelled = await ok(h, 'session/cancel', { session_id: sid });
    assert.equal(cancelled.session['acquiring_payments'][0].status, 'failed', 'the waiting payment is cancelled; the one still prechecking goes on');
  });

  test('waiting for the payer on 3-D Secure: confirm, cancel, capture and refund are refused', async () => {
    const init = await ok(h, 'session/init/payment', { payment_details: bankCard('4000000000003220'), amount_details: USD(100), customer, payment_options: { hold: true } });
    const sid: string = init.session.id;
    const pm: string = init.session['acquiring_payments'][0].id;
    await hook(rx, sid, 1, 'ready_to_confirm');
    await ok(h, 'session/confirm', { session_id: sid });
    // Confirmed, not yet at the issuer's answer: a second confirm is refused too (in_progress or pending).
    const second = await h.call('session/confirm', { session_id: sid });
    assert.equal(second.statusCode, 409);
    assert.match(second.json().error.description, new RegExp(`^session ${sid} is not waiting for confirmation: its payment ${pm} is (in_progress|pending \\(waiting for the payer on 3-D Secure\\))$`));
    const ar = await hook(rx, sid, 2, 'action_required');
    const waiting = `its payment ${pm} is pending (waiting for the payer on 3-D Secure)`;
    await refused(sid, 'session/confirm', {}, ...state(`session ${sid} is not waiting for confirmation: ${waiting}`));
    await refused(sid, 'session/cancel', {}, ...state(`session ${sid} cannot be cancelled now: ${waiting}`));
    await refused(sid, 'session/capture', {}, ...state(`session ${sid} is not waiting for capture: ${waiting}`));
    await refused(sid, 'session/refund', {}, ...state(`session ${sid} has no succeeded payment to refund`));
    await answer3ds(ar.session['acquiring_payments'][0].customer_interaction.redirect.url, 'confirmed');

    // Now a hold waiting for capture: capture over the hold or in another currency is refused.
    await hook(rx, sid, 3, 'ready_to_capture');
    await refused(sid, 'session/confirm', {}, ...state(`session ${sid} is not waiting for confirmation: its payment ${pm} is pending`));
    await refused(sid, 'session/refund', {}, ...state(`session ${sid} has no succeeded payment to refund`));
    await refused(sid, 'session/capture', { amount_details: USD(101) }, 400, 'amount_exceeds_limit', 'amount_details.amount 101 exceeds the amount on hold (100 usd)');
    await refused(sid, 'session/capture', { amount_details: { amount: 50, currency: 'EUR' } }, 400, 'invalid_request', "amount_details.currency eur differs from the payment's currency usd");
    await refused(sid, 'session/capture', { amount_details: { amount: 0, currency: 'usd' } }, 400, 'invalid_request', 'amount_details.amount must be a positive integer', 'v2');
    await ok(h, 'session/capture', { session_id: sid, amount_details: { amount: 100, currency: 'USD' } });
    // Capturing (in_progress) or already captured (succeeded): either way a second capture is refused.
    const twice = await h.call('session/capture', { session_id: sid });
    assert.equal(twice.statusCode, 409);
    assert.match(twice.json().error.description, new RegExp(`^session ${sid} is not waiting for capture: its payment ${pm} is (in_progress|succeeded)$`));
    await hook(rx, sid, 4, 'payment_finished');
  });

  test('succeeded: confirm, cancel, capture, and a refund over the limit or in another currency are refused', async () => {
    const init = await ok(h, 'session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(2000), customer });
    const sid: string = init.session.id;
    const pm: string = init.session['acquiring_payments'][0].id;
    await hook(rx, sid, 1, 'ready_to_confirm');
    await ok(h, 'session/confirm', { session_id: sid });
    await hook(rx, sid, 2, 'payment_finished');
    for (const version of ['v1', 'v2'] as const) {
      await refused(sid, 'session/confirm', {}, ...state(`session ${sid} is not waiting for confirmation: its payment ${pm} is succeeded`), version);
      await refused(sid, 'session/cancel', {}, ...state(`session ${sid} cannot be cancelled now: its payment ${pm} is succeeded`), version);
      await refused(sid, 'session/capture', {}, ...state(`session ${sid} is not waiting for capture: its payment ${pm} is succeeded`), version);
      await refused(sid, 'session/refund', { amount_details: USD(2001) }, 400, 'amount_exceeds_limit', 'amount_details.amount 2001 exceeds what can still be refunded (2000 usd)', version);
      await refused(sid, 'session/refund', { amount_details: { amount: 100, currency: 'eur' } }, 400, 'invalid_request', "amount_details.currency eur differs from the payment's currency usd", version);
    }
  });

  test('declined: every method is refused and the failure stays as it was', async () => {
    const init = await ok(h, 'session/init/payment', { payment_details: bankCard('4000000000000002'), amount_details: USD(2000), customer });
    const sid: string = init.session.id;
    const pm: string = init.session['acquiring_payments'][0].id;
    await hook(rx, sid, 1, 'ready_to_confirm');
    await ok(h, 'session/confirm', { session_id: sid });
    await hook(rx, sid, 2, 'payment_finished');
    await refused(sid, 'session/confirm', {}, ...state(`session ${sid} is not waiting for confirmation: its payment ${pm} is failed`));
    await refused(sid, 'session/cancel', {}, ...state(`session ${sid} cannot be cancelled now: its payment ${pm} is failed`));
    await refused(sid, 'session/capture', {}, ...state(`session ${sid} is not waiting for capture: its payment ${pm} is failed`));
    await refused(sid, 'session/refund', {}, ...state(`session ${sid} has no succeeded payment to refund`));
  });
});
