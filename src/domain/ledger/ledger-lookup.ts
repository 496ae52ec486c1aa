import type { Queryable } from '../../platform/db/database.js';

/** Read-only: the journal entries booked for some references (an operation's id), with their postings. */
export interface LedgerEntryView {
  readonly id: string;
  readonly kind: string;
  readonly reference: string;
  readonly description: string;
  readonly bookedAt: Date;
  readonly postings: readonly { readonly account: string; readonly holder: string; readonly currency: string; readonly amount: number }[];
}

/** Served by ledger_entries_reference (migration 0018) and ledger_postings_entry. */
export async function ledgerEntriesFor(db: Queryable, references: readonly string[]): Promise<LedgerEntryView[]> {
  if (references.length === 0) return [];
  const entries = await db.selectFrom('ledger_entries').selectAll().where('reference', 'in', references).orderBy('id').execute();
  if (entries.length === 0) return [];
  const postings = await db
    .selectFrom('ledger_postings as p')
    .innerJoin('ledger_accounts as a', 'a.id', 'p.account_id')
    .select(['p.entry_id', 'p.amount', 'a.kind', 'a.holder', 'a.currency'])
    .where(
      'p.entry_id',
      'in',
      entries.map((e) => e.id),
    )
    .orderBy('p.id')
    .execute();
  return entries.map((e) => ({
    id: String(e.id),
    kind: e.kind,
    reference: e.reference,
    description: e.description,
    bookedAt: e.booked_at,
    postings: postings
      .filter((p) => String(p.entry_id) === String(e.id))
      .map((p) => ({ account: p.kind, holder: p.holder, currency: p.currency, amount: Number(p.amount) })),
  }));
}
