import type { TransitionTable } from '../../kernel/state-machine.js';
import type { OperationProgress } from '../sessions/operation-kind.js';

/**
 * An acquiring payment's lifecycle. The spec shows four statuses (§6.2, §7.5); the work between
 * them has more steps, each of which a crash may interrupt and a job must resume, so payrail keeps
 * the finer `stage` and derives the spec's status from it:
 *
 * - prechecking      (in_progress) the processor looks at the card; then awaiting_confirm, or
 *                    authorizing at once when the project auto-confirms.
 * - awaiting_confirm (pending, next_action "confirm") ready_to_confirm was sent; the partner confirms
 *                    or cancels within 240 minutes.
 * - authorizing      (in_progress) the issuer is asked.
 * - awaiting_3ds     (pending, customer_interaction) action_required was sent; the payer acts:
 *                    a card on the 3-D Secure page (60 minutes), an FPS payment in the bank app
 *                    the QR opens, internet banking or a wallet on the provider's page (the payer
 *                    timeout of payment.service). The stage keeps its first name (and its column
 *                    values) for the rows and jobs written before the other sources existed.
 * - completing_3ds   (in_progress) the payer answered; the processor (or the FPS / provider rail)
 *                    finishes the payment.
 * - awaiting_capture (pending, next_action "capture") a hold is placed (ready_to_capture); the
 *                    partner captures or cancels before the hold expires.
 * - capturing        (in_progress) the hold is being captured, in full or in part.
 * - voiding          (in_progress) the hold is being released (cancel, or hold expiry).
 * - succeeded        money taken. Refunds hang off a succeeded payment without changing its stage.
 * - failed           declined, cancelled, timed out or released; `error` says which.
 * - error            the processor failed in a way that says nothing about the outcome (§3.4, §7.1:
 *                    not final). The wire shows the payment `failed` with its error and no
 *                    finished_at, and the session `error`; nothing is booked, nothing moves it on its
 *                    own: support resolves it (docs/decisions.md, "Operations in error").
 *
 * The database enforces the same list (migrations 0003, 0015).
 */
export const PAYMENT_STAGES = [
  'prechecking',
  'awaiting_confirm',
  'authorizing',
  'awaiting_3ds',
  'completing_3ds',
  'awaiting_capture',
  'capturing',
  'voiding',
  'succeeded',
  'failed',
  'error',
] as const;
export type PaymentStage = (typeof PAYMENT_STAGES)[number];

export const PAYMENT_TRANSITIONS: TransitionTable<PaymentStage> = {
  prechecking: ['awaiting_confirm', 'authorizing', 'failed'],
  awaiting_confirm: ['authorizing', 'failed'],
  authorizing: ['awaiting_3ds', 'awaiting_capture', 'succeeded', 'failed', 'error'],
  awaiting_3ds: ['completing_3ds', 'failed'],
  completing_3ds: ['awaiting_capture', 'succeeded', 'failed', 'error'],
  awaiting_capture: ['capturing', 'voiding'],
  capturing: ['succeeded', 'failed'],
  voiding: ['failed'],
  succeeded: [],
  failed: [],
  error: [],
};

/** The spec's operation status (§7.2). */
export type PaymentStatus = 'in_progress' | 'pending' | 'succeeded' | 'failed';

export function paymentStatus(stage: PaymentStage): PaymentStatus {
  switch (stage) {
    case 'awaiting_confirm':
    case 'awaiting_3ds':
    case 'awaiting_capture':
      return 'pending';
    case 'succeeded':
      return 'succeeded';
    case 'failed':
    case 'error':
      return 'failed';
    default:
      return 'in_progress';
  }
}

/** How far the payment has got, for the session's status. */
export const paymentProgress = (stage: PaymentStage): OperationProgress => (stage === 'error' ? 'error' : paymentStatus(stage));

/** What the session waits for from the partner while the payment is at this stage (§7.3). */
export function nextActionOf(stage: PaymentStage): 'confirm' | 'capture' | null {
  return stage === 'awaiting_confirm' ? 'confirm' : stage === 'awaiting_capture' ? 'capture' : null;
}
