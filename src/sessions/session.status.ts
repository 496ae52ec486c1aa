import type { TransitionTable } from '../shared/state-machine.js';

/**
 * Session statuses, exactly as the spec names them (§7.1):
 * - created     : created by session/create, waiting for an operation to start, or for a cancel.
 * - in_progress : an operation is being processed, or waits for the partner (see next_action).
 * - accepted    : every operation finished successfully. Final, except that a refund moves the
 *                 session back to in_progress until the refund ends.
 * - cancelled   : cancelled by the partner, timed out, or its operation failed. Final.
 * - error       : an unexpected failure; NOT final. An operator resolves it to accepted or cancelled.
 * The database enforces the same list with a CHECK constraint (migration 0001).
 */
export const SESSION_STATUSES = ['created', 'in_progress', 'accepted', 'cancelled', 'error'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const SESSION_TRANSITIONS: TransitionTable<SessionStatus> = {
  created: ['in_progress', 'cancelled', 'error'],
  in_progress: ['accepted', 'cancelled', 'error'],
  accepted: ['in_progress', 'error'],
  cancelled: [],
  error: ['accepted', 'cancelled'],
};

/** What the session waits for from the partner, when it waits (§7.3). */
export type NextAction = 'confirm' | 'capture';

export function isSessionStatus(value: string): value is SessionStatus {
  return (SESSION_STATUSES as readonly string[]).includes(value);
}
