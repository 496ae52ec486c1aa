import { currencyExponent } from '../../kernel/currencies.js';
import { formatAmount } from '../pages/html.js';
import { html, type Html } from './template.js';

/** 12.50 USD; an amount in a currency we do not know is shown in minor units. */
export function money(amount: number, currency: string): string {
  try {
    return formatAmount(amount, currency, currencyExponent(currency));
  } catch {
    return `${amount} ${currency.toUpperCase()} (minor units)`;
  }
}

/**
 * The only card data a page shows: bin, last4 and brand of the vault reference inside an
 * operation's payment details (or payout destination), each checked for its shape so that nothing
 * else (a hash, an expiry, a sealed code) can be printed by mistake.
 */
export function cardMask(instrument: unknown): Html | undefined {
  const found = findCard(instrument, 0);
  if (!found) return undefined;
  return html`<span class="mono" data-testid="card">${found.brand ?? 'card'} ${found.bin ?? ''}••••${found.last4}</span>`;
}

function findCard(value: unknown, depth: number): { bin?: string; last4: string; brand?: string } | undefined {
  if (depth > 6 || value === null || typeof value !== 'object') return undefined;
  const o = value as Record<string, unknown>;
  if (typeof o['last4'] === 'string' && /^\d{4}$/.test(o['last4'])) {
    const bin = typeof o['bin'] === 'string' && /^\d{6,8}$/.test(o['bin']) ? o['bin'] : undefined;
    const brand = typeof o['brand'] === 'string' && /^[a-z_ -]{1,32}$/i.test(o['brand']) ? o['brand'] : undefined;
    return { last4: o['last4'], ...(bin ? { bin } : {}), ...(brand ? { brand } : {}) };
  }
  for (const v of Object.values(o)) {
    const c = findCard(v, depth + 1);
    if (c) return c;
  }
  return undefined;
}

/** Metadata as JSON text (escaped by the template like any other value). */
export const jsonText = (value: unknown): string => (value === null || value === undefined ? '' : JSON.stringify(value, null, 1));

export const percent = (part: number, whole: number): string => (whole === 0 ? '–' : `${((part * 1000) / whole / 10).toFixed(1)} %`);
