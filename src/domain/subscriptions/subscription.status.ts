import type { TransitionTable } from '../../kernel/state-machine.js';

/**
 * A subscription's lifecycle (payment_options.subscription, §6.10; docs/tokens.md):
 *
 * - active     the schedule runs: `next_point` is the next point of the period after the sandbox
 *              clock's now. subscription/cancel stops it.
 * - cancelled  stopped by subscription/cancel; no next_point. subscription/restore starts it again
 *              on the same schedule (the next point after now).
 *
 * The database enforces the same list (migration 0012).
 */
export type SubscriptionStatus = 'active' | 'cancelled';

export const SUBSCRIPTION_TRANSITIONS: TransitionTable<SubscriptionStatus> = {
  active: ['cancelled'],
  cancelled: ['active'],
};

/** The periods a subscription may have: its charges fall due once per period from the first payment. */
export const SUBSCRIPTION_PERIODS = ['day', 'week', 'month', 'year'] as const;
export type SubscriptionPeriod = (typeof SUBSCRIPTION_PERIODS)[number];

/** anchor + n periods, in UTC; a month or year from the 31st (or 29 February) ends on the month's last day. */
export function addPeriods(anchor: Date, period: SubscriptionPeriod, n: number): Date {
  if (period === 'day' || period === 'week') return new Date(anchor.getTime() + n * (period === 'day' ? 1 : 7) * 86_400_000);
  const months = period === 'month' ? n : 12 * n;
  const y = anchor.getUTCFullYear();
  const m = anchor.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, m, Math.min(anchor.getUTCDate(), lastDay), anchor.getUTCHours(), anchor.getUTCMinutes(), anchor.getUTCSeconds(), anchor.getUTCMilliseconds()));
}

/** The first point of the schedule (anchor + k periods, k ≥ 1) strictly after `now`. */
export function nextPointAfter(anchor: Date, period: SubscriptionPeriod, now: Date): Date {
  let n = 1;
  if (period === 'day' || period === 'week') {
    const step = (period === 'day' ? 1 : 7) * 86_400_000;
    n = Math.max(1, Math.floor((now.getTime() - anchor.getTime()) / step));
  }
  let at = addPeriods(anchor, period, n);
  while (at <= now) at = addPeriods(anchor, period, ++n);
  return at;
}
