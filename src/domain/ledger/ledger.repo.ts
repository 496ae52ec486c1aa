import { sql } from 'kysely';
import type { Queryable, Tx } from '../../platform/db/database.js';

export const ACCOUNT_KINDS = [
  'wallet',
  'reserved',
  'acquiring_settlement',
  'contractor_settlement',
  'fees',
  'external_topup',
  'external_card_network',
  'external_bank_rails',
] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/** An account of a project in one currency; `holder` tells apart accounts of one kind (a contractor's alias). */
export interface AccountRef {
  readonly account: AccountKind;
  readonly holder?: string | undefined;
}

export const accountKey = (ref: AccountRef): string => `${ref.account}/${ref.holder ?? ''}`;

/**
 * Books one journal entry in one round trip through payrail_book (migration 0020): creates missing
 * accounts, locks them in one fixed order (kind, holder, id) so no two bookings deadlock, refuses
 * what would take the wallet below zero, and writes the entry (once per kind and reference), its
 * postings and the accounts' balances. The caller has checked that the postings sum to zero.
 */
export async function bookEntry(
  tx: Tx,
  e: { projectId: string; kind: string; reference: string; description: string; currency: string; at: Date },
  postings: readonly (AccountRef & { readonly amount: number })[],
): Promise<{ kind: 'booked' } | { kind: 'already_booked' } | { kind: 'insufficient_funds'; available: number; needed: number }> {
  const res = await sql<{ outcome: 'booked' | 'already_booked' | 'insufficient_funds'; available: string | null }>`
    SELECT outcome, available FROM payrail_book(${e.projectId}::bigint, ${e.kind}, ${e.reference}, ${e.description}, ${e.currency}, ${e.at}::timestamptz,
      ${postings.map((p) => p.account)}::text[], ${postings.map((p) => p.holder ?? '')}::text[], ${postings.map((p) => String(p.amount))}::bigint[])`.execute(tx);
  const row = res.rows[0];
  if (!row) throw new Error(`ledger: payrail_book returned nothing for ${e.kind} ${e.reference}`);
  if (row.outcome !== 'insufficient_funds') return { kind: row.outcome };
  const needed = -postings.filter((p) => p.account === 'wallet').reduce((sum, p) => sum + p.amount, 0);
  return { kind: 'insufficient_funds', available: Number(row.available ?? 0), needed };
}

/** What an entry moved into or out of the project's wallet: its amount and currency, if it touched it. */
export async function walletMovementOf(db: Queryable, projectId: string, kind: string, reference: string): Promise<{ amount: number; currency: string } | undefined> {
  const row = await db
    .selectFrom('ledger_entries as e')
    .innerJoin('ledger_postings as p', 'p.entry_id', 'e.id')
    .innerJoin('ledger_accounts as a', 'a.id', 'p.account_id')
    .select(['p.amount', 'a.currency'])
    .where('e.project_id', '=', projectId)
    .where('e.kind', '=', kind)
    .where('e.reference', '=', reference)
    .where('a.kind', '=', 'wallet')
    .executeTakeFirst();
  return row ? { amount: Number(row.amount), currency: row.currency } : undefined;
}

/**
 * A wallet's balance at a moment: the sum of its postings booked up to then, read as the running
 * balance less what was booked after it (one snapshot, so both agree). The usual question is about
 * now or the recent past, so this reads the few postings since then through
 * ledger_postings_account_time instead of re-adding the account's whole history.
 */
export async function walletBalancesAt(db: Queryable, projectId: string, at: Date): Promise<{ id: string; currency: string; amount: number }[]> {
  const rows = await sql<{ id: string; currency: string; amount: string }>`
    SELECT a.id, a.currency,
           a.balance - COALESCE((SELECT SUM(p.amount) FROM ledger_postings p WHERE p.account_id = a.id AND p.booked_at > ${at}), 0) AS amount
    FROM ledger_accounts a
    WHERE a.project_id = ${projectId} AND a.kind = 'wallet'
    ORDER BY a.currency`.execute(db);
  return rows.rows.map((r) => ({ id: String(r.id), currency: r.currency, amount: Number(r.amount) }));
}

export async function accountBalances(
  db: Queryable,
  projectId?: string,
): Promise<{ projectId: string; kind: AccountKind; holder: string; currency: string; balance: number; postings: number }[]> {
  const rows = await sql<{ project_id: string; kind: AccountKind; holder: string; currency: string; balance: string; postings: string }>`
    SELECT a.project_id, a.kind, a.holder, a.currency, a.balance, COALESCE(SUM(p.amount), 0) AS postings
    FROM ledger_accounts a LEFT JOIN ledger_postings p ON p.account_id = a.id
    ${projectId ? sql`WHERE a.project_id = ${projectId}` : sql``}
    GROUP BY a.id ORDER BY a.project_id, a.currency, a.kind, a.holder`.execute(db);
  return rows.rows.map((r) => ({ projectId: String(r.project_id), kind: r.kind, holder: r.holder, currency: r.currency, balance: Number(r.balance), postings: Number(r.postings) }));
}

/** Entries whose postings do not sum to zero: must always be empty. */
export async function unbalancedEntries(db: Queryable): Promise<string[]> {
  const rows = await sql<{ entry_id: string }>`
    SELECT p.entry_id FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
    GROUP BY p.entry_id, a.currency HAVING SUM(p.amount) <> 0`.execute(db);
  return rows.rows.map((r) => String(r.entry_id));
}
