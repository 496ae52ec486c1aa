import { Type, type Static } from '@sinclair/typebox';
import { defineMethod, type ApiMethod } from '../http/partner-api.js';
import { Identifier } from '../wire/fields.js';
import { SessionId } from '../wire/session.schema.js';
import { pushSberPay, type PaymentDeps } from '../../domain/payments/payment.service.js';
import { lockOwnSession } from '../../domain/sessions/session.service.js';

/** sberpay/push (Bank 131 SDK SberPayApi, SberPayPushRequest): `{phone, session_id}`, answered `{status: "ok"}`. */
export const SberPayPushBody = Type.Object(
  {
    phone: Identifier(32, { description: "The payer's phone, 10 to 15 digits, optionally after a +" }),
    session_id: SessionId,
  },
  { title: 'SberPayPushRequest' },
);
export type SberPayPushBody = Static<typeof SberPayPushBody>;

export const SberPayPushResponse = Type.Object({ status: Type.Literal('ok') }, { title: 'SberPayPushResponse' });

/**
 * SberPay's push (v1 only, as in the SDK): the session's internet_banking sber_pay payment, waiting
 * for the payer, is pushed to the phone; the payer's answer in the app settles it (sandbox: a phone
 * ending in 00 declines, any other pays; docs/test-cards.md).
 */
export function sberPayMethods(deps: PaymentDeps): ApiMethod[] {
  return [
    defineMethod<SberPayPushBody>({
      path: 'sberpay/push',
      summary: 'Push a waiting SberPay payment to the payer’s phone (Bank 131 SDK SberPayApi)',
      versions: ['v1'],
      body: SberPayPushBody,
      response: SberPayPushResponse,
      run: async (tx, ctx, body) => {
        const session = await lockOwnSession(tx, ctx.project, body.session_id);
        await pushSberPay(tx, deps, session, body.phone);
        return {};
      },
    }),
  ];
}
