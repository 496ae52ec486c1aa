import type { Queryable, Tx } from '../../platform/db/database.js';
import { ApiError } from '../../kernel/errors.js';
import { accountBalances, bookEntry, unbalancedEntries, walletBalancesAt, walletMovementOf, type AccountKind, type AccountRef } from './ledger.repo.js';

/**
 * The only writer of the ledger. Every money event is one journal entry of two or more postings in
 * one currency that sum to zero, written in the caller's transaction (the same one that changes the
 * operation's state). Entries are never changed: a mistake is corrected by a reversing entry. Balances
 * are kept per account as the running sum of its postings; the payout wallet may never go negative.
 *
 * Sign convention: an account's balance is the sum of its postings. The partner's accounts (wallet,
 * reserved, acquiring_settlement) and payrail's fees grow with positive postings; the outside world's
 * accounts (external_*) mirror them with negative ones, so every currency sums to zero.
 */
export interface Booking {
  readonly projectId: string;
  /** The event type; with `reference` it names the entry, so booking the same event twice books it once. */
  readonly kind: 'topup' | 'payout_reserve' | 'payout_settle' | 'payout_void' | 'payout_return' | 'capture' | 'refund' | 'chargeback';
  readonly reference: string;
  readonly description: string;
  readonly currency: string;
  readonly at: Date;
  readonly postings: readonly (AccountRef & { readonly amount: number })[];
}

export type BookResult = { readonly kind: 'booked' } | { readonly kind: 'already_booked' } | { readonly kind: 'insufficient_funds'; readonly available: number; readonly needed: number };

export async function book(tx: Tx, b: Booking): Promise<BookResult> {
  const postings = b.postings.filter((p) => p.amount !== 0);
  if (postings.some((p) => !Number.isSafeInteger(p.amount))) throw new Error(`ledger: ${b.kind} ${b.reference} has a non-integer amount`);
  if (postings.reduce((s, p) => s + p.amount, 0) !== 0) throw new Error(`ledger: ${b.kind} ${b.reference} does not sum to zero`);
  if (postings.length < 2) throw new Error(`ledger: ${b.kind} ${b.reference} needs two postings or more`);
  // One round trip (ledger.repo.ts bookEntry, migration 0020): the accounts' locks are taken there
  // and held to COMMIT, so callers book as late in their transaction as they can.
  return bookEntry(tx, b, postings);
}

export { walletBalancesAt };

export interface TrialBalance {
  readonly balanced: boolean;
  readonly currencies: { currency: string; total: number }[];
  readonly unbalancedEntries: string[];
  /** Accounts whose stored balance differs from the sum of their postings (must be none). */
  readonly driftedAccounts: { projectId: string; kind: AccountKind; holder: string; currency: string; balance: number; postings: number }[];
  readonly negativeWallets: { projectId: string; currency: string; balance: number }[];
}

export async function trialBalance(db: Queryable): Promise<TrialBalance> {
  const accounts = await accountBalances(db);
  const totals = new Map<string, number>();
  for (const a of accounts) totals.set(a.currency, (totals.get(a.currency) ?? 0) + a.balance);
  const currencies = [...totals].map(([currency, total]) => ({ currency, total })).sort((x, y) => x.currency.localeCompare(y.currency));
  const unbalanced = await unbalancedEntries(db);
  const drifted = accounts.filter((a) => a.balance !== a.postings);
  const negativeWallets = accounts.filter((a) => a.kind === 'wallet' && a.balance < 0).map((a) => ({ projectId: a.projectId, currency: a.currency, balance: a.balance }));
  return {
    balanced: currencies.every((c) => c.total === 0) && unbalanced.length === 0 && drifted.length === 0 && negativeWallets.length === 0,
    currencies,
    unbalancedEntries: unbalanced,
    driftedAccounts: drifted,
    negativeWallets,
  };
}

export async function projectAccounts(db: Queryable, projectId: string) {
  return accountBalances(db, projectId);
}

/**
 * Money the partner sends to prefund payouts: from the outside world into the project's wallet.
 * `reference` names the top-up: booking the same reference again books nothing ('already_booked'),
 * and a reference already used for another amount or currency is refused.
 */
export async function topUpWallet(tx: Tx, input: { projectId: string; currency: string; amount: number; reference: string; at: Date }): Promise<'booked' | 'already_booked'> {
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) throw new Error('a top-up is a positive whole number of minor units');
  const result = await book(tx, {
    projectId: input.projectId,
    kind: 'topup',
    reference: input.reference,
    description: `wallet top-up ${input.reference}`,
    currency: input.currency,
    at: input.at,
    postings: [
      { account: 'external_topup', amount: -input.amount },
      { account: 'wallet', amount: input.amount },
    ],
  });
  if (result.kind === 'booked') return 'booked';
  const first = await walletMovementOf(tx, input.projectId, 'topup', input.reference);
  if (!first || first.amount !== input.amount || first.currency !== input.currency) {
    throw new ApiError(
      'idempotency_key_already_exists',
      first
        ? `top-up reference "${input.reference}" was already used for ${first.amount} ${first.currency.toUpperCase()} (minor units)`
        : `top-up reference "${input.reference}" is already taken`,
    );
  }
  return 'already_booked';
}
