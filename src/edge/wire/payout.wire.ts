import { renderFiscalizationDetails } from './fiscalization.wire.js';
import { renderAmounts, renderOperationError, renderRefund } from './refund.wire.js';
import { countryOfCard } from '../../kernel/card-country.js';
import type { Refund } from '../../domain/refunds/refund.repo.js';
import type { ApiVersion } from '../../kernel/api-version.js';
import { formatTimestamp } from '../../kernel/time.js';
import type { Payout } from '../../domain/payouts/payout.repo.js';
import type { PayoutDestination } from '../../domain/payouts/payout-destination.js';
import { assertNever } from '../../kernel/assert-never.js';
import { payoutStatus } from '../../domain/payouts/payout.status.js';

/** v1 names the payout destination payment_method, v2 payout_details (v2 also takes the v1 name). */
export function payoutDestination(body: { payment_method?: unknown; payout_details?: unknown }, version: ApiVersion): unknown {
  return version === 'v2' ? (body.payout_details ?? body.payment_method) : body.payment_method;
}

/**
 * A card destination shows brand, last4 and the issuing country (`country_iso3`, from the bin the
 * vault reference keeps); bank accounts, phones and wallets are echoed as given.
 */
export function maskedPaymentMethod(d: PayoutDestination, withCardId = false): Record<string, unknown> {
  switch (d.type) {
    case 'card':
      return {
        type: 'card',
        card: { last4: d.card.last4, brand: d.card.brand, country_iso3: countryOfCard(d.card.bin), ...(withCardId ? { card_id: d.card.card_id } : {}) },
      };
    case 'bank_account':
    case 'wallet':
      return { ...d.given };
    default:
      return assertNever(d, 'payout destination');
  }
}

/** A payout as the wire shows it (§6.3); v2 names the destination payout_details. */
export function renderPayout(p: Payout, refunds: readonly Refund[], version: ApiVersion, options: { cardIdEnabled: boolean }): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    id: p.id,
    status: payoutStatus(p.stage),
    created_at: formatTimestamp(p.createdAt),
    updated_at: formatTimestamp(p.updatedAt),
  };
  if (p.finishedAt) wire['finished_at'] = formatTimestamp(p.finishedAt);
  if (p.customer !== null && p.customer !== undefined) wire['customer'] = p.customer;
  wire[version === 'v2' ? 'payout_details' : 'payment_method'] = maskedPaymentMethod(p.destination, options.cardIdEnabled);
  if (p.amount > 0) wire['amount_details'] = { amount: p.amount, currency: p.currency };
  if (p.amount > 0 && (p.reserved || p.stage === 'succeeded')) {
    wire['amounts'] = renderAmounts(p.amount + p.fee, p.amount, p.fee, p.currency);
  }
  if (p.participantDetails !== null && p.participantDetails !== undefined) wire['participant_details'] = p.participantDetails;
  if (p.transactionInfo) wire['transaction_info'] = p.transactionInfo;
  if (p.fiscalization) wire['fiscalization_details'] = renderFiscalizationDetails(p.fiscalization);
  const mine = refunds.filter((r) => r.payoutId === p.id);
  if (mine.length > 0) wire['refunds'] = mine.map(renderRefund);
  if (p.metadata !== null && p.metadata !== undefined) wire['metadata'] = p.metadata;
  if (p.error) wire['error'] = renderOperationError(p.error);
  return wire;
}
