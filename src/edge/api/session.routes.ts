import { defineMethod, type ApiMethod } from '../http/partner-api.js';
import { CreateSessionBody, SessionResponse, SessionStatusBody } from '../wire/session.schema.js';
import { createSession, getSession, type SessionDeps } from '../../domain/sessions/session.service.js';
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
      run: async (tx, ctx, body) => ({
        session: renderSession({ session: await createSession(tx, deps, ctx.project, sessionParamsFromWire(body, ctx.version), { apiVersion: ctx.version }), operations: [] }, ctx.version, ctx.project),
      }),
    }),
    defineMethod<SessionStatusBody>({
      path: 'session/status',
      summary: 'The full session with its operations (§5.9)',
      wakesWorker: false,
      body: SessionStatusBody,
      response: SessionResponse,
      run: async (tx, ctx, body) => ({ session: renderSession(await loadSessionView(tx, deps.operations, await getSession(tx, ctx.project, body.session_id)), ctx.version, ctx.project) }),
    }),
  ];
}
