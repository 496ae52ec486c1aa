import { Type } from '@sinclair/typebox';
import { defineMethod, type ApiMethod } from '../http/partner-api.js';
import { walletBalancesAt } from '../ledger/ledger.service.js';
import { lockOwnSession } from '../payments/payment.service.js';
import { SessionResponse } from '../sessions/session.schema.js';
import { renderSession } from '../sessions/session.wire.js';
import type { ApiVersion } from '../shared/api-version.js';
import { FPS_BANKS } from './fps-banks.js';
import { CustomerVerificationBody, InitPayoutBody, StartPayoutBody, WalletBalanceBody } from './payout.schema.js';
import { initPayout, startFpsVerification, startPayout, type PayoutDeps } from './payout.service.js';

/** v1 names the destination payment_method, v2 payout_details (v2 also takes the v1 name). */
function destination(body: { payment_method?: unknown; payout_details?: unknown }, version: ApiVersion): unknown {
  return version === 'v2' ? (body.payout_details ?? body.payment_method) : body.payment_method;
}

/** Payouts (§5.3, §5.5), FPS (§5.16) and the payout wallet's balance (§5.15). */
export function payoutMethods(deps: PayoutDeps): ApiMethod[] {
  return [
    defineMethod<InitPayoutBody>({
      path: 'session/init/payout',
      summary: 'Create a session and start a payout in one call (§5.3); use an idempotency key',
      body: InitPayoutBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => ({
        session: renderSession(
          await initPayout(tx, deps, ctx.project, { ...body, payment_method: destination(body, ctx.version) }, ctx.version),
          ctx.version,
          ctx.project,
        ),
      }),
    }),
    defineMethod<StartPayoutBody>({
      path: 'session/start/payout',
      summary: 'Start a payout in an existing session (§5.5)',
      body: StartPayoutBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => {
        const session = await lockOwnSession(tx, ctx.project, body.session_id);
        const { session_id: _, payout_details: __, ...given } = body;
        const view = await startPayout(tx, deps, ctx.project, session, { ...given, payment_method: destination(body, ctx.version) }, ctx.version);
        return { session: renderSession(view, ctx.version, ctx.project) };
      },
    }),
    defineMethod<CustomerVerificationBody>({
      path: 'fps/customer_verification',
      versions: ['v1'],
      summary: 'Check that a phone is registered in the Faster Payment System (§5.16)',
      body: CustomerVerificationBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => {
        const session = await lockOwnSession(tx, ctx.project, body.session_id);
        return { session: renderSession(await startFpsVerification(tx, deps, ctx.project, session, body), ctx.version, ctx.project) };
      },
    }),
    defineMethod<unknown>({
      path: 'fps/banks',
      versions: ['v1'],
      httpMethod: 'GET',
      wakesWorker: false,
      summary: 'The banks of the Faster Payment System (sandbox list)',
      body: Type.Object({}),
      run: async () => ({ banks: FPS_BANKS }),
    }),
    defineMethod<WalletBalanceBody>({
      path: 'wallet/balance',
      versions: ['v1'],
      wakesWorker: false,
      summary: "The payout wallet's balance in each currency, as of request_datetime (§5.15)",
      body: WalletBalanceBody,
      run: async (tx, ctx, body) => ({
        wallets: (await walletBalancesAt(tx, ctx.project.id, new Date(body.request_datetime))).map((w) => ({
          id: w.id,
          amount_details: { amount: w.amount, currency: w.currency },
        })),
      }),
    }),
  ];
}
