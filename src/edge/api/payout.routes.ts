import { Type } from '@sinclair/typebox';
import { defineMethod, type ApiMethod } from '../http/partner-api.js';
import { walletBalancesAt } from '../../domain/ledger/ledger.service.js';
import { lockOwnSession } from '../../domain/sessions/session.service.js';
import { SessionResponse } from '../wire/session.schema.js';
import { payoutDestination } from '../wire/payout.wire.js';
import { renderSession } from '../wire/session.wire.js';
import { FPS_BANKS } from '../../domain/payouts/fps-banks.js';
import { CustomerVerificationBody, InitPayoutBody, StartPayoutBody, WalletBalanceBody } from '../wire/payout.schema.js';
import { initPayout, startFpsVerification, startPayout, type PayoutDeps } from '../../domain/payouts/payout.service.js';


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
          await initPayout(tx, deps, ctx.project, { ...body, payment_method: payoutDestination(body, ctx.version) }, ctx.version),
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
        const view = await startPayout(tx, deps, ctx.project, session, { ...given, payment_method: payoutDestination(body, ctx.version) }, ctx.version);
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
