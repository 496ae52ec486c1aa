/**
 * The sandbox's test cards (docs/test-cards.md). Any future expiry and any security code; any other
 * Luhn-valid number succeeds without 3-D Secure. A card whose expiry has passed by the project's
 * clock is declined with bank_card_expired, whatever its number.
 */
export type TestCardBehaviour =
  | { readonly kind: 'success' }
  | { readonly kind: 'challenge' }
  | { readonly kind: 'decline'; readonly code: string; readonly description: string }
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
