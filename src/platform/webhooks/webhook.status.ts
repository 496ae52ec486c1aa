import { transition, type TransitionTable } from '../../kernel/state-machine.js';
import type { WebhookState } from '../db/schema.js';

/**
 * A webhook's delivery state:
 * - pending   : waiting for its next attempt (next_attempt_at), or being attempted under a lease
 *               (locked_by/locked_until). A session's later webhooks wait while an earlier one is pending.
 * - delivered : the receiver answered 2xx. Final, unless an operator resends it.
 * - failed    : the retry schedule (attempts, maximum age) ran out. Final, unless resent.
 * - no_endpoint: the project had no webhook_url when the webhook was written. Recorded all the same
 *               (`payrail listen` streams it), never attempted; a resend makes it pending.
 * The database enforces the same list (migrations 0002, 0016).
 */
export const WEBHOOK_TRANSITIONS: TransitionTable<WebhookState> = {
  pending: ['pending', 'delivered', 'failed'],
  delivered: ['pending'],
  failed: ['pending'],
  no_endpoint: ['pending'],
};

/** The state a new webhook starts in: queued for delivery only when there is somewhere to deliver it. */
export function initialState(hasEndpoint: boolean): WebhookState {
  return hasEndpoint ? 'pending' : 'no_endpoint';
}

/** What one attempt on a pending webhook leads to: the only place a delivery decides a state. */
export function afterAttempt(delivered: boolean, nextAttempt: Date | undefined): WebhookState {
  return transition(WEBHOOK_TRANSITIONS, 'pending', delivered ? 'delivered' : nextAttempt ? 'pending' : 'failed', 'webhook');
}

/**
 * The retry schedule: gaps of 10 s, 20 s, 40 s … doubling up to 15 minutes, each with ±10% jitter,
 * until the project's attempt limit or maximum age (30 minutes by default, as the spec says) is
 * reached. Returns the next attempt time, or undefined when the schedule gives up.
 */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly maxAgeMs: number;
}

export const BASE_GAP_MS = 10_000;
export const MAX_GAP_MS = 15 * 60_000;

export function retryGapMs(attemptsMade: number, jitter: number): number {
  const gap = Math.min(MAX_GAP_MS, BASE_GAP_MS * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(gap * (1 + jitter));
}

export function nextAttemptAt(policy: RetryPolicy, attemptsMade: number, cycleStartedAt: Date, now: Date, random = Math.random): Date | undefined {
  if (attemptsMade >= policy.maxAttempts) return undefined;
  const at = new Date(now.getTime() + retryGapMs(attemptsMade, (random() * 2 - 1) * 0.1));
  if (at.getTime() - cycleStartedAt.getTime() > policy.maxAgeMs) return undefined;
  return at;
}
