import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startHarness, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { USD, advance, assertError, bankCard, captured, hook, maskedCard, ok, patchProject, refundAmounts, shape, statusOf, typesFor } from './helpers/acquiring.js';

/**
 * What the sandbox clock makes happen (docs/test-cards.md, "Timeouts"): the 240-minute confirm
 * limit, the 60-minute 3-D Secure limit, hold expiry (default and per project), the chargeback of
 * card 4000 0000 0000 0259 a clock-day later, and card expiry judged by the clock. Each limit is
 * approached to just before it (nothing happens) and then passed; the outcome must be dated at the
 * limit, because advancing the clock runs what falls due in time order.
 */
let h: Harness;
let rx: Receiver;

before(async () => {
  h = await startHarness();
  rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
  await patchProject(h, 'demo', { webhook_url: rx.url });
});
after(async () => {
  await h.close();
  await rx.close();
});

const customer = { reference: 'clockwatcher' };
const ms = (ts: unknown) => Date.parse(String(ts));
/** `at` is within a few seconds after `from + limitMs` (the clock stops at each due job). */
function assertAtLimit(at: unknown, from: unknown, limitMs: number, what: string) {
  const late = ms(at) - (ms(from) + limitMs);
  assert.ok(late >= 0 && late < 5000, `${what}: ${at} is ${late} ms from ${from} + ${limitMs / 60_000} min`);
}

async function started(number: string, extra: Record<string, unknown> = {}) {
  const init = await ok(h, 'session/init/payment', { payment_details: bankCard(number), amount_details: USD(10000), customer, ...extra });
  const sid: string = init.session.id;
  const rtc = await hook(rx, sid, 1, 'ready_to_confirm');
  return { sid, pm: init.session['acquiring_payments'][0].id as string, rtc };
}

describe('timeouts', () => {
  test('no session/confirm within 240 minutes of ready_to_confirm: confirm_timeout, session cancelled', async () => {
    const { sid, pm, rtc } = await started('4242424242424242');
    await advance(h, 239 * 60);
    assert.deepEqual(await statusOf(h, sid), rtc.session, 'nothing happens before the limit');
    await advance(h, 120);
    const fin = await hook(rx, sid, 2, 'payment_finished');
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
          payment_details: maskedCard('visa', '4242', '424242'),
          amount_details: USD(10000),
          error: { code: 'confirm_timeout', description: 'session/confirm did not come within 240 minutes of ready_to_confirm' },
        },
      ],
    });
    assertAtLimit(fin.session['finished_at'], rtc.session['updated_at'], 240 * 60_000, 'confirm_timeout');
    assert.deepEqual(await statusOf(h, sid), fin.session);
    assertError(await h.call('session/confirm', { session_id: sid }), 409, 'invalid_session_state', `session ${sid} is not waiting for confirmation: its payment ${pm} is failed`);
    assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'payment_finished']);
  });

  test('a confirm at minute 239 and a 3-D Secure answer at minute 59 are in time', async () => {
    const a = await started('4242424242424242');
    const b = await started('4000000000003220');
    await ok(h, 'session/confirm', { session_id: b.sid });
    const ar = await hook(rx, b.sid, 2, 'action_required');
    await advance(h, 59 * 60);
    const answered = await h.runtime.app.inject({
      method: 'POST',
      url: new URL(ar.session['acquiring_payments'][0].customer_interaction.redirect.url).pathname,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'result=confirmed',
    });
    assert.equal(answered.statusCode, 200);
    assert.equal((await hook(rx, b.sid, 3, 'payment_finished')).session['status'], 'accepted');
    await advance(h, 180 * 60);
    await ok(h, 'session/confirm', { session_id: a.sid });
    const fin = await hook(rx, a.sid, 2, 'payment_finished');
    assert.equal(fin.session['status'], 'accepted');
    await advance(h, 120 * 60);
    assert.deepEqual(await statusOf(h, a.sid), fin.session, 'the cancelled timeout does not fire');
    assert.deepEqual(typesFor(rx, a.sid), ['ready_to_confirm', 'payment_finished']);
    assert.deepEqual(typesFor(rx, b.sid), ['ready_to_confirm', 'action_required', 'payment_finished']);
  });

  test('the payer does not finish 3-D Secure within 60 minutes: 3DS_timeout, session cancelled, the page closed', async () => {
    const { sid, pm } = await started('4000000000003220', { payment_options: { return_url: 'https://shop.example/r' } });
    await ok(h, 'session/confirm', { session_id: sid });
    const ar = await hook(rx, sid, 2, 'action_required');
    const url = new URL(ar.session['acquiring_payments'][0].customer_interaction.redirect.url);
    await advance(h, 59 * 60);
    assert.deepEqual(await statusOf(h, sid), ar.session, 'nothing happens before the limit');
    await advance(h, 120);
    const fin = await hook(rx, sid, 3, 'payment_finished');
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
          payment_details: maskedCard('visa', '3220', '400000'),
          amount_details: USD(10000),
          payment_options: { return_url: 'https://shop.example/r' },
          error: { code: '3DS_timeout', description: 'the payer did not complete 3-D Secure within 60 minutes' },
          transaction_info: { rrn: '<rrn>' },
        },
      ],
    });
    assertAtLimit(fin.session['finished_at'], ar.session['updated_at'], 60 * 60_000, '3DS_timeout');
    const page = await h.runtime.app.inject({ method: 'GET', url: url.pathname });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /This verification is already complete\./);
    const late = await h.runtime.app.inject({ method: 'POST', url: url.pathname, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'result=confirmed' });
    assert.equal(late.statusCode, 409);
    assert.deepEqual(JSON.parse(late.body), { status: 'error', error: { code: 'invalid_session_state', description: `this 3-D Secure step is over: its payment ${pm} is failed` } });
    assert.deepEqual(await statusOf(h, sid), fin.session);
    assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'action_required', 'payment_finished']);
  });

  test('a hold not captured within the default 5 days is released: capture_timeout', async () => {
    const { sid, pm } = await started('4242424242424242', { payment_options: { hold: true } });
    await ok(h, 'session/confirm', { session_id: sid });
    const rtc = await hook(rx, sid, 2, 'ready_to_capture');
    await advance(h, 5 * 86_400 - 600);
    assert.deepEqual(await statusOf(h, sid), rtc.session, 'nothing happens before the limit');
    await advance(h, 1200);
    const fin = await hook(rx, sid, 3, 'payment_finished');
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
          payment_details: maskedCard('visa', '4242', '424242'),
          amount_details: USD(10000),
          payment_options: { hold: true },
          transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' },
          error: { code: 'capture_timeout', description: 'the hold was not captured within 432000 seconds and was released' },
        },
      ],
    });
    assertAtLimit(fin.session['finished_at'], rtc.session['updated_at'], 5 * 86_400_000, 'capture_timeout');
    assertError(await h.call('session/capture', { session_id: sid }), 409, 'invalid_session_state', `session ${sid} is not waiting for capture: its payment ${pm} is failed`);
    assertError(await h.call('session/cancel', { session_id: sid }), 409, 'invalid_session_state', `session ${sid} cannot be cancelled now: its payment ${pm} is failed`);
    assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'ready_to_capture', 'payment_finished']);
  });

  test("the project's hold_period_seconds sets the hold's lifetime; a capture in time stops the expiry", async () => {
    await patchProject(h, 'demo', { hold_period_seconds: 3600 });
    try {
      const a = await started('5555555555554444', { payment_options: { hold: true } });
      const b = await started('4242424242424242', { payment_options: { hold: true } });
      for (const { sid } of [a, b]) await ok(h, 'session/confirm', { session_id: sid });
      const rtc = await hook(rx, a.sid, 2, 'ready_to_capture');
      await hook(rx, b.sid, 2, 'ready_to_capture');
      await advance(h, 3500);
      assert.deepEqual(await statusOf(h, a.sid), rtc.session);
      await ok(h, 'session/capture', { session_id: b.sid });
      const captureOfB = await hook(rx, b.sid, 3, 'payment_finished');
      await advance(h, 200);
      const fin = await hook(rx, a.sid, 3, 'payment_finished');
      assert.equal(fin.session['status'], 'cancelled');
      assert.deepEqual(fin.session['acquiring_payments'][0].error, { code: 'capture_timeout', description: 'the hold was not captured within 3600 seconds and was released' });
      assertAtLimit(fin.session['finished_at'], rtc.session['updated_at'], 3600_000, 'capture_timeout');
      // The captured one is not touched by its (cancelled) expiry.
      assert.equal(captureOfB.session['status'], 'accepted');
      assert.deepEqual(await statusOf(h, b.sid), captureOfB.session);
      assert.deepEqual(typesFor(rx, b.sid), ['ready_to_confirm', 'ready_to_capture', 'payment_finished']);
    } finally {
      await patchProject(h, 'demo', { hold_period_seconds: 432_000 });
    }
  });
});

describe('test card 4000 0000 0000 0259', () => {
  test('succeeds, then is charged back a clock-day later: a refund with is_chargeback, payment_refunded', async () => {
    const { sid, pm } = await started('4000000000000259');
    await ok(h, 'session/confirm', { session_id: sid });
    const fin = await hook(rx, sid, 2, 'payment_finished');
    const paid = {
      id: '<pm>',
      status: 'succeeded',
      created_at: '<ts>',
      updated_at: '<ts>',
      finished_at: '<ts>',
      customer,
      payment_details: maskedCard('visa', '0259', '400000'),
      amount_details: USD(10000),
      transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' },
    };
    assert.deepEqual(shape(fin.session), { id: '<ps>', status: 'accepted', created_at: '<ts>', updated_at: '<ts>', finished_at: '<ts>', acquiring_payments: [paid] });
    assert.deepEqual(captured(fin.session['acquiring_payments'][0]), USD(10000));
    await advance(h, 86_400 - 600);
    assert.deepEqual(await statusOf(h, sid), fin.session, 'no chargeback before a day has passed');
    await advance(h, 1200);
    const cb = await hook(rx, sid, 3, 'payment_refunded');
    assert.deepEqual(shape(cb.session), {
      id: '<ps>',
      status: 'accepted',
      created_at: '<ts>',
      updated_at: '<ts>',
      finished_at: '<ts>',
      acquiring_payments: [{ ...paid, refunds: [{ id: '<rf>', status: 'accepted', created_at: '<ts>', finished_at: '<ts>', is_chargeback: true, amount_details: USD(10000), amounts: refundAmounts(USD(10000)) }] }],
    });
    assertAtLimit(cb.session['acquiring_payments'][0].refunds[0].created_at, fin.session['finished_at'], 86_400_000, 'chargeback');
    assert.equal(cb.session['finished_at'], fin.session['finished_at'], 'the session stayed accepted throughout');
    assert.deepEqual(await statusOf(h, sid), cb.session);
    assertError(await h.call('session/refund', { session_id: sid }), 400, 'amount_exceeds_limit', `payment ${pm} is already refunded in full`);
    await advance(h, 3600);
    assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'payment_finished', 'payment_refunded'], 'charged back once');
  });

  test(
    'with a hold captured after more than a day, the charge back still comes a clock-day after the capture',
    async () => {
      const { sid } = await started('4000000000000259', { payment_options: { hold: true } });
      await ok(h, 'session/confirm', { session_id: sid });
      await hook(rx, sid, 2, 'ready_to_capture');
      await advance(h, 25 * 3600);
      await ok(h, 'session/capture', { session_id: sid });
      const fin = await hook(rx, sid, 3, 'payment_finished');
      assert.equal(fin.session['status'], 'accepted');
      // Advancing runs what falls due and delivers its webhooks before it answers.
      await advance(h, 86_400 + 60);
      const s = await statusOf(h, sid);
      assert.deepEqual(shape(s['acquiring_payments'][0].refunds), [
        { id: '<rf>', status: 'accepted', created_at: '<ts>', finished_at: '<ts>', is_chargeback: true, amount_details: USD(10000), amounts: refundAmounts(USD(10000)) },
      ]);
      assertAtLimit(s['acquiring_payments'][0].refunds[0].created_at, fin.session['finished_at'], 86_400_000, 'chargeback');
      assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'ready_to_capture', 'payment_finished', 'payment_refunded']);
    },
  );

  test('a partial refund first: the chargeback takes what is left', async () => {
    const { sid } = await started('4000000000000259');
    await ok(h, 'session/confirm', { session_id: sid });
    await hook(rx, sid, 2, 'payment_finished');
    await ok(h, 'session/refund', { session_id: sid, amount_details: USD(3000) });
    await hook(rx, sid, 3, 'payment_refunded');
    await advance(h, 86_400 + 60);
    const cb = await hook(rx, sid, 4, 'payment_refunded');
    assert.deepEqual(shape(cb.session['acquiring_payments'][0].refunds), [
      { id: '<rf>', status: 'accepted', created_at: '<ts>', finished_at: '<ts>', is_chargeback: false, amount_details: USD(3000), amounts: refundAmounts(USD(3000)) },
      { id: '<rf>', status: 'accepted', created_at: '<ts>', finished_at: '<ts>', is_chargeback: true, amount_details: USD(7000), amounts: refundAmounts(USD(7000)) },
    ]);
  });
});

describe('card expiry by the sandbox clock', () => {
  test('a card is good through its expiry month by the clock, and declined with bank_card_expired after it', async () => {
    const now = new Date(h.clock.now());
    const mm = String(now.getUTCMonth() + 1).padStart(2, '0');
    const yy = String(now.getUTCFullYear() % 100).padStart(2, '0');
    const pay = async () => {
      const init = await ok(h, 'session/init/payment', { payment_details: bankCard('5555555555554444', { month: mm, year: yy }), amount_details: USD(100), customer });
      const sid: string = init.session.id;
      await hook(rx, sid, 1, 'ready_to_confirm');
      await ok(h, 'session/confirm', { session_id: sid });
      return (await hook(rx, sid, 2, 'payment_finished')).session;
    };
    const good = await pay();
    assert.equal(good['status'], 'accepted');
    assert.equal(good['acquiring_payments'][0].status, 'succeeded');

    // Move the clock into the next month: real time has not moved on, only the sandbox clock says so.
    // (Set directly rather than through /admin/clock/advance, which would stop at each of up to
    // 744 hourly housekeeping runs on the way; this test is about the date alone.)
    const firstOfNext = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
    h.clock.advance(firstOfNext - h.clock.now().getTime() + 3600_000);
    assert.equal(h.clock.now().getUTCMonth(), (now.getUTCMonth() + 1) % 12);
    assert.ok(Date.now() < firstOfNext, 'by real time the card has not expired');
    const expired = await pay();
    assert.deepEqual(shape(expired), {
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
          payment_details: maskedCard('mastercard', '4444', '555555'),
          amount_details: USD(100),
          error: { code: 'bank_card_expired', description: `the card expired at the end of ${mm}/${yy}` },
        },
      ],
    });
  });
});
