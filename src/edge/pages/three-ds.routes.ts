import type { FastifyInstance } from 'fastify';
import type { Db } from '../../platform/db/database.js';
import { findPaymentByTdsId } from '../../domain/payments/payment.repo.js';
import { answerChallenge, type PaymentDeps } from '../../domain/payments/payment.service.js';
import { cardOf } from '../../domain/payments/payment-source.js';
import { findProjectById } from '../../domain/projects/project.repo.js';
import { lockSession } from '../../domain/sessions/session.repo.js';
import { currencyExponent } from '../../kernel/currencies.js';
import { ApiError } from '../../kernel/errors.js';
import type { Worker } from '../../platform/worker/worker.js';
import { escapeHtml, formatAmount, page } from './html.js';

/**
 * payrail's hosted 3-D Secure page: the sandbox stand-in for the issuer's challenge. It shows the
 * merchant, the amount and the masked card, with Confirm and Fail; the answer is recorded, the
 * processor finishes the authorization as a job, and the payer goes back to payment_options.return_url.
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
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page('3-D Secure', body));
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
    const returnUrl = payment.paymentOptions?.['return_url'];
    // Only web URLs are followed; anything else (dummy:/url, javascript:) ends on our own page.
    if (typeof returnUrl === 'string' && /^https?:\/\//i.test(returnUrl)) return reply.redirect(returnUrl, 303);
    return reply
      .type('text/html; charset=utf-8')
      .send(page('3-D Secure', `<h1>Verification ${result === 'confirmed' ? 'complete' : 'failed'}</h1><p>You can close this page.</p>`));
  });
}
