import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startHarness, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { USD, assertError, bankCard, hook, listOf, ok, patchProject, statusOf, typesFor, until, type Version } from './helpers/acquiring.js';
import { assertTrialBalance } from './helpers/ledger-invariants.js';

/**
 * The project setting capture_mode (docs/admin-api.md): with `manual`, a client that knows nothing
 * of payrail's payment_options.hold still reaches ready_to_capture → session/capture, as on a
 * platform project set up for delayed capture. `auto` (the default) captures at once, and
 * payment_options.hold keeps working there.
 */
let h: Harness;
let rx: Receiver;

before(async () => {
  h = await startHarness();
  rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
  await patchProject(h, 'demo', { webhook_url: rx.url, auto_confirm: true });
});
after(async () => {
  await h.close();
  await rx.close();
});

const customer = { reference: 'capture-mode' };
const pay = (amount: number, extra: Record<string, unknown> = {}, version: Version = 'v1') =>
  ok(h, 'session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(amount), customer, ...extra }, { version });

describe('capture_mode', () => {
  test('is "auto" by default, shown in the project, and refused with a precise message for any other value', async () => {
    const shown = await h.admin('GET', '/projects/demo');
    assert.equal(shown.json().project.settings.capture_mode, 'auto');
    const bad = await h.admin('PATCH', '/projects/demo', { capture_mode: 'later' });
    assertError(bad, 400, 'invalid_request', 'capture_mode must be "auto" or "manual"');
    assert.equal((await h.admin('GET', '/projects/demo')).json().project.settings.capture_mode, 'auto');
  });

  test('auto: a payment without payment_options.hold is captured at once; with hold it waits', async () => {
    const direct = await pay(1500);
    const sid = direct.session['id'] as string;
    assert.equal((await hook(rx, sid, 1, 'payment_finished')).session['acquiring_payments'][0].status, 'succeeded');
    const held = await pay(1600, { payment_options: { hold: true } });
    const hid = held.session['id'] as string;
    const ready = await hook(rx, hid, 1, 'ready_to_capture');
    assert.equal(ready.session['next_action'], 'capture');
  });

  for (const version of ['v1', 'v2'] as const) {
    test(`manual (${version}): no hold flag, ready_to_capture with next_action capture, partial capture books what was taken`, async () => {
      await patchProject(h, 'demo', { capture_mode: 'manual' });
      try {
        const init = await pay(10000, {}, version);
        const sid = init.session['id'] as string;
        const ready = await hook(rx, sid, 1, 'ready_to_capture');
        const payment = ready.session[listOf(version)][0];
        assert.equal(ready.session['status'], 'in_progress');
        assert.equal(ready.session['next_action'], 'capture');
        assert.equal(payment.status, 'pending');
        assert.equal(payment.payment_options, undefined, 'the client sent no payment_options and gets none back');
        // More than the hold is refused precisely, and changes nothing.
        assertError(
          await h.call('session/capture', { session_id: sid, amount_details: USD(10001) }, { version }),
          400,
          'amount_exceeds_limit',
          'amount_details.amount 10001 exceeds the amount on hold (10000 usd)',
        );
        assert.equal((await statusOf(h, sid))['next_action'], 'capture');
        await ok(h, 'session/capture', { session_id: sid, amount_details: USD(6000) }, { version });
        const done = await hook(rx, sid, 2, 'payment_finished');
        const captured = done.session[listOf(version)][0];
        assert.equal(captured.status, 'succeeded');
        assert.equal(captured.amounts.gross.amount, 6000);
        assert.equal(done.session['status'], 'accepted');
        assert.deepEqual(typesFor(rx, sid), ['ready_to_capture', 'payment_finished']);
      } finally {
        await patchProject(h, 'demo', { capture_mode: 'auto' });
      }
    });
  }

  test('manual: cancel releases the hold; the hold period releases an uncaptured one with capture_timeout', async () => {
    await patchProject(h, 'demo', { capture_mode: 'manual', hold_period_seconds: 3600 });
    try {
      const a = (await pay(2000)).session['id'] as string;
      await hook(rx, a, 1, 'ready_to_capture');
      await ok(h, 'session/cancel', { session_id: a });
      const cancelled = await hook(rx, a, 2, 'payment_finished');
      assert.equal(cancelled.session['acquiring_payments'][0].error.code, 'cancelled_by_partner');
      assert.equal(cancelled.session['status'], 'cancelled');

      const b = (await pay(2100)).session['id'] as string;
      await hook(rx, b, 1, 'ready_to_capture');
      const adv = await h.admin('POST', '/clock/advance', { seconds: 3601 });
      assert.equal(adv.statusCode, 200, adv.body);
      const expired = await until(h, b, (s) => s['acquiring_payments'][0].status === 'failed');
      assert.equal(expired['acquiring_payments'][0].error.code, 'capture_timeout');
    } finally {
      await patchProject(h, 'demo', { capture_mode: 'auto', hold_period_seconds: 5 * 86_400 });
    }
  });

  test('manual: a split payment waits on hold too, and is captured in full only', async () => {
    await patchProject(h, 'demo', { capture_mode: 'manual', contractors: ['supplier_a'] });
    try {
      const split = [{ contractor_alias: 'supplier_a', percent: '30' }];
      const sid = (await pay(5000, { revenue_split_info: split })).session['id'] as string;
      const ready = await hook(rx, sid, 1, 'ready_to_capture');
      const pm = ready.session['acquiring_payments'][0].id as string;
      assertError(
        await h.call('session/capture', { session_id: sid, amount_details: USD(4000) }),
        400,
        'invalid_request',
        `payment ${pm} is split between contractors (revenue_split_info) and is captured in full only: omit amount_details`,
      );
      await ok(h, 'session/capture', { session_id: sid });
      const done = await hook(rx, sid, 2, 'payment_finished');
      assert.equal(done.session['acquiring_payments'][0].amounts.gross.amount, 5000);
      assert.equal(done.session['acquiring_payments'][0].revenue_split_info[0].amount.amount, 1500);
    } finally {
      await patchProject(h, 'demo', { capture_mode: 'auto', contractors: [] });
    }
  });

  test('a setting changed later applies to payments started later, not to one already on its way', async () => {
    const before = (await pay(3000)).session['id'] as string;
    await hook(rx, before, 1, 'payment_finished');
    await patchProject(h, 'demo', { capture_mode: 'manual' });
    try {
      const later = (await pay(3100)).session['id'] as string;
      await hook(rx, later, 1, 'ready_to_capture');
      assert.equal((await statusOf(h, before))['status'], 'accepted');
    } finally {
      await patchProject(h, 'demo', { capture_mode: 'auto' });
    }
    assertTrialBalance((await h.admin('GET', '/ledger/trial-balance')).json());
  });
});
