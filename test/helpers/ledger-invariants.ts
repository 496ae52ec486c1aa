import assert from 'node:assert/strict';
import { afterEach } from 'node:test';
import { sql } from 'kysely';
import type { Queryable } from '../../src/platform/db/database.js';
import type { Harness } from './harness.js';

/**
 * The ledger's invariants (docs/test-payouts.md, "Money first"), checked twice: once through the
 * server's own report (GET /admin/ledger/trial-balance) and once with SQL written here, independent
 * of src/ledger, straight on the tables:
 * - every entry has two postings or more, in one currency, summing to zero;
 * - every account's stored balance is the sum of its postings;
 * - every project's accounts sum to zero in each currency (so every currency does);
 * - no wallet is negative now, and none ever was: the running sum of a wallet's postings, in the
 *   order they were booked, never dips below zero.
 */
export interface TrialBalanceBody {
  status: string;
  balanced: boolean;
  currencies: { currency: string; total: number }[];
  unbalanced_entries: unknown[];
  drifted_accounts: unknown[];
  negative_wallets: unknown[];
}

/** Asserts what GET /admin/ledger/trial-balance answered. */
export function assertTrialBalance(body: TrialBalanceBody, where = 'trial balance'): void {
  assert.equal(body.status, 'ok', `${where}: ${JSON.stringify(body)}`);
  assert.deepEqual(body.unbalanced_entries, [], `${where}: unbalanced entries`);
  assert.deepEqual(body.drifted_accounts, [], `${where}: accounts whose balance is not the sum of their postings`);
  assert.deepEqual(body.negative_wallets, [], `${where}: negative wallets`);
  assert.deepEqual(
    body.currencies.filter((c) => c.total !== 0),
    [],
    `${where}: currencies that do not sum to zero`,
  );
  assert.equal(body.balanced, true, `${where}: ${JSON.stringify(body)}`);
}

/** The same invariants, computed here from the ledger tables. */
export async function assertLedgerTables(db: Queryable, where = 'ledger tables'): Promise<void> {
  const badEntries = await sql<{ id: string; n: number; total: string; currencies: number }>`
    SELECT e.id, count(p.id)::int AS n, COALESCE(sum(p.amount), 0) AS total, count(DISTINCT a.currency)::int AS currencies
    FROM ledger_entries e
    LEFT JOIN ledger_postings p ON p.entry_id = e.id
    LEFT JOIN ledger_accounts a ON a.id = p.account_id
    GROUP BY e.id
    HAVING count(p.id) < 2 OR COALESCE(sum(p.amount), 0) <> 0 OR count(DISTINCT a.currency) <> 1`.execute(db);
  assert.deepEqual(badEntries.rows, [], `${where}: entries that are not balanced two-or-more-posting entries in one currency`);

  const drifted = await sql<{ id: string; balance: string; postings: string }>`
    SELECT a.id, a.balance, COALESCE(sum(p.amount), 0) AS postings
    FROM ledger_accounts a LEFT JOIN ledger_postings p ON p.account_id = a.id
    GROUP BY a.id, a.balance
    HAVING a.balance <> COALESCE(sum(p.amount), 0)`.execute(db);
  assert.deepEqual(drifted.rows, [], `${where}: accounts whose balance is not the sum of their postings`);

  const unsummed = await sql<{ project_id: string; currency: string; total: string }>`
    SELECT project_id, currency, sum(balance) AS total FROM ledger_accounts
    GROUP BY project_id, currency HAVING sum(balance) <> 0`.execute(db);
  assert.deepEqual(unsummed.rows, [], `${where}: projects whose accounts do not sum to zero in a currency`);

  const everNegative = await sql<{ account_id: string; running: string }>`
    SELECT account_id, running FROM (
      SELECT p.account_id, sum(p.amount) OVER (PARTITION BY p.account_id ORDER BY p.id) AS running
      FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
      WHERE a.kind = 'wallet'
    ) w WHERE running < 0`.execute(db);
  assert.deepEqual(everNegative.rows, [], `${where}: a wallet went below zero at some point`);
}

/** Both checks, on a harness. */
export async function assertLedgerInvariants(h: Harness, where?: string): Promise<void> {
  const res = await h.admin('GET', '/ledger/trial-balance');
  assert.equal(res.statusCode, 200, res.body);
  assertTrialBalance(res.json(), where);
  await assertLedgerTables(h.runtime.database.db, where);
}

/**
 * "Ledger invariants are checked after every test": registers an afterEach in the calling file (or
 * describe block) that checks them on the harness `get()` returns.
 */
export function checkLedgerAfterEach(get: () => Harness | undefined): void {
  afterEach(async (t) => {
    const h = get();
    if (h) await assertLedgerInvariants(h, `after "${t.name}"`);
  });
}
