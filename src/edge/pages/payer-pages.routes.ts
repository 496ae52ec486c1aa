import type { FastifyInstance } from 'fastify';
import type { Db } from '../../platform/db/database.js';
import { findPaymentByTdsId, type Payment } from '../../domain/payments/payment.repo.js';
import { answerPayer, type PaymentDeps } from '../../domain/payments/payment.service.js';
import { payerSourceOf, type PayerSource } from '../../domain/payments/payment-source.js';
import { findProjectById } from '../../domain/projects/project.repo.js';
import { lockSession } from '../../domain/sessions/session.repo.js';
import { currencyExponent } from '../../kernel/currencies.js';
import { ApiError } from '../../kernel/errors.js';
import type { Worker } from '../../platform/worker/worker.js';
import { HostedPage, escapeHtml, formatAmount, formTarget } from './html.js';

/**
 * The sandbox's stand-ins for what a payer approves outside the card network: the bank app an FPS
 * QR opens (`/sandbox/fps/<id>`, the QR's content) and a provider's page for internet banking and
 * wallets (`/sandbox/provider/<id>`, customer_interaction.redirect.url). Each shows the merchant,
 * the amount and the provider, with Pay and Decline; the answer is recorded, the rail settles the
 * payment as a job, and the payer goes back to payment_options.return_url when it is a web URL.
 * Top-level pages only (frame-ancestors 'none'), no script, forms only to themselves and the return URL.
 */
export const PAYER_PAGE = new HostedPage({ frameAncestors: 'none' });

const KINDS = { fps: 'fps', provider: 'provider' } as const;
type Kind = keyof typeof KINDS;

const kindOf = (s: PayerSource): Kind => (s.type === 'faster_payment_system' ? 'fps' : 'provider');

function titleOf(s: PayerSource): string {
  switch (s.type) {
    case 'faster_payment_system':
      return 'Sandbox bank app: FPS payment';
    case 'internet_banking':
      return `Sandbox ${s.provider}: internet banking`;
    case 'wallet':
      return `Sandbox ${s.provider} wallet`;
  }
}

function returnUrlOf(payment: Payment): string | undefined {
  const url = payment.paymentOptions?.['return_url'];
  // Web URLs of printable ASCII only (a Location header); dummy:/url and app links end on our page.
  return typeof url === 'string' && /^https?:\/\/[\x21-\x7e]+$/i.test(url) ? url : undefined;
}

export function payerPageRoutes(app: FastifyInstance, deps: PaymentDeps & { db: Db; worker: Worker }): void {
  const load = async (kind: Kind, id: string): Promise<{ payment: Payment; source: PayerSource }> => {
    const payment = await findPaymentByTdsId(deps.db, id);
    const source = payment ? payerSourceOf(payment.source) : undefined;
    if (!payment || !source || kindOf(source) !== kind) throw new ApiError('not_found', 'no such payment page');
    return { payment, source };
  };

  for (const kind of Object.keys(KINDS) as Kind[]) {
    app.get<{ Params: { id: string } }>(`/sandbox/${kind}/:id`, { schema: { hide: true } }, async (req, reply) => {
      const { payment, source } = await load(kind, req.params.id);
      const project = await findProjectById(deps.db, payment.projectId);
      const amount = formatAmount(payment.amount, payment.currency, currencyExponent(payment.currency));
      const open = payment.stage === 'awaiting_3ds';
      const title = titleOf(source);
      const body = `
<h1>${escapeHtml(title)}</h1>
<dl>
  <dt>Merchant</dt><dd data-testid="merchant">${escapeHtml(project?.name ?? '')}</dd>
  <dt>Amount</dt><dd data-testid="amount">${escapeHtml(amount)}</dd>
  <dt>Payment</dt><dd data-testid="payment">${escapeHtml(payment.id)}</dd>
</dl>
${
  open
    ? `<form method="post" action="/sandbox/${kind}/${escapeHtml(req.params.id)}" class="actions">
  <button class="primary" type="submit" name="result" value="pay">Pay</button>
  <button type="submit" name="result" value="decline">Decline</button>
</form>
<p class="note">Sandbox: Pay settles the payment, Decline fails it with cancelled_by_customer.</p>`
    : `<p data-testid="closed">This payment is no longer waiting for you.</p>`
}`;
      const back = open ? returnUrlOf(payment) : undefined;
      const target = back ? formTarget(back) : undefined;
      const formAction = open ? ["'self'", ...(target ? [target] : [])] : [];
      return reply.headers(PAYER_PAGE.headers(formAction)).send(PAYER_PAGE.render(title, body));
    });

    app.post<{ Params: { id: string }; Body: unknown }>(`/sandbox/${kind}/:id`, { schema: { hide: true } }, async (req, reply) => {
      const raw = req.rawBody?.toString('utf8') ?? '';
      const result = new URLSearchParams(raw).get('result') ?? (req.body as { result?: string } | undefined)?.result;
      if (result !== 'pay' && result !== 'decline') throw new ApiError('invalid_request', 'result must be "pay" or "decline"');
      const { payment, source } = await load(kind, req.params.id);
      await deps.db.transaction().execute(async (tx) => {
        const session = await lockSession(tx, payment.projectId, payment.sessionId);
        const current = await findPaymentByTdsId(tx, req.params.id);
        if (!session || !current) throw new ApiError('not_found', 'no such payment page');
        await answerPayer(tx, deps, current, session, result === 'pay');
      });
      deps.worker.nudge();
      const returnUrl = returnUrlOf(payment);
      if (returnUrl) return reply.redirect(returnUrl, 303);
      const done = result === 'pay' ? 'Payment sent' : 'Payment declined';
      return reply.headers(PAYER_PAGE.headers()).send(PAYER_PAGE.render(titleOf(source), `<h1 data-testid="outcome">${done}</h1><p>You can close this page.</p>`));
    });
  }
}
