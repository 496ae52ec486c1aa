import { defineMethod, type ApiMethod } from '../http/partner-api.js';
import { SessionResponse } from '../sessions/session.schema.js';
import { renderSession } from '../sessions/session.wire.js';
import { CaptureBody, InitPaymentBody, RefundBody, StartPaymentBody } from './payment.schema.js';
import {
  capturePayment,
  initPayment,
  lockOwnSession,
  refundPayment,
  startPayment,
  type PaymentDeps,
} from './payment.service.js';

/** The card-acquiring methods (§5.2, 5.4, 5.6–5.10), v1 and v2. */
export function paymentMethods(deps: PaymentDeps): ApiMethod[] {
  return [
    defineMethod<InitPaymentBody>({
      path: 'session/init/payment',
      summary: 'Create a session and start a card payment in one call (§5.2); use an idempotency key',
      body: InitPaymentBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => ({ session: renderSession(await initPayment(tx, deps, ctx.project, body), ctx.version, ctx.project) }),
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
    defineMethod<CaptureBody>({
      path: 'session/capture',
      summary: 'Capture a hold in full or in part (§5.8)',
      body: CaptureBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => {
        const session = await lockOwnSession(tx, ctx.project, body.session_id);
        return { session: renderSession(await capturePayment(tx, deps, ctx.project, session, body.amount_details), ctx.version, ctx.project) };
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
