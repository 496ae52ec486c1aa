import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../../platform/db/database.js';
import { findPaymentByTdsId } from '../../domain/payments/payment.repo.js';
import { answerChallenge, type PaymentDeps } from '../../domain/payments/payment.service.js';
import { cardOf } from '../../domain/payments/payment-source.js';
import { findProjectById } from '../../domain/projects/project.repo.js';
import { lockSession } from '../../domain/sessions/session.repo.js';
import { currencyExponent } from '../../kernel/currencies.js';
import { ApiError } from '../../kernel/errors.js';
import type { Worker } from '../../platform/worker/worker.js';
import { HostedPage, escapeHtml, formatAmount, formTarget } from './html.js';

/**
 * The 3-D Secure page may be framed by payrail's own pages only (frame-ancestors 'self',
 * X-Frame-Options SAMEORIGIN): the hosted payment page shows it inline, and every other site is
 * refused, so its Confirm button cannot be overlaid by another site (clickjacking). A partner sends
 * the payer to customer_interaction.redirect.url top-level, as a redirect. frame-ancestors holds for
 * every ancestor, and the payment page itself may not be framed at all, so the inline step cannot
 * be wrapped by another site either. No script.
 */
export const THREE_DS_PAGE = new HostedPage({ frameAncestors: 'self' });

/** Whether the browser loads this request into a frame (Fetch Metadata; browsers that do not send it count as top-level). */
function framed(req: FastifyRequest): boolean {
  const dest = req.headers['sec-fetch-dest'];
  return dest === 'iframe' || dest === 'frame';
}

/** Where the answer hands the payer over: payment_options.return_url when it is a web URL. */
function returnUrlOf(paymentOptions: Record<string, unknown> | null | undefined): string | undefined {
  const url = paymentOptions?.['return_url'];
  // Only web URLs of printable ASCII are followed (a Location header holds nothing else; the schema
  // refuses others now, but a session stored before may hold one); anything else (dummy:/url,
  // javascript:) ends on our own page.
  return typeof url === 'string' && /^https?:\/\/[\x21-\x7e]+$/i.test(url) ? url : undefined;
}

/**
 * payrail's hosted 3-D Secure page: the sandbox stand-in for the issuer's challenge. It shows the
 * merchant, the amount and the masked card, with Confirm and Fail; the answer is recorded, the
 * processor finishes the authorization as a job, and the payer goes back to payment_options.return_url
 * (its form may post here and follow that one redirect: form-action 'self' and the return URL's
 * origin). Shown inline by the hosted payment page, it does not redirect the frame: the payment page
 * follows the outcome and returns the payer itself.
 */
export function threeDsRoutes(app: FastifyInstance, deps: PaymentDeps & { db: Db; worker: Worker }): void {
  const load = async (id: string) => {
    const payment = await findPaymentByTdsId(deps.db, id);
    if (!payment) throw new ApiError('not_found', 'no such 3-D Secure step');
    return payment;
  };

  app.get<{ Params: { id: string } }>('/3ds/:id', { schema: { hide: true } }, async (req, reply) => {
    const payment = await load(req.params.id);
    const project = await findProjectById(deps.db, payment.projectId);
    const card = cardOf(payment.source);
    const amount = formatAmount(payment.amount, payment.currency, currencyExponent(payment.currency));
    const open = payment.stage === 'awaiting_3ds';
    const body = `
<h1>3-D Secure verification</h1>
<dl>
  <dt>Merchant</dt><dd data-testid="merchant">${escapeHtml(project?.name ?? '')}</dd>
  <dt>Amount</dt><dd data-testid="amount">${escapeHtml(amount)}</dd>
  <dt>Card</dt><dd data-testid="card">${escapeHtml(card ? `${card.brand} •••• ${card.last4}` : '')}</dd>
</dl>
${
  open
    ? `<form method="post" action="/3ds/${escapeHtml(req.params.id)}" class="actions">
  <button class="primary" type="submit" name="result" value="confirmed">Confirm</button>
  <button type="submit" name="result" value="failed">Fail</button>
</form>
<p class="note">Sandbox issuer: Confirm approves the payment, Fail declines it with 3DS_error.</p>`
    : `<p>This verification is already complete.</p>`
}`;
    const back = open && !framed(req) ? returnUrlOf(payment.paymentOptions) : undefined;
    const target = back ? formTarget(back) : undefined;
    const formAction = open ? ["'self'", ...(target ? [target] : [])] : [];
    return reply.headers(THREE_DS_PAGE.headers(formAction)).send(THREE_DS_PAGE.render('3-D Secure', body));
  });

  app.post<{ Params: { id: string }; Body: unknown }>('/3ds/:id', { schema: { hide: true } }, async (req, reply) => {
    const raw = req.rawBody?.toString('utf8') ?? '';
    const result = new URLSearchParams(raw).get('result') ?? (req.body as { result?: string } | undefined)?.result;
    if (result !== 'confirmed' && result !== 'failed') throw new ApiError('invalid_request', 'result must be "confirmed" or "failed"');
    const payment = await load(req.params.id);
    await deps.db.transaction().execute(async (tx) => {
      const session = await lockSession(tx, payment.projectId, payment.sessionId);
      const current = await findPaymentByTdsId(tx, req.params.id);
      if (!session || !current) throw new ApiError('not_found', 'no such 3-D Secure step');
      await answerChallenge(tx, deps, current, session, result);
    });
    deps.worker.nudge();
    const returnUrl = framed(req) ? undefined : returnUrlOf(payment.paymentOptions);
    if (returnUrl) return reply.redirect(returnUrl, 303);
    return reply
      .headers(THREE_DS_PAGE.headers())
      .send(THREE_DS_PAGE.render('3-D Secure', `<h1>Verification ${result === 'confirmed' ? 'complete' : 'failed'}</h1><p>You can close this page.</p>`));
  });
}
