import type { Tx } from '../../platform/db/database.js';
import { ApiError } from '../../kernel/errors.js';
import { canTransition, transition } from '../../kernel/state-machine.js';
import { newId } from '../../kernel/ids.js';
import { formatTimestamp } from '../../kernel/time.js';
import { echoOnPayment, findSubscriptionOfPayment, insertSubscription, lockSubscription, updateSubscription, type Subscription } from './subscription.repo.js';
import { SUBSCRIPTION_PERIODS, SUBSCRIPTION_TRANSITIONS, nextPointAfter, type SubscriptionPeriod, type SubscriptionStatus } from './subscription.status.js';

/**
 * Subscriptions (payment_options.subscription, §6.10, §5.17; Bank 131 SDK `Subscription`): a card
 * payment that asks for one with `{period}` creates it when it succeeds; the payment then echoes it
 * as `{id, period, initial: true, next_point, retries_exceeded: false}`. subscription/cancel and
 * subscription/restore stop and restart it. The sandbox keeps the schedule on its clock (next_point
 * is always the next point of the period after now) but charges nothing by itself (docs/tokens.md).
 */

const newSubscriptionId = () => newId('sub');

const isPeriod = (v: unknown): v is SubscriptionPeriod => typeof v === 'string' && (SUBSCRIPTION_PERIODS as readonly string[]).includes(v);

/** The subscription as the wire shows it, on the payment and in the cancel/restore answers. */
export function renderSubscription(s: Subscription, now: Date): Record<string, unknown> {
  return {
    id: s.id,
    period: s.period,
    initial: true,
    ...(s.status === 'active' ? { next_point: formatTimestamp(nextPointAfter(s.anchorAt, s.period, now)) } : {}),
    retries_exceeded: false,
    is_active: s.status === 'active',
  };
}

/** What finish() hands over of a payment that just succeeded. */
export interface SucceededPayment {
  readonly id: string;
  readonly projectId: string;
  readonly paymentOptions: Record<string, unknown> | null;
  /** Set when a recurrent token paid (MIT/CIT): such a payment cannot start a subscription. */
  readonly initiator?: unknown;
  readonly source: { readonly type: string };
}

/**
 * Called once by a payment that has just succeeded (payment.jobs.ts finish(), in its transaction):
 * creates the subscription the payment asked for, if any, and completes the payment's echo. A
 * payment that did not ask, or is not a card payment with the payer present, is left alone; a second
 * call for the same payment changes nothing.
 */
export async function startSubscriptionFor(tx: Tx, payment: SucceededPayment, now: Date): Promise<void> {
  const asked = payment.paymentOptions?.['subscription'] as Record<string, unknown> | undefined;
  if (!asked || !isPeriod(asked['period']) || payment.initiator || payment.source.type !== 'card') return;
  if (await findSubscriptionOfPayment(tx, payment.id)) return;
  const s: Subscription = {
    id: newSubscriptionId(),
    projectId: payment.projectId,
    paymentId: payment.id,
    period: asked['period'],
    status: 'active',
    anchorAt: now,
    nextPoint: nextPointAfter(now, asked['period'], now),
    createdAt: now,
    updatedAt: now,
    cancelledAt: null,
  };
  await insertSubscription(tx, s);
  const { is_active: _, ...echo } = renderSubscription(s, now);
  await echoOnPayment(tx, payment.id, { ...payment.paymentOptions, subscription: echo });
}

async function move(tx: Tx, projectId: string, id: string, to: SubscriptionStatus, now: Date): Promise<Record<string, unknown>> {
  const s = await lockSubscription(tx, projectId, id);
  if (!s) throw new ApiError('subscription_not_found', `subscription ${id} not found`);
  if (!canTransition(SUBSCRIPTION_TRANSITIONS, s.status, to)) {
    throw new ApiError('invalid_subscription_state', `subscription ${id} is ${s.status}; ${to === 'cancelled' ? 'only an active subscription can be cancelled' : 'only a cancelled subscription can be restored'}`);
  }
  const next: Subscription = {
    ...s,
    status: transition(SUBSCRIPTION_TRANSITIONS, s.status, to, 'subscription'),
    nextPoint: to === 'active' ? nextPointAfter(s.anchorAt, s.period, now) : null,
    cancelledAt: to === 'cancelled' ? now : null,
    updatedAt: now,
  };
  await updateSubscription(tx, next);
  return renderSubscription(next, now);
}

/** subscription/cancel: an active subscription stops (no next_point). */
export const cancelSubscription = (tx: Tx, projectId: string, id: string, now: Date) => move(tx, projectId, id, 'cancelled', now);

/** subscription/restore: a cancelled subscription runs again, from the next point of its schedule. */
export const restoreSubscription = (tx: Tx, projectId: string, id: string, now: Date) => move(tx, projectId, id, 'active', now);
