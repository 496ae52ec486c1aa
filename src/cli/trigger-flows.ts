import { FlowError, payerUrlOf, refundSettled, type FlowRunner, type Webhook } from './trigger-runner.js';

/**
 * The events `payrail trigger` can produce: each one a real flow through the signed API, the
 * payer's pages and (for bank returns) the sandbox clock, with the test data of docs/test-cards.md
 * and docs/test-payouts.md. `body` is the request that starts the flow; --fixture and --override
 * change it. `run` returns when the flow's last webhook is queued.
 */
export interface Flow {
  readonly name: string;
  readonly description: string;
  /** The webhooks the flow ends with, in order (without ready_to_confirm, which auto_confirm skips). */
  readonly promises: readonly string[];
  readonly method: string;
  readonly body: Record<string, unknown>;
  readonly run: (r: FlowRunner, body: Record<string, unknown>) => Promise<void>;
}

const customer = { reference: 'payrail-trigger' };
const card = (number: string) => ({ type: 'card', card: { type: 'bank_card', bank_card: { number, expiration_month: '12', expiration_year: '40', security_code: '123' } } });
const payment = (number: string, extra: Record<string, unknown> = {}) => ({ payment_details: card(number), amount_details: { amount: 10000, currency: 'usd' }, customer, ...extra });
const cardPayout = (number: string) => ({
  payment_method: { type: 'card', card: { type: 'bank_card', bank_card: { number } } },
  participant_details: { recipient: { full_name: 'John Johnson' } },
  amount_details: { amount: 1000, currency: 'usd' },
});
const ibanPayout = (iban: string) => ({
  payment_method: { type: 'bank_account', bank_account: { system_type: 'global', global: { iban, description: 'purpose of remittance' } } },
  amount_details: { amount: 1000, currency: 'usd' },
  participant_details: {
    recipient: { bank_name: 'All Banks Belgium / EUR / Payment System: SEPA', currency: 'eur', country_iso3: 'BEL', first_name: 'John', last_name: 'Johnson' },
    sender: { company_name: 'Company name', registration_number: '1234567890', country_iso3: 'USA', code: '1234567890' },
  },
});

/** Card payment: init, confirm when asked, then whatever the card does. */
async function pay(r: FlowRunner, body: Record<string, unknown>): Promise<Webhook | undefined> {
  await r.api('session/init/payment', body);
  return r.confirmWhenReady();
}

async function finished(r: FlowRunner, early: Webhook | undefined): Promise<void> {
  if (early?.type !== 'payment_finished') await r.waitFor(['payment_finished']);
}

/** A 3-D Secure or payer-page flow: after confirm, action_required; the payer answers `result`. */
function withPage(result: string): (r: FlowRunner, body: Record<string, unknown>) => Promise<void> {
  return async (r, body) => {
    const early = await pay(r, body);
    if (early) throw new FlowError(`the payment finished before any page was shown (${early.type}); does the body still name a 3-D Secure card?`);
    await r.answerPage(payerUrlOf(await r.waitFor(['action_required'])), result);
    await r.waitFor(['payment_finished']);
  };
}

function refund(amount: number): (r: FlowRunner, body: Record<string, unknown>) => Promise<void> {
  return async (r, body) => {
    await finished(r, await pay(r, body));
    const ad = body['amount_details'] as { currency?: string } | undefined;
    await r.api('session/refund', { session_id: r.sessionId, amount_details: { amount, currency: ad?.currency ?? 'usd' } });
    await r.waitFor(['payment_refunded'], refundSettled);
  };
}

async function payout(r: FlowRunner, body: Record<string, unknown>): Promise<Webhook | undefined> {
  await r.api('session/init/payout', body);
  return r.confirmWhenReady();
}

const declined = (name: string, number: string, code: string): Flow => ({
  name,
  description: `card ${number}: declined with ${code}`,
  promises: ['payment_finished'],
  method: 'session/init/payment',
  body: payment(number),
  run: async (r, body) => finished(r, await pay(r, body)),
});

export const FLOWS: readonly Flow[] = [
  { name: 'payment.succeeded', description: 'card 4242…4242, no 3-D Secure: payment succeeded', promises: ['payment_finished'], method: 'session/init/payment', body: payment('4242424242424242'), run: async (r, b) => finished(r, await pay(r, b)) },
  { name: 'payment.3ds', description: 'card 4000…3220: the payer passes 3-D Secure on the page, payment succeeded', promises: ['action_required', 'payment_finished'], method: 'session/init/payment', body: payment('4000000000003220'), run: withPage('confirmed') },
  { name: 'payment.3ds_failed', description: 'card 4000…3220: the payer presses Fail on the 3-D Secure page (3DS_error)', promises: ['action_required', 'payment_finished'], method: 'session/init/payment', body: payment('4000000000003220'), run: withPage('failed') },
  declined('payment.declined', '4000000000000002', 'card_declined'),
  declined('payment.insufficient_funds', '4000000000009995', 'insufficient_funds'),
  declined('payment.expired_card', '4000000000000069', 'bank_card_expired'),
  declined('payment.provider_error', '4000000000000119', 'provider_internal_error'),
  {
    name: 'payment.held',
    description: 'card 4242…4242 with payment_options.hold: authorized and held (ready_to_capture)',
    promises: ['ready_to_capture'],
    method: 'session/init/payment',
    body: payment('4242424242424242', { payment_options: { hold: true } }),
    run: async (r, b) => {
      await pay(r, b);
      await r.waitFor(['ready_to_capture']);
    },
  },
  {
    name: 'payment.captured',
    description: 'a held payment, then session/capture: payment succeeded',
    promises: ['ready_to_capture', 'payment_finished'],
    method: 'session/init/payment',
    body: payment('4242424242424242', { payment_options: { hold: true } }),
    run: async (r, b) => {
      await pay(r, b);
      await r.waitFor(['ready_to_capture']);
      await r.api('session/capture', { session_id: r.sessionId });
      await r.waitFor(['payment_finished']);
    },
  },
  {
    name: 'payment.chargeback',
    description: 'a succeeded payment charged back (sandbox session/chargeback): a refund with is_chargeback',
    promises: ['payment_finished', 'payment_refunded'],
    method: 'session/init/payment',
    body: payment('4242424242424242'),
    run: async (r, b) => {
      await finished(r, await pay(r, b));
      await r.api('session/chargeback', { session_id: r.sessionId });
      await r.waitFor(['payment_refunded']);
    },
  },
  { name: 'refund.succeeded', description: 'a succeeded payment refunded 40.00: refund accepted', promises: ['payment_finished', 'payment_refunded'], method: 'session/init/payment', body: payment('4242424242424242'), run: refund(4000) },
  { name: 'refund.declined', description: 'a succeeded payment, a refund of 10.51 (amount ending in 51): refund declined', promises: ['payment_finished', 'payment_refunded'], method: 'session/init/payment', body: payment('4242424242424242'), run: refund(1051) },
  {
    name: 'fps.succeeded',
    description: 'an FPS (SBP) QR payment in RUB; the payer presses Pay in the sandbox bank app',
    promises: ['action_required', 'payment_finished'],
    method: 'session/init/payment',
    body: { payment_details: { type: 'faster_payment_system' }, amount_details: { amount: 150000, currency: 'rub' }, customer },
    run: withPage('pay'),
  },
  {
    name: 'fps.declined',
    description: 'an FPS (SBP) QR payment; the payer presses Decline (cancelled_by_customer)',
    promises: ['action_required', 'payment_finished'],
    method: 'session/init/payment',
    body: { payment_details: { type: 'faster_payment_system' }, amount_details: { amount: 150000, currency: 'rub' }, customer },
    run: withPage('decline'),
  },
  { name: 'payout.succeeded', description: 'a card payout to 4242…4242: paid at once', promises: ['payment_finished'], method: 'session/init/payout', body: cardPayout('4242424242424242'), run: async (r, b) => finished(r, await payout(r, b)) },
  { name: 'payout.declined', description: 'a card payout to 4000…0002: refused with card_declined', promises: ['payment_finished'], method: 'session/init/payout', body: cardPayout('4000000000000002'), run: async (r, b) => finished(r, await payout(r, b)) },
  {
    name: 'payout.bank_transfer',
    description: 'a SEPA payout to an IBAN: settles after one clock-day (moves the sandbox clock 1d)',
    promises: ['payment_finished'],
    method: 'session/init/payout',
    body: ibanPayout('DE89370400440532013000'),
    run: async (r, b) => {
      await payout(r, b);
      await r.advanceClock(86_400);
      await r.waitFor(['payment_finished']);
    },
  },
  {
    name: 'payout.returned',
    description: 'a SEPA payout to an IBAN ending 0909: paid, then returned by the bank (moves the sandbox clock 3d)',
    promises: ['payment_finished', 'payment_refunded'],
    method: 'session/init/payout',
    body: ibanPayout('DE92370400440532010909'),
    run: async (r, b) => {
      await payout(r, b);
      await r.advanceClock(86_400);
      await r.waitFor(['payment_finished']);
      await r.advanceClock(2 * 86_400);
      await r.waitFor(['payment_refunded']);
    },
  },
];

export function flowNamed(name: string): Flow | undefined {
  return FLOWS.find((f) => f.name === name);
}
