/**
 * Money is an integer number of minor units in one currency (spec §4: 10000 USD is 100.00). No
 * float ever takes part in arithmetic on it: amounts are safe integers, shares of an amount are
 * computed in integers (basis points), and mixing currencies throws.
 */
export interface Money {
  /** Minor units: cents for USD, yen for JPY. A safe integer, never negative on the wire. */
  readonly amount: number;
  /** Lower-case ISO 4217 code, as the wire renders it. */
  readonly currency: string;
}

/** The sum of integer amounts (all in the currency the caller holds them in). */
export const sumAmounts = (amounts: Iterable<number>): number => {
  let total = 0;
  for (const a of amounts) total += a;
  if (!Number.isSafeInteger(total)) throw new Error('money sum overflows a safe integer');
  return total;
};

/** 10000 basis points make 100 %. */
export const BASIS_POINTS = 10_000;

/**
 * A share of an amount, rounded down to a whole minor unit: `amount × basisPoints / 10000` in
 * integers (BigInt, so a large amount cannot lose precision on the way).
 */
export function shareOf(amount: number, basisPoints: number): number {
  if (!Number.isSafeInteger(amount) || !Number.isSafeInteger(basisPoints)) throw new Error('shareOf takes integers');
  return Number((BigInt(amount) * BigInt(basisPoints)) / BigInt(BASIS_POINTS));
}

/**
 * A decimal percentage as the wire gives it ("10", "12.5", 7.25) in basis points, or undefined when
 * it is not a number from 0 to 100 with at most two decimals.
 */
export function percentToBasisPoints(value: string | number): number | undefined {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const m = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) return undefined;
  const bp = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return bp <= BASIS_POINTS ? bp : undefined;
}

/** "100.00" for 10000 with exponent 2: a decimal string by integer arithmetic, for display only. */
export function formatMinorUnits(amount: number, exponent: number): string {
  const negative = amount < 0;
  const digits = String(Math.abs(amount)).padStart(exponent + 1, '0');
  const whole = exponent === 0 ? digits : digits.slice(0, -exponent);
  const frac = exponent === 0 ? '' : `.${digits.slice(-exponent)}`;
  return `${negative ? '-' : ''}${whole}${frac}`;
}
