import type { TransitionTable } from '../../kernel/state-machine.js';
import type { OperationProgress } from '../sessions/operation-kind.js';

/**
 * A refund's lifecycle (§6.4, SDK enum):
 * - in_progress : asked of the processor (a payment's refund) or being booked; holds its session
 *                 in_progress.
 * - accepted    : the money went back. Final.
 * - declined    : the processor refused it; nothing moved. Final.
 * - error       : an unexpected failure; NOT final. The session shows `error` until an operator
 *                 resolves the refund to accepted or declined.
 * Chargebacks and returned payouts are refunds born accepted. The database enforces the same list
 * (migration 0003).
 */
export const REFUND_STATUSES = ['in_progress', 'accepted', 'declined', 'error'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

export const REFUND_TRANSITIONS: TransitionTable<RefundStatus> = {
  in_progress: ['accepted', 'declined', 'error'],
  accepted: [],
  declined: [],
  error: ['accepted', 'declined'],
};

export function refundProgress(status: RefundStatus): OperationProgress {
  switch (status) {
    case 'in_progress':
      return 'in_progress';
    case 'accepted':
      return 'succeeded';
    case 'declined':
      return 'failed';
    case 'error':
      return 'error';
  }
}

/** Whether a refund counts against what its parent can still give back (it moved money or may). */
export const holdsRefundable = (status: RefundStatus): boolean => status === 'in_progress' || status === 'accepted' || status === 'error';
