import type { TSchema } from '@sinclair/typebox';
import type { Tx } from '../../platform/db/database.js';
import type { Project } from '../../domain/projects/project.repo.js';
import type { SessionView } from '../../domain/sessions/session-view.js';
import type { Session } from '../../domain/sessions/session.repo.js';
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
  /** One session-level action: lock the session, act, answer with the session as it now is. */
  const action = <B extends { session_id: string }>(
    path: string,
    summary: string,
    body: TSchema,
    act: (tx: Tx, project: Project, session: Session, body: B) => Promise<SessionView>,
  ): ApiMethod =>
    defineMethod<B>({
      path,
      summary,
      body,
      response: SessionResponse,
      run: async (tx, ctx, b) => ({ session: renderSession(await act(tx, ctx.project, await lockOwnSession(tx, ctx.project, b.session_id), b), ctx.version, ctx.project) }),
    });
  return [
    action<ConfirmBody>('session/confirm', 'Let every operation waiting in ready_to_confirm proceed (§5.6)', ConfirmBody, (tx, project, session) =>
      confirmSession(tx, deps, project, session),
    ),
    action<CancelBody>(
      'session/cancel',
      'Cancel the operations waiting for the partner, release holds, or cancel a session not yet started (§5.7)',
      CancelBody,
      (tx, project, session) => cancelSession(tx, deps, project, session),
    ),
    action<CaptureBody>('session/capture', 'Capture the holds of the session in full, or one hold in part (§5.8)', CaptureBody, (tx, project, session, body) =>
      captureSession(tx, deps, project, session, body.amount_details && { amount: body.amount_details.amount, currency: normalizeCurrency(body.amount_details.currency) }),
    ),
  ];
}
