import type { Tx } from '../../platform/db/database.js';
import { sumAmounts } from '../../kernel/money.js';
import type { OperationError } from '../../kernel/operation-errors.js';
import { transition } from '../../kernel/state-machine.js';
import { insertRefund, updateRefund, type Refund } from './refund.repo.js';
import { REFUND_TRANSITIONS, holdsRefundable, type RefundStatus } from './refund.status.js';

/**
 * Refund records and their one mover. A refund belongs to a parent operation (a payment, or a payout
 * a bank returned); the parent's module decides when one is opened and what the processor says, and
 * this module keeps the arithmetic: what a parent can still give back is derived from its refunds,
 * never kept in a counter beside them.
 */

/** What a parent can still give back: taken minus every refund that moved money or still may. */
export function refundableOf(taken: number, parentId: string, refunds: readonly Refund[]): number {
  return taken - sumAmounts(refunds.filter((r) => (r.paymentId === parentId || r.payoutId === parentId) && holdsRefundable(r.status)).map((r) => r.amount));
}

export type NewRefund = Pick<Refund, 'id' | 'paymentId' | 'payoutId' | 'sessionId' | 'projectId' | 'amount' | 'currency' | 'metadata' | 'revenueSplit'> & {
  readonly status: 'in_progress' | 'accepted';
  readonly isChargeback?: boolean;
};

/** Records a refund: in_progress while the processor is asked, or accepted when it already happened. */
export async function openRefund(tx: Tx, r: NewRefund, now: Date): Promise<Refund> {
  const refund: Refund = {
    ...r,
    isChargeback: r.isChargeback ?? false,
    error: null,
    createdAt: now,
    finishedAt: r.status === 'accepted' ? now : null,
  };
  await insertRefund(tx, refund);
  return refund;
}

/** The one place a refund's status changes, checked against the transition table. */
export async function moveRefund(tx: Tx, refund: Refund, to: RefundStatus, now: Date, error: OperationError | null = null): Promise<Refund> {
  transition(REFUND_TRANSITIONS, refund.status, to, `refund ${refund.id}`);
  const finishedAt = to === 'error' ? null : now;
  await updateRefund(tx, refund.id, { status: to, error, finishedAt });
  return { ...refund, status: to, error, finishedAt };
}
