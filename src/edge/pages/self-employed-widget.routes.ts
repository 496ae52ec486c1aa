import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Db } from '../../platform/db/database.js';
import type { Clock } from '../../kernel/clock.js';
import { ApiError } from '../../kernel/errors.js';
import { answerSelfEmployed, selfEmployedView } from '../../domain/tokens/self-employed-widget.js';
import { SELF_EMPLOYED_JS, SELF_EMPLOYED_PAGE, SELF_EMPLOYED_PROBLEM_PAGE, localeOf, renderSelfEmployedPage, renderSelfEmployedProblem } from './self-employed-widget.js';
import { sendScript } from './tokenize-widget.routes.js';

const AnswerBody = Type.Object(
  { answer: Type.Unsafe<'allow' | 'decline'>({ type: 'string', enum: ['allow', 'decline'] }) },
  { title: 'SelfEmployedAnswer' },
);
type AnswerBody = Static<typeof AnswerBody>;

/**
 * The self-employed widget (docs/tokens.md): its page in English or Russian, and the answer the
 * page posts. The answer is JSON in the envelope; the page is HTML, 404 for a link it cannot show.
 */
export function selfEmployedWidgetRoutes(app: FastifyInstance, deps: { db: Db; clock: Clock }): void {
  app.get('/widget/self-employed.js', { schema: { hide: true } }, async (_req, reply) => sendScript(reply, SELF_EMPLOYED_JS));

  const show = async (reply: FastifyReply, token: string, locale: 'en' | 'ru') => {
    try {
      const view = await selfEmployedView(deps.db, token, deps.clock.now(), locale);
      return reply.headers(SELF_EMPLOYED_PAGE.headers()).send(renderSelfEmployedPage(token, view));
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'invalid_public_token') throw err;
      return reply.code(404).headers(SELF_EMPLOYED_PROBLEM_PAGE.headers()).send(renderSelfEmployedProblem());
    }
  };
  app.get<{ Params: { token: string } }>('/self-employed/:token', { schema: { hide: true } }, async (req, reply) => show(reply, req.params.token, 'ru'));
  app.get<{ Params: { locale: string; token: string } }>('/:locale/self-employed/:token', { schema: { hide: true } }, async (req, reply) => {
    const locale = localeOf(req.params.locale);
    if (!locale) return reply.code(404).headers(SELF_EMPLOYED_PROBLEM_PAGE.headers()).send(renderSelfEmployedProblem());
    return show(reply, req.params.token, locale);
  });

  app.post<{ Params: { token: string }; Body: AnswerBody }>('/self-employed/:token/answer', { schema: { hide: true, body: AnswerBody } }, async (req) => {
    await answerSelfEmployed(deps.db, deps, req.params.token, req.body.answer);
    return { status: 'ok', page: { state: req.body.answer === 'allow' ? 'bound' : 'declined' } };
  });
}
