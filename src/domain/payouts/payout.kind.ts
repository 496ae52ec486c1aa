import type { OperationKind } from '../sessions/operation-kind.js';
import { listSessionPayouts, payoutFromJson, SESSION_PAYOUTS_SQL, type Payout } from './payout.repo.js';
import { cancelPayout, confirmPayout } from './payout.service.js';
import { payoutProgress, payoutStatus } from './payout.status.js';

/** Payouts (and FPS customer verifications) as operations of their session. */
export const payoutOperations: OperationKind<Payout> = {
  name: 'payout',
  list: listSessionPayouts,
  joint: { sql: SESSION_PAYOUTS_SQL, fromJson: payoutFromJson },
  summarize: (p) => ({ id: p.id, createdAt: p.createdAt, progress: payoutProgress(p.stage), waitsFor: p.stage === 'awaiting_confirm' ? 'confirm' : null, parentId: null }),
  describe: (p) => (p.stage === 'error' ? `payout ${p.id} is in error (support resolves it)` : `payout ${p.id} is ${payoutStatus(p.stage)}`),
  actions: { confirm: confirmPayout, cancel: cancelPayout },
};
