import { Type, type Static } from '@sinclair/typebox';
import { defineMethod, type ApiMethod } from '../http/partner-api.js';
import { SessionId, SessionResponse } from '../wire/session.schema.js';
import { renderSession } from '../wire/session.wire.js';
import { chargebackSession } from '../../domain/payments/chargeback.js';
import type { PaymentDeps } from '../../domain/payments/payment.service.js';
import { lockOwnSession } from '../../domain/sessions/session.service.js';

/** The SDK's ChargebackPaymentSessionRequest: the session id, nothing else. */
export const ChargebackBody = Type.Object({ session_id: SessionId }, { title: 'SessionChargebackRequest' });
export type ChargebackBody = Static<typeof ChargebackBody>;

/**
 * session/chargeback (§5.11; Bank 131's SDK, v1 and v2). On the real platform the issuer starts a
 * chargeback; in the sandbox this call makes one happen at once on the session's succeeded payment:
 * the rest of it comes back as a refund with is_chargeback true, accepted, with payment_refunded.
 */
export function chargebackMethods(deps: PaymentDeps): ApiMethod[] {
  return [
    defineMethod<ChargebackBody>({
      path: 'session/chargeback',
      summary: "Sandbox: the issuer charges back what is left of the session's succeeded payment (a refund with is_chargeback: true)",
      body: ChargebackBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => {
        const session = await lockOwnSession(tx, ctx.project, body.session_id);
        return { session: renderSession(await chargebackSession(tx, deps, ctx.project, session), ctx.version, ctx.project) };
      },
    }),
  ];
}
