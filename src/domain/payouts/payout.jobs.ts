import type { OperationErrorCode } from '../../kernel/operation-errors.js';
import type { Db, Tx } from '../../platform/db/database.js';
import type { JobHandlers } from '../../platform/jobs/job-kinds.js';
import { enqueueJob, type Job } from '../../platform/jobs/job.repo.js';
import { book } from '../ledger/ledger.service.js';
import { openRefund } from '../refunds/refund.service.js';
import type { BankRails, RailRequest } from './bank-rail.port.js';
import type { Project } from '../projects/project.repo.js';
import { settleSession, type SessionView } from '../sessions/session-view.js';
import { lockedStep } from '../sessions/locked-step.js';
import type { Session } from '../sessions/session.repo.js';
import { revealCardNumber } from '../tokens/vault.js';
import { findPayout, type Payout } from './payout.repo.js';
import { payoutOperations } from './payout.kind.js';
import { RAIL_SPECS } from './rails.js';
import { taxpayerRefusal, type FiscalReceipt, type TaxpayerRegistry } from './fiscalization.js';
import { findTaxpayerBinding } from '../tokens/self-employed.js';
import { PAYOUT_CONFIRM_TIMEOUT_MS, movePayout, payoutJobKey, reserveAndSend, type PayoutDeps } from './payout.service.js';
import type { PayoutStage } from './payout.status.js';

/** The payout jobs and their payloads: declared once, registered in the job registry below. */
interface PayoutJobPayloads {
  'payout.check': { payoutId: string };
  'payout.send': { payoutId: string };
  /** The rail accepted: the money arrives when this runs (the rail's settle delay). */
  'payout.settle': { payoutId: string; reference: string; returnAfterMs: number | null };
  'payout.reconcile': { payoutId: string };
  'payout.return': { payoutId: string };
  'payout.confirm_timeout': { payoutId: string };
}

declare module '../../platform/jobs/job-kinds.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface JobPayloads extends PayoutJobPayloads {}
}

export type PayoutJobKind = keyof PayoutJobPayloads;

/**
 * The rail-facing half of payouts, as jobs: read, call the rail outside any transaction (idempotent by
 * operation id), record the result in one short transaction with the session locked, if the payout
 * is still where the job found it. Ledger entries are booked in those same transactions and are
 * idempotent by (kind, payout id), so a resumed job never moves money twice.
 */
export interface PayoutJobDeps extends PayoutDeps {
  readonly db: Db;
  readonly rails: BankRails;
  /** The tax service, for payouts to the self-employed (fiscalization.ts). */
  readonly taxpayers: TaxpayerRegistry;
}

interface Ctx {
  readonly tx: Tx;
  readonly payout: Payout;
  readonly session: Session;
  readonly project: Project;
  readonly now: Date;
  /** Settles the session from what the step read under the lock, with the payout as it now is (locked-step.ts). */
  readonly settle: (moved: Payout) => Promise<SessionView>;
  /** Runs `fn` just before COMMIT: ledger bookings, so their row locks are held the shortest time. */
  readonly atEnd: (fn: () => Promise<unknown>) => void;
}

/**
 * Runs `fn` with the session locked, if the payout is still at one of `stages`. Given the payout as the
 * job read it before calling out (not only its id), that names the session to lock without a read;
 * the payout is read again under the lock either way.
 */
function step(deps: PayoutJobDeps, job: Pick<Job, 'finish'>, payout: Payout | string, stages: readonly PayoutStage[], fn: (c: Ctx) => Promise<void>): Promise<void> {
  const id = typeof payout === 'string' ? payout : payout.id;
  const before = typeof payout === 'string' ? undefined : payout;
  // Every handler's step is its last action: it ends the job with its own writes.
  return lockedStep(deps, { kind: payoutOperations, id, before, load: (q) => findPayout(q, id), finish: job.finish }, stages, ({ op, view: _view, ...rest }) => fn({ ...rest, payout: op }));
}

/** Moves the payout and settles its session from the step's view: no second read of the session. */
async function moveAndSettle(c: Ctx, to: PayoutStage, patch: Parameters<typeof movePayout>[3]): Promise<SessionView> {
  return c.settle(await movePayout(c.tx, c.payout, to, patch, c.now));
}

async function railRequest(deps: PayoutJobDeps, p: Payout): Promise<RailRequest> {
  const destination = await RAIL_SPECS[p.rail].routingKey(p.destination, (cardId) => revealCardNumber(deps.db, deps.keyring, p.projectId, cardId));
  return { operationId: p.id, rail: p.rail, destination, amount: p.amount, currency: p.currency };
}

async function finish(deps: PayoutJobDeps, c: Ctx, to: 'succeeded' | 'failed' | 'error', patch: Parameters<typeof movePayout>[3]): Promise<void> {
  const view = await moveAndSettle(c, to, patch);
  await deps.events.emit(c.tx, c.project, view, 'payment_finished', c.now);
}

const total = (p: Payout) => p.amount + p.fee;

/** What the rail says about the money once it has moved: its reference, and a card network's auth code. */
interface Paid {
  readonly reference: string;
  readonly authCode?: string | undefined;
  /** The income registered with the tax service, for a payout with fiscalization. */
  readonly receipt?: FiscalReceipt | undefined;
}

/**
 * Registers a fiscalized payout's income once the money is paid, outside any transaction (the tax
 * service is the outside world; asking again for the same payout returns the same receipt).
 */
async function receiptOf(deps: PayoutJobDeps, p: Payout): Promise<FiscalReceipt | undefined> {
  if (!p.fiscalization) return undefined;
  const registered = await deps.taxpayers.registerIncome({ operationId: p.id, fiscalization: p.fiscalization, amount: p.amount, now: deps.clock.now() });
  return registered.receipt;
}

/** The rail paid: the reservation goes to the rail (amount) and to fees (fee). */
async function settle(deps: PayoutJobDeps, c: Ctx, paid: Paid, returnAfterMs: number | undefined): Promise<void> {
  // Booked last: the project's reserved and fees rows stay locked only from here to COMMIT.
  c.atEnd(() => book(c.tx, {
    projectId: c.project.id,
    kind: 'payout_settle',
    reference: c.payout.id,
    description: `payout ${c.payout.id} paid`,
    currency: c.payout.currency,
    at: c.now,
    postings: [
      { account: 'reserved', amount: -total(c.payout) },
      { account: 'external_bank_rails', amount: c.payout.amount },
      { account: 'fees', amount: c.payout.fee },
    ],
  }));
  await finish(deps, c, 'succeeded', {
    transactionInfo: { rrn: paid.reference, ...(paid.authCode ? { auth_code: paid.authCode } : {}) },
    ...(c.payout.fiscalization && paid.receipt ? { fiscalization: { ...c.payout.fiscalization, receipt: paid.receipt } } : {}),
  });
  if (returnAfterMs !== undefined) {
    const at = new Date(c.now.getTime() + returnAfterMs);
    await enqueueJob(c.tx, { kind: 'payout.return', payload: { payoutId: c.payout.id }, runAt: at, uniqueKey: payoutJobKey(c.payout.id, 'return') }, c.now);
  }
}

/** The rail refused: the reservation goes back to the wallet, fee included. */
async function voidAndFail(deps: PayoutJobDeps, c: Ctx, code: OperationErrorCode, description: string): Promise<void> {
  if (c.payout.reserved) {
    c.atEnd(() => book(c.tx, {
      projectId: c.project.id,
      kind: 'payout_void',
      reference: c.payout.id,
      description: `payout ${c.payout.id} failed: ${code}`,
      currency: c.payout.currency,
      at: c.now,
      postings: [
        { account: 'reserved', amount: -total(c.payout) },
        { account: 'wallet', amount: total(c.payout) },
      ],
    }));
  }
  await finish(deps, c, 'failed', { reserved: false, error: { code, description } });
}

/**
 * The rail failed and cannot say whether it paid: the payout is in error (the session too), and amount
 * plus fee stay reserved, since the money may have left. Support resolves it (docs/decisions.md).
 */
async function failUnexpectedly(deps: PayoutJobDeps, c: Ctx, code: OperationErrorCode, description: string): Promise<void> {
  await finish(deps, c, 'error', { error: { code, description } });
}

export function payoutJobHandlers(deps: PayoutJobDeps): JobHandlers<PayoutJobKind> {
  return {
    async 'payout.check'(job) {
      const payout = await findPayout(deps.db, job.payload.payoutId);
      if (!payout || payout.stage !== 'checking') return;
      if (!RAIL_SPECS[payout.rail].movesMoney) {
        const account = payout.destination.type === 'bank_account' ? payout.destination.account : {};
        const found = await deps.rails.verifyFpsCustomer({ operationId: payout.id, phone: String(account['phone'] ?? ''), bankId: String(account['bank_id'] ?? '') });
        await step(deps, job, payout, ['checking'], (c) =>
          found.kind === 'found' ? finish(deps, c, 'succeeded', {}) : finish(deps, c, 'failed', { error: { code: found.code, description: found.description } }),
        );
        return;
      }
      const taxpayer = payout.fiscalization
        ? await deps.taxpayers.checkTaxpayer({ operationId: payout.id, taxReference: payout.fiscalization.taxReference, amount: payout.amount, now: deps.clock.now() })
        : undefined;
      await step(deps, job, payout, ['checking'], async (c) => {
        if (taxpayer && c.payout.fiscalization) {
          const binding = await findTaxpayerBinding(c.tx, c.project.id, c.payout.fiscalization.taxReference);
          const refusal = taxpayerRefusal(taxpayer, binding?.status === 'bound', c.payout.fiscalization.taxReference);
          if (refusal) return finish(deps, c, 'failed', { error: { code: refusal.code, description: refusal.description } });
        }
        if (c.project.autoConfirm) {
          const after = await reserveAndSend(c.tx, deps, c.project, c.payout, c.now);
          const view = await c.settle(after);
          if (after.stage === 'failed') await deps.events.emit(c.tx, c.project, view, 'payment_finished', c.now);
          return;
        }
        const view = await moveAndSettle(c, 'awaiting_confirm', {});
        await deps.events.emit(c.tx, c.project, view, 'ready_to_confirm', c.now);
        const at = new Date(c.now.getTime() + PAYOUT_CONFIRM_TIMEOUT_MS);
        await enqueueJob(c.tx, { kind: 'payout.confirm_timeout', payload: { payoutId: c.payout.id }, runAt: at, uniqueKey: payoutJobKey(c.payout.id, 'confirm_timeout') }, c.now);
      });
    },

    async 'payout.send'(job) {
      const payout = await findPayout(deps.db, job.payload.payoutId);
      if (!payout || payout.stage !== 'sending') return;
      const result = await deps.rails.send(await railRequest(deps, payout));
      const receipt = result.kind === 'accepted' && result.settleAfterMs === 0 ? await receiptOf(deps, payout) : undefined;
      await step(deps, job, payout, ['sending'], async (c) => {
        if (result.kind === 'declined') return voidAndFail(deps, c, result.code, result.description);
        if (result.kind === 'error') return failUnexpectedly(deps, c, result.code, result.description);
        if (result.kind === 'timeout') {
          await moveAndSettle(c, 'unknown', {});
          const at = new Date(c.now.getTime() + result.reconcileAfterMs);
          await enqueueJob(c.tx, { kind: 'payout.reconcile', payload: { payoutId: c.payout.id }, runAt: at, uniqueKey: payoutJobKey(c.payout.id, 'reconcile') }, c.now);
          return;
        }
        if (result.settleAfterMs === 0) return settle(deps, c, { reference: result.reference, authCode: result.authCode, receipt }, result.returnAfterMs);
        await moveAndSettle(c, 'settling', { transactionInfo: { rrn: result.reference } });
        const at = new Date(c.now.getTime() + result.settleAfterMs);
        await enqueueJob(
          c.tx,
          { kind: 'payout.settle', payload: { payoutId: c.payout.id, reference: result.reference, returnAfterMs: result.returnAfterMs ?? null }, runAt: at, uniqueKey: payoutJobKey(c.payout.id, 'settle') },
          c.now,
        );
      });
    },

    async 'payout.settle'(job) {
      const { reference, returnAfterMs } = job.payload;
      const payout = await findPayout(deps.db, job.payload.payoutId);
      if (!payout || payout.stage !== 'settling') return;
      const receipt = await receiptOf(deps, payout);
      await step(deps, job, payout, ['settling'], (c) => settle(deps, c, { reference, receipt }, returnAfterMs ?? undefined));
    },

    /** A rail that timed out is asked again; the payout settles (or fails) exactly once. */
    async 'payout.reconcile'(job) {
      const payout = await findPayout(deps.db, job.payload.payoutId);
      if (!payout || payout.stage !== 'unknown') return;
      const result = await deps.rails.reconcile(await railRequest(deps, payout));
      const receipt = result.kind === 'settled' ? await receiptOf(deps, payout) : undefined;
      await step(deps, job, payout, ['unknown'], async (c) => {
        if (result.kind === 'settled') return settle(deps, c, { reference: result.reference, authCode: result.authCode, receipt }, result.returnAfterMs);
        if (result.kind === 'declined') return voidAndFail(deps, c, result.code, result.description);
        const at = new Date(c.now.getTime() + result.retryAfterMs);
        await enqueueJob(c.tx, { kind: 'payout.reconcile', payload: { payoutId: c.payout.id }, runAt: at, uniqueKey: `${payoutJobKey(c.payout.id, 'reconcile')}:${at.toISOString()}` }, c.now);
      });
    },

    /** The recipient's bank sent the money back: a refund on the payout, the wallet credited. */
    async 'payout.return'(job) {
      await step(deps, job, job.payload.payoutId, ['succeeded'], async (c) => {
        const refundId = deps.ids('rf');
        const booked = await book(c.tx, {
          projectId: c.project.id,
          kind: 'payout_return',
          reference: c.payout.id,
          description: `payout ${c.payout.id} returned by the recipient's bank`,
          currency: c.payout.currency,
          at: c.now,
          postings: [
            { account: 'external_bank_rails', amount: -c.payout.amount },
            { account: 'wallet', amount: c.payout.amount },
          ],
        });
        if (booked.kind !== 'booked') return;
        await openRefund(
          c.tx,
          {
            id: refundId,
            paymentId: null,
            payoutId: c.payout.id,
            sessionId: c.session.id,
            projectId: c.project.id,
            status: 'accepted',
            amount: c.payout.amount,
            currency: c.payout.currency,
            metadata: null,
            revenueSplit: null,
          },
          c.now,
        );
        const view = await settleSession(c.tx, deps.operations, c.session, c.now);
        await deps.events.emit(c.tx, c.project, view, 'payment_refunded', c.now);
      });
    },

    async 'payout.confirm_timeout'(job) {
      await step(deps, job, job.payload.payoutId, ['awaiting_confirm'], (c) =>
        finish(deps, c, 'failed', { error: { code: 'confirm_timeout', description: 'session/confirm did not come within 240 minutes of ready_to_confirm' } }),
      );
    },
  };
}
