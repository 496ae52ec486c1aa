import type { OperationKind } from '../sessions/operation-kind.js';
import { listSessionRefunds, refundFromJson, SESSION_REFUNDS_SQL, type Refund } from './refund.repo.js';
import { refundProgress } from './refund.status.js';

/** Refunds as operations of their session: children of the payment or payout they give back. */
export const refundOperations: OperationKind<Refund> = {
  name: 'refund',
  list: listSessionRefunds,
  joint: { sql: SESSION_REFUNDS_SQL, fromJson: refundFromJson },
  describe: (r) => `refund ${r.id} is ${r.status}`,
  summarize: (r) => ({ id: r.id, createdAt: r.createdAt, progress: refundProgress(r.status), waitsFor: null, parentId: r.paymentId ?? r.payoutId }),
};
