import { defineMethod, type ApiMethod } from '../http/partner-api.js';
import { CancelBody, CaptureBody, ConfirmBody } from '../wire/payment.schema.js';
import type { SessionDeps } from '../../domain/sessions/session-deps.js';
import { cancelSession, captureSession, confirmSession } from '../../domain/sessions/session-actions.js';
import { lockOwnSession } from '../../domain/sessions/session.service.js';
import { normalizeCurrency } from '../../kernel/currencies.js';
import { SessionResponse } from '../wire/session.schema.js';
import { renderSession } from '../wire/session.wire.js';

/**
 * session/confirm, session/cancel and session/capture: session-level actions that act on every
 * operation of the session waiting for them (domain/sessions/session-actions.ts).
 */
export function sessionActionMethods(deps: SessionDeps): ApiMethod[] {
  return [
    defineMethod<ConfirmBody>({
      path: 'session/confirm',
      summary: 'Let every operation waiting in ready_to_confirm proceed (§5.6)',
      body: ConfirmBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => {
        const session = await lockOwnSession(tx, ctx.project, body.session_id);
        return { session: renderSession(await confirmSession(tx, deps, ctx.project, session), ctx.version, ctx.project) };
      },
    }),
    defineMethod<CancelBody>({
      path: 'session/cancel',
      summary: 'Cancel the operations waiting for the partner, release holds, or cancel a session not yet started (§5.7)',
      body: CancelBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => {
        const session = await lockOwnSession(tx, ctx.project, body.session_id);
        return { session: renderSession(await cancelSession(tx, deps, ctx.project, session), ctx.version, ctx.project) };
      },
    }),
    defineMethod<CaptureBody>({
      path: 'session/capture',
      summary: 'Capture the holds of the session in full, or one hold in part (§5.8)',
      body: CaptureBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => {
        const session = await lockOwnSession(tx, ctx.project, body.session_id);
        const amount = body.amount_details && { amount: body.amount_details.amount, currency: normalizeCurrency(body.amount_details.currency) };
        return { session: renderSession(await captureSession(tx, deps, ctx.project, session, amount), ctx.version, ctx.project) };
      },
    }),
  ];
}
