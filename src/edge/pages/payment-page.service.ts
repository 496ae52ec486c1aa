import type { Db } from '../../platform/db/database.js';
import { listSessionPayments } from '../../domain/payments/payment.repo.js';
import { cardOf } from '../../domain/payments/payment-source.js';
import { startPayment, type PaymentDeps } from '../../domain/payments/payment.service.js';
import { findProjectById } from '../../domain/projects/project.repo.js';
import { lockSession, findSession } from '../../domain/sessions/session.repo.js';
import { currencyExponent } from '../../kernel/currencies.js';
import { ApiError, invalidRequest } from '../../kernel/errors.js';
import { findPublicToken, lockPublicToken, markUsed } from '../../domain/tokens/public-token.repo.js';
import { publicTokenProblem, widgetOf } from '../../domain/tokens/token.service.js';
import { formatAmount } from './html.js';

/**
 * The hosted payment page's server side (§5.12): what the page shows for an acquiring_widget public
 * token, and the one payment the token allows. The card itself is tokenized by the page through
 * /cds/v1/tokenize/card first; only its number_hash (and the security code, sealed at once) comes here.
 */
export type PageState = 'form' | 'processing' | 'action_required' | 'succeeded' | 'failed';

const flag = (v: unknown) => v === true || v === 'true';

export interface PageView {
  readonly merchant: string;
  readonly amount: number | null;
  readonly currency: string | null;
  readonly amount_text: string | null;
  readonly locale: 'en' | 'ru';
  readonly show_recurrent_checkbox: boolean;
  readonly state: PageState;
  readonly challenge_url?: string;
  readonly return_url?: string;
  readonly error?: { code: string; description: string };
  readonly card?: { brand: string; last4: string };
}

/** The page for the token's acquiring widget; `pathLocale` (from /en/… or /ru/…) overrides the token's language. */
export async function pageView(db: Db, token: string, now: Date, pathLocale?: 'en' | 'ru'): Promise<PageView> {
  const t = await findPublicToken(db, token);
  const widget = t && widgetOf(t, 'acquiring_widget');
  if (!t || !widget || !t.sessionId) throw new ApiError('invalid_public_token', 'the payment link is not valid');
  if (t.expiresAt <= now && !widget.usedAt) throw new ApiError('invalid_public_token', 'the payment link has expired');
  const project = await findProjectById(db, t.projectId);
  const session = await findSession(db, t.projectId, t.sessionId);
  if (!project || !session) throw new ApiError('invalid_public_token', 'the payment link is not valid');
  const amount = session.params.amount_details;
  const params = widget.params;
  const locale = pathLocale ?? (params['locale'] === 'ru' ? 'ru' : 'en');
  const base = {
    merchant: project.name,
    amount: amount?.amount ?? null,
    currency: amount?.currency ?? null,
    amount_text: amount ? formatAmount(amount.amount, amount.currency, currencyExponent(amount.currency)) : null,
    locale,
    show_recurrent_checkbox: flag(params['show_recurrent_checkbox']),
  } as const;
  const payment = (await listSessionPayments(db, session.id)).at(-1);
  if (!payment) return { ...base, state: 'form' };
  const card = cardOf(payment.source);
  const masked = card ? { card: { brand: card.brand, last4: card.last4 } } : {};
  const success = params['success_return_url'];
  const failure = params['failure_return_url'];
  switch (payment.stage) {
    case 'awaiting_3ds': {
      const url = (payment.customerInteraction as { redirect?: { url?: string } } | null)?.redirect?.url;
      return { ...base, ...masked, state: 'action_required', ...(url ? { challenge_url: new URL(url).pathname } : {}) };
    }
    case 'succeeded':
    case 'awaiting_capture':
      return { ...base, ...masked, state: 'succeeded', ...(typeof success === 'string' ? { return_url: success } : {}) };
    case 'failed':
      return { ...base, ...masked, state: 'failed', ...(payment.error ? { error: payment.error } : {}), ...(typeof failure === 'string' ? { return_url: failure } : {}) };
    default:
      return { ...base, ...masked, state: 'processing' };
  }
}

export async function payOnPage(
  db: Db,
  deps: PaymentDeps,
  token: string,
  input: { number_hash: string; security_code?: string | undefined; save_card?: boolean | undefined },
): Promise<void> {
  const now = deps.clock.now();
  await db.transaction().execute(async (tx) => {
    const t = await lockPublicToken(tx, token);
    const problem = publicTokenProblem(t, now, ['acquiring_widget']);
    if (problem) throw new ApiError('invalid_public_token', problem);
    const params = widgetOf(t!, 'acquiring_widget')!.params;
    const project = await findProjectById(tx, t!.projectId);
    const session = t!.sessionId ? await lockSession(tx, t!.projectId, t!.sessionId) : undefined;
    if (!project || !session) throw new ApiError('invalid_public_token', 'the payment link is not valid');
    if (input.security_code !== undefined && !/^\d{3,4}$/.test(input.security_code)) throw invalidRequest('security_code must be 3 or 4 digits');
    const stored = (session.params.payment_options ?? {}) as Record<string, unknown>;
    const options: Record<string, unknown> = { ...stored };
    if (flag(params['show_recurrent_checkbox']) && input.save_card) options['recurrent'] = true;
    if (flag(params['success_on_hold'])) options['hold'] = true;
    await startPayment(tx, deps, project, session, {
      payment_details: {
        type: 'card',
        card: { type: 'encrypted_card', encrypted_card: { number_hash: input.number_hash, ...(input.security_code ? { security_code: input.security_code } : {}) } },
      },
      payment_options: options,
      // The page's payer is the session's customer; a session created without one pays as "payment-page".
      customer: session.params.customer ?? { reference: 'payment-page' },
    });
    await markUsed(tx, token, now, 'acquiring_widget');
  });
}
