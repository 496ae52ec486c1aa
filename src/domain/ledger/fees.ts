/**
 * Fees per project and operation type: a percentage of the amount plus a fixed part in minor units
 * of the operation's currency. Zero unless configured. Rounded half up to a whole minor unit, in
 * integer arithmetic (basis points), so no float ever touches money.
 */
export interface FeeRule {
  readonly percent: number;
  readonly fixed: number;
}

export type FeeSchedule = Partial<Record<'payout' | 'payment', FeeRule>>;

export function computeFee(amount: number, rule: FeeRule | undefined): number {
  if (!rule) return 0;
  const bps = BigInt(Math.round(rule.percent * 100));
  const variable = (BigInt(amount) * bps + 5000n) / 10000n;
  return Number(variable) + rule.fixed;
}
