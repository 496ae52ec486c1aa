import { formatTimestamp } from '../shared/time.js';
import { renderRecurrent } from '../tokens/token.service.js';
import type { Payment, Refund } from './payment.repo.js';
import { paymentStatus } from './payment.status.js';

/**
 * A payment as the wire shows it (§6.2): the spec's status, the masked card, never a card number.
 * The masked card shows `last4` and `brand` at once and `bin` once the processor has seen the card,
 * as in the spec's examples (seed 004's immediate answer has no bin; action_required and
 * payment_finished do).
 */
export function maskedPaymentDetails(details: Record<string, unknown>, withBin: boolean, withCardId = false): Record<string, unknown> {
  const card = details['card'] as { type?: string; vault_card?: { last4: string; brand: string; bin: string; card_id: string } } | undefined;
  if (details['type'] !== 'card' || !card?.vault_card) return { type: details['type'] };
  const v = card.vault_card;
  return { type: 'card', card: { last4: v.last4, brand: v.brand, ...(withBin ? { bin: v.bin } : {}), ...(withCardId ? { card_id: v.card_id } : {}) } };
}

export function renderRefund(r: Refund): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    id: r.id,
    status: r.status,
    created_at: formatTimestamp(r.createdAt),
  };
  if (r.finishedAt) wire['finished_at'] = formatTimestamp(r.finishedAt);
  if (r.isChargeback) wire['is_chargeback'] = true;
  wire['amount_details'] = { amount: r.amount, currency: r.currency };
  if (r.metadata !== null && r.metadata !== undefined) wire['metadata'] = r.metadata;
  if (r.error) wire['error'] = r.error;
  return wire;
}

export function renderPayment(p: Payment, refunds: readonly Refund[], options: { cardIdEnabled: boolean }): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    id: p.id,
    status: paymentStatus(p.stage),
    created_at: formatTimestamp(p.createdAt),
  };
  if (p.finishedAt) wire['finished_at'] = formatTimestamp(p.finishedAt);
  if (p.customer !== null && p.customer !== undefined) wire['customer'] = p.customer;
  wire['payment_details'] = maskedPaymentDetails(p.paymentDetails, p.cardChecked, options.cardIdEnabled);
  wire['amount_details'] = { amount: p.amount, currency: p.currency };
  if (p.stage === 'succeeded') {
    const money = (amount: number) => ({ amount, currency: p.currency });
    wire['amounts'] = { gross: money(p.capturedAmount), net: money(p.capturedAmount - p.fee), fee: money(p.fee) };
  }
  if (p.participantDetails !== null && p.participantDetails !== undefined) wire['participant_details'] = p.participantDetails;
  if (p.paymentOptions) wire['payment_options'] = p.paymentOptions;
  if (p.customerInteraction && p.stage === 'awaiting_3ds') wire['customer_interaction'] = p.customerInteraction;
  if (p.transactionInfo) wire['transaction_info'] = p.transactionInfo;
  if (p.recurrent) wire['recurrent'] = renderRecurrent(p.recurrent, p.updatedAt);
  const mine = refunds.filter((r) => r.paymentId === p.id);
  if (mine.length > 0) wire['refunds'] = mine.map(renderRefund);
  if (p.metadata !== null && p.metadata !== undefined) wire['metadata'] = p.metadata;
  if (p.error) wire['error'] = p.error;
  return wire;
}
