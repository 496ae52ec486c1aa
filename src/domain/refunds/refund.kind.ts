import type { OperationKind } from '../sessions/operation-kind.js';
import type { JointlyListed } from '../sessions/session-view.js';
import { listSessionRefunds, refundFromJson, sessionRefundsSelect, type Refund } from './refund.repo.js';
import { refundProgress } from './refund.status.js';

/** Refunds as operations of their session: children of the payment or payout they give back. */
export const refundOperations: OperationKind<Refund> & JointlyListed<Refund> = {
  name: 'refund',
  list: listSessionRefunds,
  joint: { select: sessionRefundsSelect, fromJson: refundFromJson },
  describe: (r) => `refund ${r.id} is ${r.status}`,
  summarize: (r) => ({ id: r.id, createdAt: r.createdAt, progress: refundProgress(r.status), waitsFor: null, parentId: r.paymentId ?? r.payoutId }),
};
