import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newKeyPair, startHarness, TIMESTAMP, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { advance, assertError, hook, until, USD } from './helpers/acquiring.js';

// Subscriptions: payment_options.subscription on a card payment, subscription/cancel and
// subscription/restore (spec §6.10, §5.17; Bank 131 SDK SubscriptionApi and Subscription; issue 11 item 10).
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

const card = (number: string) => ({ type: 'card', card: { type: 'bank_card', bank_card: { number, expiration_month: '12', expiration_year: '30', security_code: '123' } } });
const subscribe = (number: string, subscription: unknown) =>
  h.call('session/init/payment', { amount_details: USD(1990), payment_details: card(number), customer: { reference: 'subscriber' }, payment_options: { return_url: 'https://shop.example/back', subscription } });
const rows = async () => Number((await h.runtime.database.db.selectFrom('subscriptions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
/** One month later on the UTC calendar, as the server counts it. */
const plusMonths = (iso: string, n: number) => {
  const d = new Date(iso);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, Math.min(d.getUTCDate(), new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n + 1, 0)).getUTCDate()), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()));
};
const wire = (d: Date) => `${d.toISOString().slice(0, 23)}000Z`;

describe('a subscription is created by the successful payment that asks for it', () => {
  let subscriptionId: string;
  let finishedAt: string;

  test('the payment and its payment_finished webhook echo the subscription', async () => {
    const res = await subscribe('4242424242424242', { period: 'month' });
    assert.equal(res.statusCode, 200, res.body);
    // Until the payment succeeds the echo is what the partner sent.
    assert.deepEqual(res.json().session.acquiring_payments[0].payment_options, { return_url: 'https://shop.example/back', subscription: { period: 'month' } });
    const sessionId = res.json().session.id;
    const s = await until(h, sessionId, (x) => x.acquiring_payments?.[0]?.status === 'succeeded');
    const p = s.acquiring_payments[0];
    finishedAt = p.finished_at;
    const sub = p.payment_options.subscription;
    subscriptionId = sub.id;
    assert.match(subscriptionId, /^sub_\d{22}$/);
    assert.deepEqual(p.payment_options, {
      return_url: 'https://shop.example/back',
      subscription: { id: subscriptionId, period: 'month', initial: true, next_point: wire(plusMonths(finishedAt, 1)), retries_exceeded: false },
    });
    assert.match(sub.next_point, TIMESTAMP);

    const finished = await hook(rx, sessionId, 1, 'payment_finished');
    assert.deepEqual(finished.session.acquiring_payments[0].payment_options, p.payment_options);
  });

  test('cancel stops it, restore restarts it on the same schedule after the sandbox clock moved on', async () => {
    const cancelled = await h.call('subscription/cancel', { subscription_id: subscriptionId });
    assert.equal(cancelled.statusCode, 200, cancelled.body);
    assert.deepEqual(cancelled.json(), { status: 'ok', subscription: { id: subscriptionId, period: 'month', initial: true, retries_exceeded: false, is_active: false } });

    assertError(await h.call('subscription/cancel', { subscription_id: subscriptionId }), 409, 'invalid_subscription_state', `subscription ${subscriptionId} is cancelled; only an active subscription can be cancelled`);

    await advance(h, 40 * 86_400); // past the first point: the next one is two months after the payment
    const restored = await h.call('subscription/restore', { subscription_id: subscriptionId });
    assert.equal(restored.statusCode, 200, restored.body);
    assert.deepEqual(restored.json(), {
      status: 'ok',
      subscription: { id: subscriptionId, period: 'month', initial: true, next_point: wire(plusMonths(finishedAt, 2)), retries_exceeded: false, is_active: true },
    });
    assertError(await h.call('subscription/restore', { subscription_id: subscriptionId }), 409, 'invalid_subscription_state', `subscription ${subscriptionId} is active; only a cancelled subscription can be restored`);
    const row = await h.runtime.database.db.selectFrom('subscriptions').selectAll().where('id', '=', subscriptionId).executeTakeFirstOrThrow();
    assert.equal(row.status, 'active');
    assert.equal(row.cancelled_at, null);
    assert.equal(wire(row.next_point!), wire(plusMonths(finishedAt, 2)));
  });

  test('a weekly subscription: next_point is a week after the payment', async () => {
    const res = await subscribe('5555555555554444', { period: 'week' });
    assert.equal(res.statusCode, 200, res.body);
    const p = (await until(h, res.json().session.id, (x) => x.acquiring_payments?.[0]?.status === 'succeeded')).acquiring_payments[0];
    assert.equal(p.payment_options.subscription.next_point, wire(new Date(Date.parse(p.finished_at) + 7 * 86_400_000)));
    assert.equal(p.payment_options.subscription.period, 'week');
  });
});

describe('bad inputs', () => {
  test('a declined payment creates no subscription', async () => {
    const before = await rows();
    const res = await subscribe('4000000000000002', { period: 'month' });
    assert.equal(res.statusCode, 200, res.body);
    const p = (await until(h, res.json().session.id, (x) => x.acquiring_payments?.[0]?.status === 'failed')).acquiring_payments[0];
    assert.deepEqual(p.payment_options.subscription, { period: 'month' });
    assert.equal(p.error.code, 'card_declined');
    assert.equal(await rows(), before);
  });

  test('the period is checked at session/init/payment and session/create', async () => {
    const before = await rows();
    assertError(await subscribe('4242424242424242', { period: 'fortnight' }), 400, 'invalid_request', 'payment_options.subscription.period must be one of: day, week, month, year');
    assertError(await subscribe('4242424242424242', {}), 400, 'invalid_request', /payment_options\.subscription.*period/);
    assertError(await subscribe('4242424242424242', 'monthly'), 400, 'invalid_request', /payment_options\.subscription/);
    const created = await h.call('session/create', { amount_details: USD(100), payment_options: { subscription: { period: 3 } } });
    assertError(created, 400, 'invalid_request', 'payment_options.subscription.period must be one of: day, week, month, year');
    assert.equal(await rows(), before);
  });

  test('cancel and restore: unknown ids, another project, malformed bodies, v2', async () => {
    assertError(await h.call('subscription/cancel', { subscription_id: 'sub_404' }), 404, 'subscription_not_found', 'subscription sub_404 not found');
    assertError(await h.call('subscription/restore', { subscription_id: 'sub_404' }), 404, 'subscription_not_found', 'subscription sub_404 not found');
    assertError(await h.call('subscription/cancel', {}), 400, 'invalid_request', /subscription_id/);
    assertError(await h.call('subscription/cancel', { subscription_id: '' }), 400, 'invalid_request', /subscription_id/);
    assertError(await h.call('subscription/cancel', { subscription_id: 42 }), 400, 'invalid_request', /subscription_id/);

    const mine = await h.runtime.database.db.selectFrom('subscriptions').select('id').executeTakeFirstOrThrow();
    const other = newKeyPair();
    await h.admin('POST', '/projects', { name: 'other-shop', public_key: other.publicPem });
    const asOther = { project: 'other-shop', key: other.privateKey };
    assertError(await h.call('subscription/cancel', { subscription_id: mine.id }, asOther), 404, 'subscription_not_found', `subscription ${mine.id} not found`);
    const v2 = await h.call('subscription/cancel', { subscription_id: mine.id }, { version: 'v2' });
    assert.equal(v2.statusCode, 404);
    assert.equal(v2.json().status, 'error');
  });
});
