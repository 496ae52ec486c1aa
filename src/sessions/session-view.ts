import type { Queryable, Tx } from '../db/database.js';
import { listSessionPayments, listSessionRefunds, type Payment, type Refund } from '../payments/payment.repo.js';
import { nextActionOf, paymentStatus } from '../payments/payment.status.js';
import { listSessionPayouts, type Payout } from '../payouts/payout.repo.js';
import { payoutStatus } from '../payouts/payout.status.js';
import { transition } from '../shared/state-machine.js';
import { updateSessionState, type Session } from './session.repo.js';
import { SESSION_TRANSITIONS, type SessionStatus } from './session.status.js';

/** A session with its operations: what responses and webhooks render. */
export interface SessionView {
  readonly session: Session;
  readonly payments: readonly Payment[];
  readonly payouts: readonly Payout[];
  readonly refunds: readonly Refund[];
}

export async function loadSessionView(db: Queryable, session: Session): Promise<SessionView> {
  // Sequential: a transaction has one connection.
  const payments = await listSessionPayments(db, session.id);
  const payouts = await listSessionPayouts(db, session.id);
  const refunds = await listSessionRefunds(db, session.id);
  return { session, payments, payouts, refunds };
}

/**
 * A session's status is computed from its operations, never set by hand (§7.1, §7.5):
 * - no operation: created, or cancelled after session/cancel;
 * - an operation in progress or pending, or a refund in progress: in_progress;
 * - otherwise the latest operation decides: succeeded → accepted, failed → cancelled.
 */
export function deriveSessionStatus(view: Omit<SessionView, 'session'> & { session: Pick<Session, 'cancelledAt'> }): SessionStatus {
  const ops = [
    ...view.payments.map((p) => ({ at: p.createdAt.getTime(), status: paymentStatus(p.stage) })),
    ...view.payouts.map((p) => ({ at: p.createdAt.getTime(), status: payoutStatus(p.stage) })),
  ]
    .sort((a, b) => a.at - b.at)
    .map((o) => o.status);
  if (ops.length === 0) return view.session.cancelledAt ? 'cancelled' : 'created';
  if (ops.some((s) => s === 'in_progress' || s === 'pending') || view.refunds.some((r) => r.status === 'in_progress')) return 'in_progress';
  return ops.at(-1) === 'succeeded' ? 'accepted' : 'cancelled';
}

/**
 * The one function that changes a session's stored status: after an operation moved (inside the
 * same transaction, with the session row locked), recompute status and next_action, check the move
 * against the transition table, store it, and return the view to render.
 */
export async function settleSession(tx: Tx, session: Session, now: Date): Promise<SessionView> {
  const view = await loadSessionView(tx, session);
  const status = deriveSessionStatus(view);
  if (status !== session.status) transition(SESSION_TRANSITIONS, session.status, status, `session ${session.id}`);
  const waiting =
    [...view.payments.map((p) => nextActionOf(p.stage)), ...view.payouts.map((p) => (p.stage === 'awaiting_confirm' ? ('confirm' as const) : null))].find(
      (a) => a !== null,
    ) ?? null;
  const final = status === 'accepted' || status === 'cancelled';
  const updated: Session = {
    ...session,
    status,
    nextAction: waiting,
    updatedAt: now,
    finishedAt: final ? (session.finishedAt && session.status === status ? session.finishedAt : now) : null,
  };
  await updateSessionState(tx, session.id, updated);
  return { ...view, session: updated };
}
