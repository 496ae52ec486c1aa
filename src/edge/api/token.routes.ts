import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../platform/db/database.js';
import { defineMethod, defineRead, type ApiMethod } from '../http/partner-api.js';
import { ApiError } from '../../kernel/errors.js';
import { PublicTokenBody, RecurrentBody, TokenInfoBody, TokenizeCardBody } from '../wire/token.schema.js';
import { findSession } from '../../domain/sessions/session.repo.js';
import { countTokenizeAttempt, disableRecurrent, issuePublicToken, recurrentStatus, tokenInfo, tokenizeCard, type TokenDeps } from '../../domain/tokens/token.service.js';

/** Partner methods: public tokens, token info, recurrent token status and disabling (v1, §5.12–5.14, §5.17). */
export function tokenMethods(deps: TokenDeps): ApiMethod[] {
  return [
    defineMethod<PublicTokenBody>({
      path: 'token',
      versions: ['v1'],
      wakesWorker: false,
      summary: 'Issue one public token for one or more widgets (tokenize, acquiring / payment page, FPS, self-employed): 24 hours, one operation per widget (§5.12)',
      body: PublicTokenBody,
      run: async (tx, ctx, body) => ({
        public_token: await issuePublicToken(tx, deps, ctx.project, body as Record<string, unknown>, async (id) => {
          const s = await findSession(tx, ctx.project.id, id);
          return s && { status: s.status, payout: s.params.payment_method !== undefined };
        }),
      }),
    }),
    defineRead<TokenInfoBody>({
      path: 'token/info',
      versions: ['v1'],
      summary: 'Information on a card token, a public token or a recurrent token (§5.14)',
      body: TokenInfoBody,
      run: async (db, ctx, body) => ({ info: await tokenInfo(db, ctx.project, body as Record<string, unknown>, deps.clock.now()) }),
    }),
    defineRead<RecurrentBody>({
      path: 'recurrent/status',
      versions: ['v1'],
      summary: 'A recurrent token and whether it is active',
      body: RecurrentBody,
      run: async (db, ctx, body) => ({ recurrent: await recurrentStatus(db, ctx.project, body.recurrent.token, deps.clock.now()) }),
    }),
    defineMethod<RecurrentBody>({
      path: 'recurrent/disable',
      versions: ['v1'],
      summary: 'Disable a recurrent token; charging it then fails with binding_is_deactivated',
      body: RecurrentBody,
      run: async (tx, ctx, body) => ({ recurrent: await disableRecurrent(tx, ctx.project, body.recurrent.token, deps.clock.now()) }),
    }),
  ];
}

/**
 * The payer-side tokenization endpoint (§5.13), authenticated by X-PUBLIC-TOKEN instead of a
 * partner signature, and callable from the partner's web page (CORS: any origin, no credentials).
 * CORS is registered under the /cds prefix so that its preflight route is `OPTIONS /cds/*` only:
 * the partner API and the admin API are not for browsers, and a preflight there is answered 405.
 */
export async function tokenizeRoutes(app: FastifyInstance, deps: TokenDeps & { db: Db }): Promise<void> {
  await app.register(async (cds) => {
    // Before the CORS hook, which would answer an OPTIONS lacking these in text/plain.
    cds.addHook('onRequest', async (req) => {
      if (req.method === 'OPTIONS' && (!req.headers.origin || !req.headers['access-control-request-method'])) {
        throw new ApiError('invalid_request', 'a CORS preflight needs the Origin and Access-Control-Request-Method headers');
      }
    });
    await cds.register(cors, { origin: '*', methods: ['POST'], allowedHeaders: ['content-type', 'x-public-token'], maxAge: 600 });
    cds.addHook('preValidation', async (req) => {
      const token = req.headers['x-public-token'];
      if (req.method !== 'POST') return;
      if (typeof token !== 'string' || token === '') throw new ApiError('invalid_public_token', 'X-PUBLIC-TOKEN header is required');
      await countTokenizeAttempt(deps.db, deps, token);
      if (req.bodyError) throw new ApiError('invalid_request', req.bodyError);
    });
    cds.post<{ Body: TokenizeCardBody }>('/v1/tokenize/card', { schema: { body: TokenizeCardBody, tags: ['tokenization'] } }, async (req, reply) => {
      const out = await tokenizeCard(deps.db, deps, String(req.headers['x-public-token']), req.body.card);
      return reply.send({ data: { token: out.token, info: { masked_card_number: out.masked, card_type: out.brand } } });
    });
  }, { prefix: '/cds' });
}
