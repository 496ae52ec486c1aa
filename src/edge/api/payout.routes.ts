import { Type } from '@sinclair/typebox';
import { defineMethod, defineRead, type ApiMethod } from '../http/partner-api.js';
import { walletBalancesAt } from '../../domain/ledger/ledger.service.js';
import { lockOwnSession } from '../../domain/sessions/session.service.js';
import { SessionResponse } from '../wire/session.schema.js';
import { payoutDestination } from '../wire/payout.wire.js';
import { renderSession } from '../wire/session.wire.js';
import { FPS_BANKS } from '../../domain/payouts/fps-banks.js';
import { readClockOffset } from '../../platform/clock/clock.repo.js';
import type { Queryable } from '../../platform/db/database.js';
import type { Clock } from '../../kernel/clock.js';
import { CustomerVerificationBody, CustomerVerificationV2Body, InitPayoutBody, StartPayoutBody, WalletBalanceBody } from '../wire/payout.schema.js';
import { invalidRequest } from '../../kernel/errors.js';
import { initPayout, startFpsVerification, startPayout, type PayoutDeps } from '../../domain/payouts/payout.service.js';


/** How far from the real time of the request a request_datetime may be and still mean "now" (clock skew, latency, whole seconds). */
export const BALANCE_NOW_WINDOW_MS = 30_000;

/**
 * The instant of the sandbox timeline a wallet/balance request_datetime names (docs/decisions.md,
 * "wallet/balance and the sandbox clock"). Clients send their wall-clock time; once the sandbox clock
 * was moved ahead (admin clock/advance), that time lies before everything booked since. So, while the
 * clock is ahead, a request_datetime within BALANCE_NOW_WINDOW_MS of the real time of the request is
 * the client's "now" and means the sandbox's now. Any other value is a time on the sandbox timeline
 * (the one of created_at and finished_at in responses) and is read as given, never past the
 * sandbox's now. With the clock never moved (and in live mode) request_datetime is always read as
 * given. The offset is the shared one, so an advance made on another instance counts at once.
 */
async function balanceInstant(db: Queryable, clock: Clock, requested: Date): Promise<Date> {
  const real = Date.now();
  const offset = Math.max(await readClockOffset(db), clock.now().getTime() - real, 0);
  const now = real + offset;
  const t = requested.getTime();
  if (offset > 0 && Math.abs(t - real) <= BALANCE_NOW_WINDOW_MS) return new Date(now);
  return new Date(Math.min(t, now));
}

/** Payouts (§5.3, §5.5), FPS (§5.16) and the payout wallet's balance (§5.15). */
export function payoutMethods(deps: PayoutDeps): ApiMethod[] {
  return [
    defineMethod<InitPayoutBody>({
      path: 'session/init/payout',
      summary: 'Create a session and start a payout in one call (§5.3); use an idempotency key',
      body: InitPayoutBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => {
        // The session is created with this call's version: its webhooks (all queued later, by the payout's jobs) speak it.
        const view = await initPayout(tx, deps, ctx.project, { ...body, payment_method: payoutDestination(body, ctx.version) }, ctx.version);
        return { session: renderSession(view, ctx.version, ctx.project) };
      },
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
    defineMethod<CustomerVerificationV2Body>({
      path: 'fps/customer_verification',
      versions: ['v2'],
      summary: 'Check that a phone is registered in the Faster Payment System (§5.16); v2 names the destination payout_details',
      body: CustomerVerificationV2Body,
      response: SessionResponse,
      run: async (tx, ctx, body) => {
        const method = payoutDestination(body, 'v2');
        if (method === undefined) throw invalidRequest('payout_details is required');
        const session = await lockOwnSession(tx, ctx.project, body.session_id);
        const view = await startFpsVerification(tx, deps, ctx.project, session, { payment_method: method, participant_details: body.participant_details });
        return { session: renderSession(view, ctx.version, ctx.project) };
      },
    }),
    defineRead<unknown>({
      path: 'fps/banks',
      // The SDK reads it with GET and a signed `[]` body, on v1 or v2 (FpsApi); other clients POST.
      httpMethods: ['GET', 'POST'],
      noParameters: true,
      summary: 'The banks of the Faster Payment System (sandbox list); GET or POST, body empty, [] or {}, signed as sent',
      body: Type.Object({}),
      run: async () => ({ banks: FPS_BANKS }),
    }),
    defineRead<WalletBalanceBody>({
      path: 'wallet/balance',
      versions: ['v1'],
      summary: "The payout wallet's balance in each currency, as of request_datetime (§5.15)",
      body: WalletBalanceBody,
      run: async (db, ctx, body) => ({
        wallets: (await walletBalancesAt(db, ctx.project.id, await balanceInstant(db, deps.clock, new Date(body.request_datetime)))).map((w) => ({
          id: w.id,
          amount_details: { amount: w.amount, currency: w.currency },
        })),
      }),
    }),
  ];
}
