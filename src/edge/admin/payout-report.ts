import { formatMinorUnits } from '../../kernel/money.js';
import type { Queryable } from '../../platform/db/database.js';
import { currencyExponent } from '../../kernel/currencies.js';
import { formatTimestamp } from '../../kernel/time.js';
import { findPayout, listFinishedPayouts, type Payout } from '../../domain/payouts/payout.repo.js';
import { maskedPaymentMethod } from '../wire/payout.wire.js';

/**
 * The daily payouts report (§5.19) as CSV: one `Advice` row per payout paid in the window and one
 * `Refund` row per payout returned in it, with the report's field names. Amounts are decimal in the
 * currency's major unit, as in Smart Glocal's own report.
 */
export const REPORT_COLUMNS = [
  'operationId',
  'transactionDate',
  'finishedAt',
  'typeOfPayment',
  'paymentFast',
  'paymentSessionId',
  'paymentSessionMerchantMetadata',
  'paymentMethodIdentity',
  'product',
  'grossLocalAmount',
  'grossLocalCurrency',
  'paymentLocalAmount',
  'paymentLocalCurrency',
  'feesLocalAmount',
  'feesLocalCurrency',
  'RRN',
] as const;

/** The columns that hold numbers (amounts in major units, the paymentFast flag): written as plain numbers. */
const NUMERIC_COLUMNS: ReadonlySet<(typeof REPORT_COLUMNS)[number]> = new Set(['paymentFast', 'grossLocalAmount', 'paymentLocalAmount', 'feesLocalAmount']);

/** A plain decimal number, as the amount columns hold ("124.93", "-1.48", "0"). */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/** What a spreadsheet (Excel, LibreOffice, Google Sheets) would start a formula with: =, +, -, @, tab, CR. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell (RFC 4180: quoted when it holds a quote, comma or line break). A text cell that a
 * spreadsheet would run as a formula (CSV injection: metadata "=HYPERLINK(…)", a phone "+7…") is
 * neutralised the OWASP way: a single quote before it, and the cell quoted, so it opens as the text
 * it is. A numeric column's plain number (a negative amount too) is written as it is, so it stays a
 * number; anything else in a numeric column is treated as text.
 */
export function csvCell(value: unknown, numeric = false): string {
  if (numeric && typeof value === 'number' && Number.isFinite(value)) return String(value);
  const text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (numeric && PLAIN_NUMBER.test(text)) return text;
  if (FORMULA_START.test(text)) return `"'${text.replace(/"/g, '""')}"`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const csvRow = (row: readonly unknown[]) => row.map((value, i) => csvCell(value, NUMERIC_COLUMNS.has(REPORT_COLUMNS[i]!))).join(',');

const decimal = (minor: number, currency: string) => formatMinorUnits(minor, currencyExponent(currency));

function identity(p: Payout): string {
  const m = maskedPaymentMethod(p.destination);
  if (m['type'] === 'card') {
    const c = m['card'] as { brand: string; last4: string };
    return `${c.brand} *${c.last4}`;
  }
  const account = (m['bank_account'] ?? m['wallet'] ?? {}) as Record<string, unknown>;
  const inner = (account[String(account['system_type'] ?? account['type'])] ?? account) as Record<string, unknown>;
  return String(inner['iban'] ?? inner['bank_account_number'] ?? inner['account_number'] ?? inner['account'] ?? inner['phone'] ?? '');
}

export async function payoutsReportCsv(db: Queryable, projectId: string, from: Date, to: Date): Promise<string> {
  const payouts = await listFinishedPayouts(db, projectId, from, to);
  const returns = await db
    .selectFrom('refunds')
    .innerJoin('payouts', 'payouts.id', 'refunds.payout_id')
    .innerJoin('sessions', 'sessions.id', 'refunds.session_id')
    .select(['refunds.id', 'refunds.payout_id', 'refunds.finished_at', 'refunds.amount', 'sessions.params as session_params'])
    .where('refunds.project_id', '=', projectId)
    .where('refunds.finished_at', '>=', from)
    .where('refunds.finished_at', '<', to)
    .execute();
  const byId = new Map(payouts.map((p) => [p.id, p]));
  const rows: unknown[][] = payouts.map((p) => [
    p.id,
    formatTimestamp(p.createdAt),
    p.finishedAt ? formatTimestamp(p.finishedAt) : '',
    'Advice',
    0,
    p.sessionId,
    p.sessionMetadata,
    identity(p),
    p.rail,
    decimal(p.amount + p.fee, p.currency),
    p.currency.toUpperCase(),
    decimal(p.amount, p.currency),
    p.currency.toUpperCase(),
    decimal(p.fee, p.currency),
    p.currency.toUpperCase(),
    (p.transactionInfo as { rrn?: string } | null)?.rrn ?? '',
  ]);
  for (const r of returns) {
    const p = byId.get(r.payout_id!) ?? (await findPayout(db, r.payout_id!));
    if (!p) continue;
    rows.push([
      p.id,
      formatTimestamp(p.createdAt),
      r.finished_at ? formatTimestamp(r.finished_at) : '',
      'Refund',
      0,
      p.sessionId,
      (r.session_params as { metadata?: unknown } | null)?.metadata,
      identity(p),
      p.rail,
      decimal(Number(r.amount), p.currency),
      p.currency.toUpperCase(),
      decimal(Number(r.amount), p.currency),
      p.currency.toUpperCase(),
      decimal(0, p.currency),
      p.currency.toUpperCase(),
      (p.transactionInfo as { rrn?: string } | null)?.rrn ?? '',
    ]);
  }
  return [REPORT_COLUMNS.join(','), ...rows.map(csvRow)].join('\r\n') + '\r\n';
}
