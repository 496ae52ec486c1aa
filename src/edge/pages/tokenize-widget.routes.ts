import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Db } from '../../platform/db/database.js';
import type { Clock } from '../../kernel/clock.js';
import { findPublicToken } from '../../domain/tokens/public-token.repo.js';
import { publicTokenProblem } from '../../domain/tokens/token.service.js';
import { CARD_FORM_JS, localeOf } from './card-form.js';
import { TOKENIZE_EMBED_JS, TOKENIZE_PAGE, TOKENIZE_PAGE_JS, renderTokenizePage } from './tokenize-widget.js';

/** A script for payer pages: loadable from any partner page (a plain <script src>), cached briefly. */
export function sendScript(reply: FastifyReply, source: string): FastifyReply {
  return reply
    .type('text/javascript; charset=utf-8')
    .header('cache-control', 'public, max-age=300')
    .header('x-content-type-options', 'nosniff')
    .header('cross-origin-resource-policy', 'cross-origin')
    .send(source);
}

/**
 * The tokenization widget (§5.13 from the payer's side): the embed script, the framed card form and
 * the card form script shared with the payment page. The framed page checks its public token up
 * front, so an expired or spent token is reported to the partner (payrail:error) before anyone types.
 */
export function tokenizeWidgetRoutes(app: FastifyInstance, deps: { db: Db; clock: Clock }): void {
  app.get('/widget/tokenize.js', { schema: { hide: true } }, async (_req, reply) => sendScript(reply, TOKENIZE_EMBED_JS));
  app.get('/widget/tokenize-page.js', { schema: { hide: true } }, async (_req, reply) => sendScript(reply, TOKENIZE_PAGE_JS));
  app.get('/widget/card-form.js', { schema: { hide: true } }, async (_req, reply) => sendScript(reply, CARD_FORM_JS));

  app.get<{ Querystring: Record<string, unknown> }>('/widget/tokenize', { schema: { hide: true } }, async (req, reply) => {
    const token = typeof req.query['token'] === 'string' ? req.query['token'] : '';
    const t = token ? await findPublicToken(deps.db, token) : undefined;
    const problem = publicTokenProblem(t, deps.clock.now(), ['tokenize_widget', 'acquiring_widget']);
    const locale = localeOf(req.query['locale']) ?? localeOf(t?.params['locale']) ?? 'en';
    return reply.headers(TOKENIZE_PAGE.headers()).send(renderTokenizePage({ token, locale, problem }));
  });
}
