import { defineMethod, type ApiMethod } from '../http/partner-api.js';
import { SessionResponse } from '../wire/session.schema.js';
import { renderSession } from '../wire/session.wire.js';
import { InitPaymentBody, RefundBody, StartPaymentBody } from '../wire/payment.schema.js';
import { initPayment, refundPayment, startPayment, type PaymentDeps } from '../../domain/payments/payment.service.js';
import { lockOwnSession } from '../../domain/sessions/session.service.js';

/** The card-acquiring methods (§5.2, 5.4, 5.10); confirm, cancel and capture are session actions, v1 and v2. */
export function paymentMethods(deps: PaymentDeps): ApiMethod[] {
  return [
    defineMethod<InitPaymentBody>({
      path: 'session/init/payment',
      summary: 'Create a session and start a card payment in one call (§5.2); use an idempotency key',
      body: InitPaymentBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => ({ session: renderSession(await initPayment(tx, deps, ctx.project, body, ctx.version), ctx.version, ctx.project) }),
    }),
    defineMethod<StartPaymentBody>({
      path: 'session/start/payment',
      summary: 'Start a card payment in an existing session (§5.4)',
      body: StartPaymentBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => {
        const session = await lockOwnSession(tx, ctx.project, body.session_id);
        const { session_id: _, ...given } = body;
        return { session: renderSession(await startPayment(tx, deps, ctx.project, session, given), ctx.version, ctx.project) };
      },
    }),
    defineMethod<RefundBody>({
      path: 'session/refund',
      summary: 'Refund a succeeded payment in full, or in part where the project allows (§5.10)',
      body: RefundBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => {
        const session = await lockOwnSession(tx, ctx.project, body.session_id);
        return { session: renderSession(await refundPayment(tx, deps, ctx.project, session, { amount: body.amount_details, metadata: body.metadata }), ctx.version, ctx.project) };
      },
    }),
  ];
}
