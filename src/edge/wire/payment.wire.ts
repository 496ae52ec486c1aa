import { formatTimestamp } from '../../kernel/time.js';
import { renderRecurrent } from '../../domain/tokens/token.service.js';
import type { Payment } from '../../domain/payments/payment.repo.js';
import { maskedPaymentDetails } from './payment-source.wire.js';
import type { Refund } from '../../domain/refunds/refund.repo.js';
import { renderAmounts, renderOperationError, renderRefund, renderRevenueSplit } from './refund.wire.js';
import { paymentStatus } from '../../domain/payments/payment.status.js';

export function renderPayment(p: Payment, refunds: readonly Refund[], options: { cardIdEnabled: boolean }): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    id: p.id,
    status: paymentStatus(p.stage),
    created_at: formatTimestamp(p.createdAt),
    updated_at: formatTimestamp(p.updatedAt),
  };
  if (p.finishedAt) wire['finished_at'] = formatTimestamp(p.finishedAt);
  if (p.customer !== null && p.customer !== undefined) wire['customer'] = p.customer;
  wire['payment_details'] = maskedPaymentDetails(p.source, p.cardChecked, options.cardIdEnabled);
  wire['amount_details'] = { amount: p.amount, currency: p.currency };
  if (p.stage === 'succeeded') {
    wire['amounts'] = renderAmounts(p.capturedAmount, p.capturedAmount - p.fee, p.fee, p.currency);
  }
  if (p.participantDetails !== null && p.participantDetails !== undefined) wire['participant_details'] = p.participantDetails;
  if (p.paymentOptions) wire['payment_options'] = p.paymentOptions;
  if (p.customerInteraction && p.stage === 'awaiting_3ds') wire['customer_interaction'] = p.customerInteraction;
  if (p.transactionInfo) wire['transaction_info'] = p.transactionInfo;
  if (p.recurrent) wire['recurrent'] = renderRecurrent(p.recurrent, p.updatedAt);
  const mine = refunds.filter((r) => r.paymentId === p.id);
  if (mine.length > 0) wire['refunds'] = mine.map(renderRefund);
  if (p.revenueSplit) wire['revenue_split_info'] = renderRevenueSplit(p.revenueSplit, p.currency);
  if (p.metadata !== null && p.metadata !== undefined) wire['metadata'] = p.metadata;
  if (p.error) wire['error'] = renderOperationError(p.error);
  return wire;
}
