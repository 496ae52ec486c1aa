import type { OperationErrorCode } from '../../kernel/operation-errors.js';
/**
 * The sandbox's test cards (docs/test-cards.md). Any future expiry and any security code; any other
 * Luhn-valid number succeeds without 3-D Secure. A card whose expiry has passed by the project's
 * clock is declined with bank_card_expired, whatever its number. The same table answers card
 * payouts (docs/test-payouts.md), so every outcome a card can have is reachable on both.
 */
export type TestCardBehaviour =
  | { readonly kind: 'success' }
  | { readonly kind: 'challenge' }
  /** Refused by the issuer: a payment fails, a card payout fails. */
  | { readonly kind: 'decline'; readonly code: OperationErrorCode; readonly description: string }
  | { readonly kind: 'chargeback'; readonly afterMs: number }
  /**
   * The provider does not answer in time: a payment fails with provider_timeout; a card payout
   * times out on the rail and reconciliation finds it was not made (failed, provider_timeout).
   */
  | { readonly kind: 'timeout' }
  /** The first payment succeeds (and may save the card); every charge of the saved card is declined. */
  | { readonly kind: 'saved_card_declined'; readonly code: OperationErrorCode; readonly description: string }
  /** Payments succeed; payouts to the card are refused. */
  | { readonly kind: 'payout_declined'; readonly code: OperationErrorCode; readonly description: string }
  /** The processor or rail fails in a way that says nothing about the outcome: the operation is in error. */
  | { readonly kind: 'failure'; readonly code: OperationErrorCode; readonly description: string };

export const DAY_MS = 86_400_000;

export const PROVIDER_TIMEOUT_DESCRIPTION = 'the provider did not answer in time; nothing was charged or paid';
export const FAILURE_DESCRIPTION = 'the processor failed and cannot say whether the operation was made; support is investigating';

export const TEST_CARDS: ReadonlyMap<string, TestCardBehaviour> = new Map<string, TestCardBehaviour>([
  ['4242424242424242', { kind: 'success' }],
  ['5555555555554444', { kind: 'success' }],
  ['4000000000003220', { kind: 'challenge' }],
  ['4000000000000002', { kind: 'decline', code: 'card_declined', description: 'the issuer declined the payment' }],
  ['4000000000009995', { kind: 'decline', code: 'insufficient_funds', description: 'the card has insufficient funds' }],
  ['4000000000000069', { kind: 'decline', code: 'bank_card_expired', description: 'the card has expired' }],
  ['4000000000000119', { kind: 'decline', code: 'provider_internal_error', description: 'the processor failed to handle the payment; retry later' }],
  ['4000000000000259', { kind: 'chargeback', afterMs: DAY_MS }],
  ['4000000000000036', { kind: 'decline', code: 'provider_issuer_unavailable', description: 'the issuing bank is unavailable; retry later' }],
  ['4000000000000044', { kind: 'decline', code: 'amount_less_allowed_provider', description: "the amount is below the provider's minimum for this card" }],
  ['4000000000000051', { kind: 'decline', code: 'provider_exceeds_amount_limit', description: "the amount exceeds the provider's limit for this card" }],
  ['4000000000000077', { kind: 'decline', code: 'activity_count_exceeded', description: 'the card has exceeded its limit on the number of operations' }],
  ['4000000000000085', { kind: 'decline', code: 'card_number_does_not_exist', description: 'the issuer has no card with this number' }],
  ['4000000000000101', { kind: 'timeout' }],
  ['4000000000000127', { kind: 'saved_card_declined', code: 'binding_is_deactivated', description: 'the card binding was deactivated by the issuer; ask the payer to pay with a card again' }],
  ['4000000000000135', { kind: 'payout_declined', code: 'provider_foreign_transfer_prohibited', description: 'transfers to this foreign card are prohibited' }],
  ['4000000000000143', { kind: 'failure', code: 'provider_internal_error', description: FAILURE_DESCRIPTION }],
]);

export function testCardBehaviour(number: string): TestCardBehaviour {
  return TEST_CARDS.get(number) ?? { kind: 'success' };
}

/** Cards are valid through the last day of their expiry month (UTC). */
export function isExpired(month: string | undefined, year: string | undefined, now: Date): boolean {
  if (!month || !year) return false;
  const m = Number(month);
  const y = 2000 + Number(year);
  const firstInvalid = Date.UTC(m === 12 ? y + 1 : y, m === 12 ? 0 : m, 1);
  return now.getTime() >= firstInvalid;
}

/**
 * Refund outcomes in the sandbox are chosen by the refund's amount, so one payment can show every
 * branch (docs/test-cards.md): an amount ending in 51 minor units (e.g. 1051 = 10.51) is declined by
 * the issuer; one ending in 52 fails unexpectedly, which leaves the refund, and its session, in
 * `error`; any other amount is refunded.
 */
export const REFUND_DECLINED_SUFFIX = 51;
export const REFUND_ERROR_SUFFIX = 52;

export function refundBehaviour(
  amount: number,
): { kind: 'refunded' } | { kind: 'declined'; code: OperationErrorCode; description: string } | { kind: 'error'; code: OperationErrorCode; description: string } {
  if (amount % 100 === REFUND_DECLINED_SUFFIX) return { kind: 'declined', code: 'refund_declined', description: 'the issuer refused the refund' };
  if (amount % 100 === REFUND_ERROR_SUFFIX) return { kind: 'error', code: 'provider_internal_error', description: 'the processor failed while refunding; the outcome is being investigated' };
  return { kind: 'refunded' };
}
