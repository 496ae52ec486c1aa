import type { OperationKind } from '../sessions/operation-kind.js';
import { listSessionPayments, paymentFromJson, SESSION_PAYMENTS_SQL, type Payment } from './payment.repo.js';
import { cancelPayment, capturePayment, confirmPayment, describePayment } from './payment.service.js';
import { nextActionOf, paymentProgress } from './payment.status.js';

/** Acquiring payments as operations of their session (the session's operation-kind port). */
export const paymentOperations: OperationKind<Payment> = {
  name: 'payment',
  list: listSessionPayments,
  joint: { sql: SESSION_PAYMENTS_SQL, fromJson: paymentFromJson },
  summarize: (p) => ({ id: p.id, createdAt: p.createdAt, progress: paymentProgress(p.stage), waitsFor: nextActionOf(p.stage), parentId: null }),
  describe: describePayment,
  actions: { confirm: confirmPayment, cancel: cancelPayment, capture: capturePayment },
};
