import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Db } from '../../platform/db/database.js';
import type { PaymentDeps } from '../../domain/payments/payment.service.js';
import { ApiError } from '../../kernel/errors.js';
import type { Worker } from '../../platform/worker/worker.js';
import { PAYMENT_LINK_PROBLEM_PAGE, PAYMENT_PAGE, PAYMENT_PAGE_JS, renderPaymentLinkProblem, renderPaymentPage, renderUnknownLocale } from './payment-page.html.js';
import { localeOf, type Locale } from './card-form.js';
import { pageView, payOnPage } from './payment-page.service.js';
import { sendScript } from './tokenize-widget.routes.js';

const PayBody = Type.Object(
  {
    number_hash: Type.String({ minLength: 1, maxLength: 128, format: 'printable' }),
    security_code: Type.Optional(Type.String({ pattern: '^[0-9]{3,4}$', errorMessage: 'must be 3 or 4 digits' })),
    save_card: Type.Optional(Type.Boolean()),
  },
  { title: 'PaymentPagePayRequest' },
);
type PayBody = Static<typeof PayBody>;

/** JSON behind the hosted payment page: its state (polled by the page) and the pay action. */
export function paymentPageApiRoutes(app: FastifyInstance, deps: PaymentDeps & { db: Db; worker: Worker }): void {
  app.get<{ Params: { token: string } }>('/payment/:token/state', { schema: { hide: true } }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok', page: await pageView(deps.db, req.params.token, deps.clock.now()) };
  });

  app.post<{ Params: { token: string }; Body: PayBody }>('/payment/:token/pay', { schema: { hide: true, body: PayBody } }, async (req) => {
    await payOnPage(deps.db, deps, req.params.token, req.body);
    deps.worker.nudge();
    return { status: 'ok', page: await pageView(deps.db, req.params.token, deps.clock.now()) };
  });
}

/**
 * The hosted payment page itself and its script. The real service's paths are /en/payment/:token and
 * /ru/payment/:token (§5.12), the path's language choosing the page's; /payment/:token (payrail's
 * first path) shows the page in the language the token was issued with. A link that is unknown or
 * expired, or a language the page does not have, gets a page saying so (404), not the JSON error the
 * API routes answer with.
 */
export function paymentPageRoutes(app: FastifyInstance, deps: PaymentDeps & { db: Db }): void {
  app.get('/widget/payment-page.js', { schema: { hide: true } }, async (_req, reply) => sendScript(reply, PAYMENT_PAGE_JS));

  const show = async (reply: FastifyReply, token: string, locale: Locale | undefined) => {
    let view;
    try {
      view = await pageView(deps.db, token, deps.clock.now(), locale);
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'invalid_public_token') throw err;
      return reply.code(404).headers(PAYMENT_LINK_PROBLEM_PAGE.headers()).send(renderPaymentLinkProblem());
    }
    return reply.headers(PAYMENT_PAGE.headers()).send(renderPaymentPage(token, view));
  };
  app.get<{ Params: { token: string } }>('/payment/:token', { schema: { hide: true } }, async (req, reply) => show(reply, req.params.token, undefined));
  app.get<{ Params: { locale: string; token: string } }>('/:locale/payment/:token', { schema: { hide: true } }, async (req, reply) => {
    const locale = localeOf(req.params.locale);
    if (!locale) return reply.code(404).headers(PAYMENT_LINK_PROBLEM_PAGE.headers()).send(renderUnknownLocale(req.params.locale));
    return show(reply, req.params.token, locale);
  });
}
