import { defineMethod, defineRead, type ApiMethod } from '../http/partner-api.js';
import { CreateSessionBody, SessionResponse, SessionStatusBody } from '../wire/session.schema.js';
import { createSession, planSession, sessionNotFound, type SessionDeps } from '../../domain/sessions/session.service.js';
import { findSessionView } from '../../domain/sessions/session-view.js';
import { renderSession, sessionParamsFromWire } from '../wire/session.wire.js';

export function sessionMethods(deps: SessionDeps): ApiMethod[] {
  return [
    defineMethod<CreateSessionBody>({
      path: 'session/create',
      summary: 'Create a payment session (§5.1); everything is optional and kept for a later start',
      wakesWorker: false,
      body: CreateSessionBody,
      response: SessionResponse,
      // Without card data the call is its one INSERT (no transaction; an idempotency key joins that statement).
      single: (ctx, body) => {
        const plan = planSession(deps, ctx.project, sessionParamsFromWire(body, ctx.version), { apiVersion: ctx.version });
        return plan && { insert: plan.insert, payload: { session: renderSession({ session: plan.session, operations: [] }, ctx.version, ctx.project) } };
      },
      run: async (tx, ctx, body) => ({
        session: renderSession({ session: await createSession(tx, deps, ctx.project, sessionParamsFromWire(body, ctx.version), { apiVersion: ctx.version }), operations: [] }, ctx.version, ctx.project),
      }),
    }),
    defineRead<SessionStatusBody>({
      path: 'session/status',
      summary: 'The full session with its operations (§5.9)',
      body: SessionStatusBody,
      response: SessionResponse,
      // One statement: the session row with every kind's operations (session-view.ts).
      run: async (db, ctx, body) => {
        const view = await findSessionView(db, deps.operations, ctx.project.id, body.session_id);
        if (!view) throw sessionNotFound(body.session_id);
        return { session: renderSession(view, ctx.version, ctx.project) };
      },
    }),
  ];
}
