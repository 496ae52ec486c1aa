import { defineMethod, defineRead, type ApiMethod } from '../http/partner-api.js';
import { CreateSessionBody, SessionResponse, SessionStatusBody } from '../wire/session.schema.js';
import { createSession, getSession, planSession, type SessionDeps } from '../../domain/sessions/session.service.js';
import { loadSessionView } from '../../domain/sessions/session-view.js';
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
      run: async (db, ctx, body) => ({ session: renderSession(await loadSessionView(db, deps.operations, await getSession(db, ctx.project, body.session_id)), ctx.version, ctx.project) }),
    }),
  ];
}
