import type { OperationKind } from '../sessions/operation-kind.js';
import type { JointlyListed } from '../sessions/session-view.js';
import { listSessionPayouts, payoutFromJson, sessionPayoutsSelect, type Payout } from './payout.repo.js';
import { cancelPayout, confirmPayout } from './payout.service.js';
import { payoutProgress, payoutStatus } from './payout.status.js';

/** Payouts (and FPS customer verifications) as operations of their session. */
export const payoutOperations: OperationKind<Payout> & JointlyListed<Payout> = {
  name: 'payout',
  list: listSessionPayouts,
  joint: { select: sessionPayoutsSelect, fromJson: payoutFromJson },
  summarize: (p) => ({ id: p.id, createdAt: p.createdAt, progress: payoutProgress(p.stage), waitsFor: p.stage === 'awaiting_confirm' ? 'confirm' : null, parentId: null }),
  describe: (p) => (p.stage === 'error' ? `payout ${p.id} is in error (support resolves it)` : `payout ${p.id} is ${payoutStatus(p.stage)}`),
  actions: { confirm: confirmPayout, cancel: cancelPayout },
};
