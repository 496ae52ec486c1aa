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

export interface LockedAccount {
  readonly id: string;
  readonly kind: AccountKind;
  readonly holder: string;
  readonly balance: number;
}

/** Creates the accounts if missing, then locks them in one fixed order (kind, holder, id), so no two bookings deadlock. */
export async function lockAccounts(tx: Tx, projectId: string, currency: string, refs: readonly AccountRef[]): Promise<Map<string, LockedAccount>> {
  const unique = [...new Map(refs.map((r) => [accountKey(r), { kind: r.account, holder: r.holder ?? '' }])).values()];
  await tx
    .insertInto('ledger_accounts')
    .values(unique.map((r) => ({ project_id: projectId, kind: r.kind, holder: r.holder, currency })))
    .onConflict((oc) => oc.columns(['project_id', 'kind', 'currency', 'holder']).doNothing())
    .execute();
  const rows = await tx
    .selectFrom('ledger_accounts')
    .select(['id', 'kind', 'holder', 'balance'])
    .where('project_id', '=', projectId)
    .where('currency', '=', currency)
    .where('kind', 'in', [...new Set(unique.map((r) => r.kind))])
    .where('holder', 'in', [...new Set(unique.map((r) => r.holder))])
    .orderBy('kind')
    .orderBy('holder')
    .orderBy('id')
    .forUpdate()
    .execute();
  const wanted = new Set(unique.map((r) => `${r.kind}/${r.holder}`));
  return new Map(
    rows
      .map((r) => ({ id: String(r.id), kind: r.kind as AccountKind, holder: r.holder, balance: Number(r.balance) }))
      .filter((a) => wanted.has(`${a.kind}/${a.holder}`))
      .map((a) => [`${a.kind}/${a.holder}`, a]),
  );
}

export async function insertEntry(tx: Tx, e: { projectId: string; kind: string; reference: string; description: string; at: Date }): Promise<string | undefined> {
  const row = await tx
    .insertInto('ledger_entries')
    .values({ project_id: e.projectId, kind: e.kind, reference: e.reference, description: e.description, booked_at: e.at })
    .onConflict((oc) => oc.columns(['kind', 'reference']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row ? String(row.id) : undefined;
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

export async function insertPostings(tx: Tx, entryId: string, at: Date, postings: readonly { accountId: string; amount: number }[]): Promise<void> {
  await tx
    .insertInto('ledger_postings')
    .values(postings.map((p) => ({ entry_id: entryId, account_id: p.accountId, amount: p.amount, booked_at: at })))
    .execute();
  for (const p of postings) {
    await tx.updateTable('ledger_accounts').set({ balance: sql`balance + ${p.amount}` }).where('id', '=', p.accountId).execute();
  }
}

/** A wallet's balance at a moment: the sum of its postings booked up to then. */
export async function walletBalancesAt(db: Queryable, projectId: string, at: Date): Promise<{ id: string; currency: string; amount: number }[]> {
  const rows = await sql<{ id: string; currency: string; amount: string }>`
    SELECT a.id, a.currency, COALESCE(SUM(p.amount) FILTER (WHERE p.booked_at <= ${at}), 0) AS amount
    FROM ledger_accounts a LEFT JOIN ledger_postings p ON p.account_id = a.id
    WHERE a.project_id = ${projectId} AND a.kind = 'wallet'
    GROUP BY a.id, a.currency ORDER BY a.currency`.execute(db);
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
