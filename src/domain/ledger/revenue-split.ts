import { invalidRequest } from '../../kernel/errors.js';
import { percentToBasisPoints, shareOf } from '../../kernel/money.js';

/**
 * Split payments (spec §5.20, the SDK's `revenue_split_info[]`): part of a payment goes to the
 * partner's contractors. Each item names a contractor the project knows and takes a `percent` of the
 * amount, a fixed `amount`, or `remains: true` — what is left once the other shares and payrail's fee
 * are taken (at most one item). Shares are resolved once, at start, in integer minor units; the
 * partner keeps amount − fee − shares. Refunds take back from each contractor in proportion.
 */
export interface SplitItemInput {
  readonly contractor_alias: string;
  readonly percent?: string | number | null | undefined;
  readonly amount?: { readonly amount: number; readonly currency: string } | undefined;
  readonly remains?: boolean | null | undefined;
}

/** One contractor's resolved share, as stored and echoed. */
export interface SplitShare {
  readonly contractorAlias: string;
  readonly amount: number;
  /** As the partner gave it, for the echo. */
  readonly percent: string | null;
  readonly remains: boolean;
}

export function resolveRevenueSplit(
  items: readonly SplitItemInput[],
  payment: { amount: number; currency: string; fee: number },
  contractors: readonly string[],
  field = 'revenue_split_info',
): SplitShare[] {
  if (items.length === 0) throw invalidRequest(`${field} must hold at least one item when given`);
  const seen = new Set<string>();
  const fixed: (SplitShare | undefined)[] = items.map((item, i) => {
    const at = `${field}[${i}]`;
    if (!contractors.includes(item.contractor_alias)) {
      throw invalidRequest(`${at}.contractor_alias "${item.contractor_alias}" is not a contractor of this project${contractors.length ? ` (known: ${contractors.join(', ')})` : ' (it has none; add them with payrail project update <name> --contractors a,b)'}`);
    }
    if (seen.has(item.contractor_alias)) throw invalidRequest(`${at}.contractor_alias "${item.contractor_alias}" appears twice`);
    seen.add(item.contractor_alias);
    const hasPercent = item.percent !== undefined && item.percent !== null;
    const ways = [hasPercent, item.amount !== undefined, item.remains === true].filter(Boolean).length;
    if (ways !== 1) throw invalidRequest(`${at} needs exactly one of percent, amount or remains: true`);
    if (hasPercent) {
      const bp = percentToBasisPoints(item.percent!);
      if (bp === undefined || bp === 0) throw invalidRequest(`${at}.percent must be a number above 0 and at most 100 with at most two decimals, like "12.5"`);
      return { contractorAlias: item.contractor_alias, amount: shareOf(payment.amount, bp), percent: String(item.percent), remains: false };
    }
    if (item.amount !== undefined) {
      if (item.amount.currency.toLowerCase() !== payment.currency) {
        throw invalidRequest(`${at}.amount.currency ${item.amount.currency.toLowerCase()} differs from the payment's currency ${payment.currency}`);
      }
      if (item.amount.amount <= 0) throw invalidRequest(`${at}.amount.amount must be above 0`);
      return { contractorAlias: item.contractor_alias, amount: item.amount.amount, percent: null, remains: false };
    }
    return undefined;
  });
  const remainsAt = fixed.flatMap((s, i) => (s === undefined ? [i] : []));
  if (remainsAt.length > 1) throw invalidRequest(`${field}[${remainsAt[1]}].remains: only one item may take what remains (item ${remainsAt[0]} already does)`);
  const available = payment.amount - payment.fee;
  let taken = 0;
  for (const [i, share] of fixed.entries()) {
    taken += share?.amount ?? 0;
    if (taken > available) {
      // Name the item that goes over: the shares up to it already take more than is there.
      throw invalidRequest(
        `${field}[${i}] takes the shares to ${taken} ${payment.currency}, more than the ${available} left of ${payment.amount} after the acquiring fee of ${payment.fee}`,
      );
    }
  }
  return fixed.map((s, i) => s ?? { contractorAlias: items[i]!.contractor_alias, amount: available - taken, percent: null, remains: true });
}

/**
 * What each contractor gives back of a refund of `refund` out of `captured`: its share in proportion,
 * rounded down; the partner's own part covers the rounding.
 */
export function splitRefund(shares: readonly SplitShare[], refund: number, captured: number): SplitShare[] {
  return shares.map((s) => ({ ...s, amount: captured === 0 ? 0 : Number((BigInt(s.amount) * BigInt(refund)) / BigInt(captured)) }));
}
