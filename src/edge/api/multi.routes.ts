import { defineMethod, type ApiMethod } from '../http/partner-api.js';
import { startPayment } from '../../domain/payments/payment.service.js';
import { startPayout } from '../../domain/payouts/payout.service.js';
import type { SessionDeps } from '../../domain/sessions/session-deps.js';
import type { SessionView } from '../../domain/sessions/session-view.js';
import { createSession } from '../../domain/sessions/session.service.js';
import { ApiError, invalidRequest } from '../../kernel/errors.js';
import { MultiInitBody } from '../wire/multi.schema.js';
import { SessionResponse } from '../wire/session.schema.js';
import { payoutDestination } from '../wire/payout.wire.js';
import { renderSession } from '../wire/session.wire.js';


/** An item's refusal, naming the item: `payout_list[2]: amount_details is required …`. */
async function item<T>(list: string, index: number, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApiError) throw new ApiError(err.code, `${list}[${index}]: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * session/multi/init (§5.18), also under the SDK's name session/init/session: one new session with
 * every payment of payment_list and every payout of payout_list started in it, in one transaction.
 * One refused item refuses the call and nothing is created (the transaction rolls back). Each
 * operation then lives its own lifecycle; session/confirm confirms every one waiting. Items are
 * stamped a millisecond apart in list order (payments first), so the session lists them in the
 * order they were sent.
 */
export function multiMethods(deps: SessionDeps): ApiMethod[] {
  return ['session/multi/init', 'session/init/session'].map((path) =>
    defineMethod<MultiInitBody>({
      path,
      summary:
        path === 'session/multi/init'
          ? 'Create a session holding several payments and payouts in one call (§5.18); all or nothing; use an idempotency key'
          : 'The Bank 131 SDK name of session/multi/init',
      body: MultiInitBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => {
        const payments = body.payment_list ?? [];
        const payouts = body.payout_list ?? [];
        if (payments.length + payouts.length === 0) throw invalidRequest('payment_list and payout_list are both empty: give at least one operation');
        const base = deps.clock.now().getTime();
        const at = (i: number): SessionDeps => ({ ...deps, clock: { now: () => new Date(base + i) } });
        let view: SessionView = { session: await createSession(tx, deps, ctx.project, {}, { apiVersion: ctx.version }), operations: [] };
        for (const [i, p] of payments.entries()) view = await item('payment_list', i, () => startPayment(tx, at(i), ctx.project, view.session, p));
        for (const [i, p] of payouts.entries()) {
          const given = { ...p, payment_method: payoutDestination(p, ctx.version) };
          view = await item('payout_list', i, () => startPayout(tx, at(payments.length + i), ctx.project, view.session, given, ctx.version));
        }
        return { session: renderSession(view, ctx.version, ctx.project) };
      },
    }),
  );
}
