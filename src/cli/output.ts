import { currencyExponent, isCurrency } from '../kernel/currencies.js';

/**
 * The human form of an answer: the same JSON layout, with every amount followed by its major units
 * (`10000 (100.00 USD)`) and, on a terminal, a little colour. Colour only when the stream is a TTY
 * and NO_COLOR is unset (https://no-color.org); FORCE_COLOR forces it on.
 */
export function useColour(stream: NodeJS.WriteStream): boolean {
  if (process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '') return false;
  if (process.env['FORCE_COLOR'] !== undefined && process.env['FORCE_COLOR'] !== '0') return true;
  return stream.isTTY === true;
}

const ANSI = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, dim: 2, bold: 1 } as const;
export type Paint = (style: keyof typeof ANSI, text: string) => string;

export function painter(colour: boolean): Paint {
  return colour ? (style, text) => `\x1b[${ANSI[style]}m${text}\x1b[0m` : (_style, text) => text;
}

/** `10000, "usd"` → `100.00 USD`; undefined for a currency payrail does not know. */
export function majorUnits(minor: number, currency: string): string | undefined {
  if (!Number.isSafeInteger(minor) || !isCurrency(currency)) return undefined;
  const exp = currencyExponent(currency);
  const sign = minor < 0 ? '-' : '';
  const digits = String(Math.abs(minor)).padStart(exp + 1, '0');
  const whole = digits.slice(0, digits.length - exp);
  const frac = exp ? `.${digits.slice(digits.length - exp)}` : '';
  return `${sign}${whole}${frac} ${currency.toUpperCase()}`;
}

/** Integer fields beside a `currency` are amounts in its minor units (amount, fee, balance, …). */
const NOT_AMOUNTS = new Set(['count', 'exponent', 'attempts', 'attempts_made', 'steps', 'ran', 'version']);

function render(value: unknown, indent: string, paint: Paint, currency: string | undefined, key: string | undefined): string {
  if (value === null) return paint('dim', 'null');
  if (typeof value === 'string') {
    const text = JSON.stringify(value);
    if (key === 'status') return paint(value === 'error' || value === 'failed' || value === 'declined' || value === 'cancelled' ? 'red' : value === 'ok' || value === 'succeeded' || value === 'accepted' ? 'green' : 'yellow', text);
    return paint('green', text);
  }
  if (typeof value === 'number') {
    const major = currency !== undefined && key !== undefined && !NOT_AMOUNTS.has(key) ? majorUnits(value, currency) : undefined;
    return `${paint('cyan', String(value))}${major ? ` ${paint('dim', `(${major})`)}` : ''}`;
  }
  if (typeof value === 'boolean') return paint('magenta', String(value));
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => `${inner}${render(v, inner, paint, undefined, undefined)}`).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    const cur = (value as Record<string, unknown>)['currency'];
    const here = typeof cur === 'string' ? cur : undefined;
    return `{\n${entries.map(([k, v]) => `${inner}${paint('blue', JSON.stringify(k))}: ${render(v, inner, paint, here, k)}`).join(',\n')}\n${indent}}`;
  }
  return String(value);
}

export function renderPretty(value: unknown, colour: boolean): string {
  return render(value, '', painter(colour), undefined, undefined);
}

/**
 * A top-up amount, unambiguous: `100.00` (a decimal point, exactly the currency's digits) is major
 * units; a whole number is minor units only with `--minor` (for a currency without minor units, such
 * as JPY, both read the same). Anything else is refused with the two ways to write it.
 */
export function parseTopupAmount(raw: string, currency: string, minor: boolean): number {
  if (!isCurrency(currency)) throw new RangeError(`"${currency}" is not an ISO 4217 currency code`);
  const exp = currencyExponent(currency);
  const example = majorUnits(10000, currency)!.split(' ')[0];
  const hint = `write the amount in major units with ${exp} decimals (${example} ${currency.toUpperCase()}), or a whole number of minor units with --minor (10000 --minor)`;
  if (minor) {
    if (!/^\d+$/.test(raw)) throw new RangeError(`with --minor the amount is a whole number of minor units; ${hint}`);
    return Number(raw);
  }
  const m = /^(\d+)(?:\.(\d+))?$/.exec(raw);
  if (!m) throw new RangeError(`the amount must be a positive number; ${hint}`);
  const [, whole, frac] = m;
  if (frac === undefined && exp > 0) throw new RangeError(`"${raw}" is ambiguous; ${hint}`);
  if ((frac ?? '').length !== (frac === undefined ? 0 : exp)) throw new RangeError(`${currency.toUpperCase()} has ${exp} decimals; ${hint}`);
  return Number(`${whole}${frac ?? ''}`);
}
