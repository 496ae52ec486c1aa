import { defineMethod, type ApiMethod } from '../http/partner-api.js';
import { CancelBody, ConfirmBody } from '../payments/payment.schema.js';
import { cancelPayment, confirmPayment, lockOwnSession, type PaymentDeps } from '../payments/payment.service.js';
import { cancelPayout, confirmPayout } from '../payouts/payout.service.js';
import { ApiError } from '../shared/errors.js';
import { settleSession } from './session-view.js';
import { SessionResponse } from './session.schema.js';
import { renderSession } from './session.wire.js';

/**
 * session/confirm and session/cancel act on whichever operation of the session waits for the
 * partner: its payment or its payout (a session holds one of them at a time).
 */
export function sessionActionMethods(deps: PaymentDeps): ApiMethod[] {
  return [
    defineMethod<ConfirmBody>({
      path: 'session/confirm',
      summary: 'Let the operation waiting in ready_to_confirm proceed (§5.6)',
      body: ConfirmBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => {
        const session = await lockOwnSession(tx, ctx.project, body.session_id);
        const view = (await confirmPayment(tx, deps, ctx.project, session)) ?? (await confirmPayout(tx, deps, ctx.project, session));
        if (!view) throw new ApiError('invalid_session_state', `session ${session.id} has no operation waiting for confirmation (it is ${session.status})`);
        return { session: renderSession(view, ctx.version, ctx.project) };
      },
    }),
    defineMethod<CancelBody>({
      path: 'session/cancel',
      summary: 'Cancel the operation waiting for the partner, release a hold, or cancel a session not yet started (§5.7)',
      body: CancelBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => {
        const session = await lockOwnSession(tx, ctx.project, body.session_id);
        let view = (await cancelPayment(tx, deps, ctx.project, session)) ?? (await cancelPayout(tx, deps, ctx.project, session));
        if (!view) {
          if (session.status !== 'created') throw new ApiError('invalid_session_state', `session ${session.id} cannot be cancelled: it is ${session.status}`);
          const now = deps.clock.now();
          view = await settleSession(tx, { ...session, cancelledAt: now }, now);
        }
        return { session: renderSession(view, ctx.version, ctx.project) };
      },
    }),
  ];
}
