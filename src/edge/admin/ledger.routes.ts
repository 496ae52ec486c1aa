import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../platform/db/database.js';
import { findProjectByName } from '../../domain/projects/project.repo.js';
import type { Clock } from '../../kernel/clock.js';
import { normalizeCurrency } from '../../kernel/currencies.js';
import { ApiError } from '../../kernel/errors.js';
import type { IdGenerator } from '../../kernel/ids.js';
import { formatTimestamp } from '../../kernel/time.js';
import { projectAccounts, topUpWallet, trialBalance, walletBalancesAt } from '../../domain/ledger/ledger.service.js';

const TopUpBody = Type.Object(
  {
    amount: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, errorMessage: 'must be a positive integer (minor units)' }),
    currency: Type.String({ format: 'currency' }),
    reference: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        pattern: '^[A-Za-z0-9._:-]+$',
        errorMessage: 'must be 1 to 64 letters, digits or . _ : - (your own name for this top-up: it is booked once)',
      }),
    ),
  },
  { title: 'WalletTopUpRequest' },
);
type TopUpBody = Static<typeof TopUpBody>;

/** Admin: wallet top-ups and balances, every account of a project, and the trial balance. */
export function ledgerAdminRoutes(app: FastifyInstance, deps: { db: Db; clock: Clock; ids: IdGenerator }): void {
  const project = async (name: string) => {
    const p = await findProjectByName(deps.db, name);
    if (!p) throw new ApiError('not_found', `project "${name}" does not exist`);
    return p;
  };
  const wallets = async (projectId: string) =>
    (await walletBalancesAt(deps.db, projectId, deps.clock.now())).map((w) => ({ id: w.id, amount_details: { amount: w.amount, currency: w.currency } }));

  app.post<{ Params: { name: string }; Body: TopUpBody }>('/projects/:name/wallet/topup', { schema: { body: TopUpBody, tags: ['admin'] } }, async (req) => {
    const p = await project(req.params.name);
    // A caller's reference is booked once (the ledger's unique index), named within its project.
    const reference = req.body.reference === undefined ? deps.ids('tu') : `${p.name}/${req.body.reference}`;
    const booked = await deps.db.transaction().execute((tx) =>
      topUpWallet(tx, { projectId: p.id, currency: normalizeCurrency(req.body.currency), amount: req.body.amount, reference, at: deps.clock.now() }),
    );
    return { status: 'ok', topup_id: reference, already_booked: booked === 'already_booked', wallets: await wallets(p.id) };
  });

  app.get<{ Params: { name: string } }>('/projects/:name/wallet', { schema: { tags: ['admin'] } }, async (req) => {
    const p = await project(req.params.name);
    const accounts = await projectAccounts(deps.db, p.id);
    return {
      status: 'ok',
      wallets: await wallets(p.id),
      accounts: accounts.map((a) => ({ kind: a.kind, currency: a.currency, balance: a.balance })),
      as_of: formatTimestamp(deps.clock.now()),
    };
  });

  app.get('/ledger/trial-balance', { schema: { tags: ['admin'] } }, async () => {
    const tb = await trialBalance(deps.db);
    return {
      status: 'ok',
      balanced: tb.balanced,
      currencies: tb.currencies,
      unbalanced_entries: tb.unbalancedEntries,
      drifted_accounts: tb.driftedAccounts,
      negative_wallets: tb.negativeWallets,
    };
  });
}
