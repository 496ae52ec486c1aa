import type { TransitionTable } from '../../kernel/state-machine.js';

/**
 * Session statuses, exactly as the spec names them (§7.1):
 * - created     : created by session/create, waiting for an operation to start, or for a cancel.
 * - in_progress : an operation is being processed, or waits for the partner (see next_action).
 * - accepted    : every operation is final and at least one succeeded. Final for what it holds, but
 *                 a refund, or a new operation, moves it back to in_progress until that ends.
 * - cancelled   : cancelled by the partner, or every operation failed or timed out. Final: it takes
 *                 no new operation.
 * - error       : an operation hit an unexpected failure; NOT final. It takes no new operation until
 *                 an operator resolves it (to in_progress, accepted or cancelled, as its operations say).
 * The database enforces the same list with a CHECK constraint (migration 0001).
 */
export const SESSION_STATUSES = ['created', 'in_progress', 'accepted', 'cancelled', 'error'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const SESSION_TRANSITIONS: TransitionTable<SessionStatus> = {
  created: ['in_progress', 'cancelled', 'error'],
  in_progress: ['accepted', 'cancelled', 'error'],
  accepted: ['in_progress', 'error'],
  cancelled: [],
  error: ['in_progress', 'accepted', 'cancelled'],
};

/** What the session waits for from the partner, when it waits (§7.3). */
export type NextAction = 'confirm' | 'capture';

export function isSessionStatus(value: string): value is SessionStatus {
  return (SESSION_STATUSES as readonly string[]).includes(value);
}
