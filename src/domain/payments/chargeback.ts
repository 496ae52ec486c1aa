import type { Tx } from '../../platform/db/database.js';
import { ApiError } from '../../kernel/errors.js';
import { book } from '../ledger/ledger.service.js';
import { splitRefund } from '../ledger/revenue-split.js';
import type { Project } from '../projects/project.repo.js';
import { listSessionRefunds } from '../refunds/refund.repo.js';
import { openRefund, refundableOf } from '../refunds/refund.service.js';
import type { SessionDeps } from '../sessions/session-deps.js';
import { loadSessionView, settleSession, type SessionView } from '../sessions/session-view.js';
import type { Session } from '../sessions/session.repo.js';
import { assertTakesOperations } from '../sessions/session.service.js';
import { listSessionPayments, type Payment } from './payment.repo.js';
import { describePayment } from './payment.service.js';

/**
 * A chargeback: the issuer takes a captured payment's money back (§5.11, §6.4). On the real platform
 * the platform starts it; it surfaces as a refund with `is_chargeback: true`, already accepted, and
 * the `payment_refunded` webhook. The sandbox starts one two ways, both through `chargeBack`: test
 * card 4000 0000 0000 0259 a clock-day after its capture (the `payment.chargeback` job), and the
 * `session/chargeback` method of Bank 131's SDK at once. It takes whatever of the payment is still
 * refundable (a refund in progress keeps its part), books it out of the acquiring settlement in the
 * same transaction, and settles the session.
 */
export type ChargebackDeps = Pick<SessionDeps, 'ids' | 'operations' | 'events'>;

/** Charges back what is left of `payment`; null when nothing is left (a job that came too late). */
export async function chargeBack(tx: Tx, deps: ChargebackDeps, c: { project: Project; session: Session; payment: Payment; now: Date }): Promise<SessionView | null> {
  const { project, session, payment, now } = c;
  const amount = refundableOf(payment.capturedAmount, payment.id, await listSessionRefunds(tx, session.id));
  if (amount <= 0) return null;
  const shares = payment.revenueSplit ? splitRefund(payment.revenueSplit, amount, payment.capturedAmount) : null;
  const refund = await openRefund(
    tx,
    {
      id: deps.ids('rf'),
      paymentId: payment.id,
      payoutId: null,
      sessionId: session.id,
      projectId: project.id,
      status: 'accepted',
      amount,
      currency: payment.currency,
      isChargeback: true,
      metadata: null,
      revenueSplit: shares,
    },
    now,
  );
  // Money given back to the card: the partner's acquiring settlement pays it to the card network,
  // and on a split payment each contractor gives back its share.
  const fromContractors = (shares ?? []).reduce((sum, share) => sum + share.amount, 0);
  await book(tx, {
    projectId: project.id,
    kind: 'chargeback',
    reference: refund.id,
    description: `chargeback of payment ${payment.id}`,
    currency: payment.currency,
    at: now,
    postings: [
      { account: 'acquiring_settlement', amount: -(amount - fromContractors) },
      ...(shares ?? []).map((share) => ({ account: 'contractor_settlement' as const, holder: share.contractorAlias, amount: -share.amount })),
      { account: 'external_card_network', amount },
    ],
  });
  const view = await settleSession(tx, deps.operations, session, now);
  await deps.events.emit(tx, project, view, 'payment_refunded', now);
  return view;
}

const stateError = (description: string) => new ApiError('invalid_session_state', description);

/**
 * session/chargeback (the SDK's ChargebackPaymentSessionRequest: `session_id` only): the sandbox
 * charges back the latest succeeded payment of the session that still has something to give back,
 * all of what is left. The session must be locked by the caller.
 */
export async function chargebackSession(tx: Tx, deps: ChargebackDeps & Pick<SessionDeps, 'clock'>, project: Project, session: Session): Promise<SessionView> {
  if (session.status === 'error') assertTakesOperations(session, 'a chargeback');
  const payments = await listSessionPayments(tx, session.id);
  if (payments.length === 0) {
    const view = await loadSessionView(tx, deps.operations, session);
    const other = view.operations.find((o) => o.summary.parentId === null);
    if (other) throw stateError(`session ${session.id} holds no card payment to charge back: its ${other.kind.describe(other.op)}; payouts cannot be charged back`);
    throw stateError(`session ${session.id} holds no payment to charge back: it is ${session.status}`);
  }
  const succeeded = payments.filter((p) => p.stage === 'succeeded');
  if (succeeded.length === 0) {
    const latest = payments.at(-1)!;
    throw stateError(`session ${session.id} has no succeeded payment to charge back: its ${describePayment(latest)}`);
  }
  const refunds = await listSessionRefunds(tx, session.id);
  const payment = succeeded.findLast((p) => refundableOf(p.capturedAmount, p.id, refunds) > 0);
  if (!payment) {
    throw new ApiError(
      'amount_exceeds_limit',
      succeeded.length === 1 ? `payment ${succeeded[0]!.id} is already refunded in full: nothing is left to charge back` : `every payment of session ${session.id} is already refunded in full: nothing is left to charge back`,
    );
  }
  const view = await chargeBack(tx, deps, { project, session, payment, now: deps.clock.now() });
  if (!view) throw new Error(`chargeback of ${payment.id}: nothing left after the check`);
  return view;
}
