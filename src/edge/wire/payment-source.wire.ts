import type { PaymentSource } from '../../domain/payments/payment-source.js';
import { assertNever } from '../../kernel/assert-never.js';

/**
 * A payment as the wire shows it (§6.2): the spec's status, the masked card, never a card number.
 * The masked card shows `last4` and `brand` at once and `bin` once the processor has seen the card,
 * as in the spec's examples (seed 004's immediate answer has no bin; action_required and
 * payment_finished do).
 */
export function maskedPaymentDetails(source: PaymentSource, withBin: boolean, withCardId = false): Record<string, unknown> {
  switch (source.type) {
    case 'card': {
      const v = source.card;
      return { type: 'card', card: { last4: v.last4, brand: v.brand, ...(withBin ? { bin: v.bin } : {}), ...(withCardId ? { card_id: v.card_id } : {}) } };
    }
    default:
      return assertNever(source.type, 'payment source');
  }
}
