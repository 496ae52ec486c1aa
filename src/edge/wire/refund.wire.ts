import { formatTimestamp } from '../../kernel/time.js';
import type { SplitShare } from '../../domain/ledger/revenue-split.js';
import type { Refund } from '../../domain/refunds/refund.repo.js';
import type { OperationError } from '../../kernel/operation-errors.js';

/**
 * `amounts` as the spec (§6.2) and the SDK's Amounts read it: gross and net as AmountDetails, the fee
 * nested as `fee.merchant_fee` (the fee the merchant pays). One mapper for payments, payouts and
 * refunds, v1 and v2 alike.
 */
export function renderAmounts(gross: number, net: number, fee: number, currency: string): Record<string, unknown> {
  return { gross: { amount: gross, currency }, net: { amount: net, currency }, fee: { merchant_fee: { amount: fee, currency } } };
}

/**
 * An operation's `error` (§6.2): code and description. The SDK also reads `error.reject_reasons`
 * (the anti-fraud rules that refused an operation: rule_alias, list_alias, expiration_date); the
 * sandbox has no anti-fraud rules, so no error carries them and the field is never rendered.
 */
export function renderOperationError(e: OperationError): Record<string, unknown> {
  return { code: e.code, description: e.description };
}

/** revenue_split_info as the SDK reads it: each contractor's share with its resolved amount. */
export function renderRevenueSplit(shares: readonly SplitShare[], currency: string): Record<string, unknown>[] {
  return shares.map((s) => ({
    contractor_alias: s.contractorAlias,
    ...(s.percent !== null ? { percent: s.percent } : {}),
    ...(s.remains ? { remains: true } : {}),
    amount: { amount: s.amount, currency },
  }));
}

/** A refund inside its payment's (or returned payout's) `refunds[]` (§6.4). */
export function renderRefund(r: Refund): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    id: r.id,
    status: r.status,
    created_at: formatTimestamp(r.createdAt),
  };
  if (r.finishedAt) wire['finished_at'] = formatTimestamp(r.finishedAt);
  // Always present, as the SDK reads it as a boolean and the real service sends it (false unless a chargeback made it).
  wire['is_chargeback'] = r.isChargeback;
  wire['amount_details'] = { amount: r.amount, currency: r.currency };
  // The SDK's refund reads `amounts` as never absent. A refund gives the amount back and no fee is
  // charged or returned on it (docs/decisions.md), so gross = net = amount and the fee is zero.
  wire['amounts'] = renderAmounts(r.amount, r.amount, 0, r.currency);
  if (r.revenueSplit) wire['revenue_split_info'] = renderRevenueSplit(r.revenueSplit, r.currency);
  if (r.metadata !== null && r.metadata !== undefined) wire['metadata'] = r.metadata;
  if (r.error) wire['error'] = renderOperationError(r.error);
  return wire;
}
