import { Type, type Static } from '@sinclair/typebox';
import type { Clock } from '../../kernel/clock.js';
import { defineMethod, type ApiMethod } from '../http/partner-api.js';
import { Identifier } from '../wire/fields.js';
import { cancelSubscription, restoreSubscription } from '../../domain/subscriptions/subscription.service.js';

const SubscriptionIdBody = Type.Object({ subscription_id: Identifier(64) }, { title: 'SubscriptionIdRequest' });
type SubscriptionIdBody = Static<typeof SubscriptionIdBody>;

/**
 * Partner methods subscription/cancel and subscription/restore (v1 only, as the SDK's
 * SubscriptionApi): `{subscription_id}` in, `{status: "ok", subscription}` out (the SDK reads
 * `status`; `subscription` shows the new state).
 */
export function subscriptionMethods(deps: { clock: Clock }): ApiMethod[] {
  return [
    defineMethod<SubscriptionIdBody>({
      path: 'subscription/cancel',
      versions: ['v1'],
      wakesWorker: false,
      summary: 'Cancel an active subscription (payment_options.subscription): its schedule stops',
      body: SubscriptionIdBody,
      run: async (tx, ctx, body) => ({ subscription: await cancelSubscription(tx, ctx.project.id, body.subscription_id, deps.clock.now()) }),
    }),
    defineMethod<SubscriptionIdBody>({
      path: 'subscription/restore',
      versions: ['v1'],
      wakesWorker: false,
      summary: 'Restore a cancelled subscription: its schedule runs again from the next point after now',
      body: SubscriptionIdBody,
      run: async (tx, ctx, body) => ({ subscription: await restoreSubscription(tx, ctx.project.id, body.subscription_id, deps.clock.now()) }),
    }),
  ];
}
