import type { OperationErrorCode } from '../../kernel/operation-errors.js';
/**
 * The sandbox's test cards (docs/test-cards.md). Any future expiry and any security code; any other
 * Luhn-valid number succeeds without 3-D Secure. A card whose expiry has passed by the project's
 * clock is declined with bank_card_expired, whatever its number.
 */
export type TestCardBehaviour =
  | { readonly kind: 'success' }
  | { readonly kind: 'challenge' }
  | { readonly kind: 'decline'; readonly code: OperationErrorCode; readonly description: string }
  | { readonly kind: 'chargeback'; readonly afterMs: number };

export const DAY_MS = 86_400_000;

export const TEST_CARDS: ReadonlyMap<string, TestCardBehaviour> = new Map<string, TestCardBehaviour>([
  ['4242424242424242', { kind: 'success' }],
  ['5555555555554444', { kind: 'success' }],
  ['4000000000003220', { kind: 'challenge' }],
  ['4000000000000002', { kind: 'decline', code: 'card_declined', description: 'the issuer declined the payment' }],
  ['4000000000009995', { kind: 'decline', code: 'insufficient_funds', description: 'the card has insufficient funds' }],
  ['4000000000000069', { kind: 'decline', code: 'bank_card_expired', description: 'the card has expired' }],
  ['4000000000000119', { kind: 'decline', code: 'provider_internal_error', description: 'the processor failed to handle the payment; retry later' }],
  ['4000000000000259', { kind: 'chargeback', afterMs: DAY_MS }],
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
