import { defineMethod, type ApiMethod } from '../http/partner-api.js';
import { lockOwnSession } from '../../domain/sessions/session.service.js';
import { initPayout, startPayout, type PayoutDeps } from '../../domain/payouts/payout.service.js';
import { SessionResponse } from '../wire/session.schema.js';
import { payoutDestination } from '../wire/payout.wire.js';
import { renderSession } from '../wire/session.wire.js';
import { fiscalizationFromWire } from '../wire/fiscalization.wire.js';
import { InitPayoutFiscalizationBody, StartPayoutFiscalizationBody } from '../wire/fiscalization.schema.js';

/**
 * Payouts to the self-employed with fiscalization (Bank 131; the SDK's initPayoutWithFiscalization /
 * startPayoutWithFiscalization, v1 and v2): a payout like session/init|start/payout, checked with the
 * tax service before ready_to_confirm and registered as income once paid (domain/payouts/fiscalization.ts).
 */
export function fiscalizationMethods(deps: PayoutDeps): ApiMethod[] {
  return [
    defineMethod<InitPayoutFiscalizationBody>({
      path: 'session/init/payout/fiscalization',
      summary: 'Create a session and start a payout to a self-employed person, with fiscalization of the income; use an idempotency key',
      body: InitPayoutFiscalizationBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => {
        const { fiscalization_details: details, payout_details: _, ...given } = body;
        const view = await initPayout(tx, deps, ctx.project, { ...given, payment_method: payoutDestination(body, ctx.version) }, ctx.version, fiscalizationFromWire(details));
        return { session: renderSession(view, ctx.version, ctx.project) };
      },
    }),
    defineMethod<StartPayoutFiscalizationBody>({
      path: 'session/start/payout/fiscalization',
      summary: 'Start a payout to a self-employed person, with fiscalization of the income, in an existing session',
      body: StartPayoutFiscalizationBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => {
        const session = await lockOwnSession(tx, ctx.project, body.session_id);
        const { session_id: _, payout_details: __, fiscalization_details: details, ...given } = body;
        const view = await startPayout(tx, deps, ctx.project, session, { ...given, payment_method: payoutDestination(body, ctx.version) }, ctx.version, fiscalizationFromWire(details));
        return { session: renderSession(view, ctx.version, ctx.project) };
      },
    }),
  ];
}
