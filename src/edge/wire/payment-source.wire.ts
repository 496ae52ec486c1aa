import type { PaymentSource } from '../../domain/payments/payment-source.js';
import type { VaultCardRef } from '../../domain/tokens/card-params.js';
import { assertNever } from '../../kernel/assert-never.js';
import { countryOfCard } from '../../kernel/card-country.js';

/**
 * A masked card (§6.7): `last4` and `brand` at once, `bin` and `country_iso3` once the processor has
 * seen the card, as in the spec's examples (seed 004's immediate answer has no bin; action_required
 * and payment_finished do), `card_id` where the project enabled it. Never a card number.
 */
function maskedCard(v: VaultCardRef, withBin: boolean, withCardId: boolean): Record<string, unknown> {
  return {
    last4: v.last4,
    brand: v.brand,
    ...(withBin ? { bin: v.bin, country_iso3: countryOfCard(v.bin) } : {}),
    ...(withCardId ? { card_id: v.card_id } : {}),
  };
}

/**
 * A payment's source as the wire shows it (§6.2, §6.7): what the partner sent, with card data
 * masked. A recurrent charge echoes its token and initiator (as the real service does), not the
 * card; a tokenized card echoes as a card; a Google Pay / Apple Pay card keeps its secured_card type
 * with the masked card inside; FPS, internet banking and wallets echo their type and provider.
 */
export function maskedPaymentDetails(source: PaymentSource, withBin: boolean, withCardId = false): Record<string, unknown> {
  switch (source.type) {
    case 'card':
      return { type: 'card', card: maskedCard(source.card, withBin, withCardId) };
    case 'wallet_card':
      return source.wallet === 'tokenized_card'
        ? { type: 'card', card: maskedCard(source.card, withBin, withCardId) }
        : { type: 'secured_card', secured_card: { type: source.wallet, card: maskedCard(source.card, withBin, withCardId) } };
    case 'recurrent':
      return { type: 'recurrent', recurrent: { token: source.token, initiator: source.initiator } };
    case 'faster_payment_system':
      return { type: 'faster_payment_system' };
    case 'fps_binding':
      return { type: 'recurrent', recurrent: { token: source.token, initiator: 'merchant' } };
    case 'internet_banking':
      return { type: 'internet_banking', internet_banking: { type: source.provider } };
    case 'wallet':
      return { type: 'wallet', wallet: { type: source.provider } };
    default:
      return assertNever(source, 'payment source');
  }
}
