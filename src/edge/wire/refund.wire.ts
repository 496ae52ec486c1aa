import { formatTimestamp } from '../../kernel/time.js';
import type { SplitShare } from '../../domain/ledger/revenue-split.js';
import type { Refund } from '../../domain/refunds/refund.repo.js';

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
  if (r.isChargeback) wire['is_chargeback'] = true;
  wire['amount_details'] = { amount: r.amount, currency: r.currency };
  if (r.revenueSplit) wire['revenue_split_info'] = renderRevenueSplit(r.revenueSplit, r.currency);
  if (r.metadata !== null && r.metadata !== undefined) wire['metadata'] = r.metadata;
  if (r.error) wire['error'] = r.error;
  return wire;
}
