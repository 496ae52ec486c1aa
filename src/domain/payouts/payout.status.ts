import type { TransitionTable } from '../../kernel/state-machine.js';
import type { OperationProgress } from '../sessions/operation-kind.js';

/**
 * A payout's lifecycle (§6.3, §7.5). As with payments, payrail keeps a finer `stage` and derives the
 * spec's status from it:
 * - checking         (in_progress) the destination is looked at; then awaiting_confirm, or straight
 *                    on (auto_confirm, and FPS customer verification which moves no money).
 * - awaiting_confirm (pending, next_action "confirm") ready_to_confirm was sent; 240 minutes to
 *                    confirm or cancel.
 * - sending          (in_progress) amount plus fee are reserved from the wallet; the rail is asked.
 * - settling         (in_progress) the rail accepted; the money arrives after the rail's delay
 *                    (instant for cards, a clock-day for bank transfers).
 * - unknown          (in_progress) the rail timed out: the true outcome is learned by reconciliation,
 *                    which settles the payout exactly once.
 * - succeeded        paid out. A bank may still return it later: a refund on the payout.
 * - failed           cancelled, timed out, refused by the rail, or the wallet could not cover it.
 * - error            the rail failed in a way that says nothing about the outcome (§3.4, §7.1: not
 *                    final). The wire shows the payout `failed` with its error and the session
 *                    `error`; amount plus fee stay reserved, since the money may have left. Nothing
 *                    moves it on its own: support resolves it (docs/decisions.md, "Operations in error").
 *
 * The database enforces the same list (migrations 0004, 0013).
 */
export const PAYOUT_STAGES = ['checking', 'awaiting_confirm', 'sending', 'settling', 'unknown', 'succeeded', 'failed', 'error'] as const;
export type PayoutStage = (typeof PAYOUT_STAGES)[number];

export const PAYOUT_TRANSITIONS: TransitionTable<PayoutStage> = {
  checking: ['awaiting_confirm', 'sending', 'succeeded', 'failed'],
  awaiting_confirm: ['sending', 'failed'],
  sending: ['settling', 'unknown', 'succeeded', 'failed', 'error'],
  settling: ['succeeded'],
  unknown: ['succeeded', 'failed', 'error'],
  succeeded: [],
  failed: [],
  error: [],
};

/** The spec's operation status (§6.3): a payout in error shows `failed`, as §9.2's error+failed. */
export function payoutStatus(stage: PayoutStage): 'in_progress' | 'pending' | 'succeeded' | 'failed' {
  if (stage === 'awaiting_confirm') return 'pending';
  if (stage === 'succeeded' || stage === 'failed') return stage;
  if (stage === 'error') return 'failed';
  return 'in_progress';
}

/** How far the payout has got, for the session's status: error puts the session in error. */
export const payoutProgress = (stage: PayoutStage): OperationProgress => (stage === 'error' ? 'error' : payoutStatus(stage));
