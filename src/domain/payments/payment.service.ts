import { randomBytes } from 'node:crypto';
import type { Tx } from '../../platform/db/database.js';
import { cancelJob, enqueueJob } from '../../platform/jobs/job.repo.js';
import type { Project } from '../projects/project.repo.js';
import { computeFee } from '../ledger/fees.js';
import { resolveRevenueSplit, splitRefund, type SplitItemInput } from '../ledger/revenue-split.js';
import { openRefund, refundableOf } from '../refunds/refund.service.js';
import { listSessionRefunds } from '../refunds/refund.repo.js';
import type { ActionContext, ActionResult } from '../sessions/operation-kind.js';
import type { SessionDeps } from '../sessions/session-deps.js';
import { settleSession, type SessionView } from '../sessions/session-view.js';
import type { Session, SessionParams } from '../sessions/session.repo.js';
import { assertTakesOperations, createSession } from '../sessions/session.service.js';
import { normalizeCurrency } from '../../kernel/currencies.js';
import { ApiError, invalidRequest } from '../../kernel/errors.js';
import type { Money } from '../../kernel/money.js';
import { transition } from '../../kernel/state-machine.js';
import { protectCardData, type VaultCardRef } from '../tokens/card-params.js';
import { usableRecurrentToken } from '../tokens/token.service.js';
import { findCardById, sealSecurityCode } from '../tokens/vault.js';
import { sourceFromParams, withoutSecurityCode, type PaymentSource } from './payment-source.js';
import { insertPayment, listSessionPayments, updatePayment, type Payment, type PaymentPatch } from './payment.repo.js';
import { PAYMENT_TRANSITIONS, paymentStatus, type PaymentStage } from './payment.status.js';

/**
 * The partner-facing half of card acquiring: each function runs inside the API call's transaction
 * with the session row locked, records what the partner asked for, queues the job that talks to the
 * processor, and returns the session to answer with. Processing is asynchronous, as in the real
 * service: results arrive as webhooks and through session/status. A session may hold several
 * payments (and payouts) at once; each has its own lifecycle, jobs and timeouts.
 */
export type PaymentDeps = SessionDeps;

export const CONFIRM_TIMEOUT_MS = 240 * 60_000;
export const THREE_DS_TIMEOUT_MS = 60 * 60_000;

export const jobKey = (paymentId: string, what: string) => `${paymentId}:${what}`;

const stateError = (description: string) => new ApiError('invalid_session_state', description);

/** Moves a payment to a new stage (checked against the table) with whatever else changes with it. */
export async function movePayment(tx: Tx, payment: Payment, to: PaymentStage, patch: PaymentPatch, now: Date): Promise<Payment> {
  transition(PAYMENT_TRANSITIONS, payment.stage, to, `payment ${payment.id}`);
  const final = to === 'succeeded' || to === 'failed';
  // A finished payment keeps no security code, sealed or not (it is only held until the issuer saw it).
  const source = final ? withoutSecurityCode(patch.source ?? payment.source) : undefined;
  const next = { ...patch, ...(final ? { finishedAt: now } : {}), ...(source ? { source } : {}), stage: to };
  await updatePayment(tx, payment.id, next, now);
  const { recurrentTokenId: _, ...rest } = next;
  return { ...payment, ...rest, updatedAt: now };
}

export function describePayment(payment: Payment): string {
  return `payment ${payment.id} is ${paymentStatus(payment.stage)}${payment.stage === 'awaiting_3ds' ? ' (waiting for the payer on 3-D Secure)' : ''}`;
}

export type PaymentParams = Pick<SessionParams, 'payment_details' | 'amount_details' | 'customer' | 'participant_details' | 'payment_options' | 'metadata' | 'revenue_split_info'>;

/** What a start was given, over the defaults session/create stored (the session's own params never change). */
function merge(stored: SessionParams, given: PaymentParams): SessionParams {
  const out: SessionParams = { ...stored };
  for (const [k, v] of Object.entries(given) as [keyof PaymentParams, unknown][]) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** session/start/payment (and the second half of session/init/payment). */
export async function startPayment(tx: Tx, deps: PaymentDeps, project: Project, session: Session, given: PaymentParams): Promise<SessionView> {
  const now = deps.clock.now();
  assertTakesOperations(session, 'a payment');
  const normalized: PaymentParams = { ...given, ...(given.amount_details ? { amount_details: { amount: given.amount_details.amount, currency: normalizeCurrency(given.amount_details.currency) } } : {}) };
  const params = merge(session.params, await protectCardData(tx, deps, project.id, session.id, normalized, now));
  for (const field of ['payment_details', 'amount_details', 'customer'] as const) {
    if (params[field] === undefined) throw invalidRequest(`${field} is required (it was given neither to session/create nor here)`);
  }
  const details = params.payment_details as Record<string, unknown>;
  let source: PaymentSource;
  let initiator: 'merchant' | 'client' | null = null;
  if (details['type'] === 'recurrent') {
    // A saved card charged again (§8): MIT without the payer, CIT with the payer and 3-D Secure.
    const r = details['recurrent'] as { token: string; initiator?: 'merchant' | 'client'; security_code?: string };
    initiator = r.initiator ?? 'merchant';
    if (initiator === 'client' && typeof (params.payment_options as { return_url?: unknown } | undefined)?.return_url !== 'string') {
      throw invalidRequest('payment_options.return_url is required for a client-initiated recurrent payment (the payer passes 3-D Secure)');
    }
    const token = await usableRecurrentToken(tx, project.id, r.token, now);
    const card = await findCardById(tx, project.id, token.cardId);
    if (!card) throw invalidRequest('payment_details.recurrent.token names a card that is no longer in the vault');
    const ref: VaultCardRef = { card_id: card.cardId, number_hash: card.numberHash, brand: card.brand, bin: card.bin, last4: card.last4 };
    if (card.expirationMonth) ref.expiration_month = card.expirationMonth;
    if (card.expirationYear) ref.expiration_year = card.expirationYear;
    if (r.security_code) ref.security_code_sealed = sealSecurityCode(deps.keyring, session.id, r.security_code);
    source = { type: 'card', card: ref };
  } else {
    source = sourceFromParams(details);
  }
  const options = (params.payment_options ?? null) as Record<string, unknown> | null;
  const amount = params.amount_details!.amount;
  const currency = normalizeCurrency(params.amount_details!.currency);
  const splitItems = params.revenue_split_info as SplitItemInput[] | undefined;
  if (splitItems && options?.['hold'] === true) {
    throw invalidRequest('revenue_split_info cannot be combined with payment_options.hold: a split payment is captured in full at once');
  }
  const revenueSplit = splitItems
    ? resolveRevenueSplit(splitItems, { amount, currency, fee: Math.min(amount, computeFee(amount, project.fees.payment)) }, project.contractors)
    : null;
  const payment: Payment = {
    id: deps.ids('pm'),
    sessionId: session.id,
    projectId: project.id,
    stage: 'prechecking',
    amount,
    currency,
    capturedAmount: 0,
    fee: 0,
    // payrail's own hold flag, or the project's capture_mode for clients that cannot send it.
    hold: options?.['hold'] === true || (project.captureMode === 'manual' && source.type === 'card'),
    source,
    customer: params.customer ?? null,
    participantDetails: params.participant_details ?? null,
    paymentOptions: options,
    metadata: params.metadata ?? null,
    cardChecked: false,
    transactionInfo: null,
    customerInteraction: null,
    tdsId: null,
    tdsResult: null,
    captureAmount: null,
    error: null,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
    initiator,
    recurrent: null,
    revenueSplit,
  };
  await insertPayment(tx, payment);
  await enqueueJob(tx, { kind: 'payment.precheck', payload: { paymentId: payment.id }, runAt: now, uniqueKey: jobKey(payment.id, 'precheck') }, now);
  return settleSession(tx, deps.operations, session, now);
}

export async function initPayment(tx: Tx, deps: PaymentDeps, project: Project, given: PaymentParams): Promise<SessionView> {
  // The session keeps what init was given but the card (the payment holds that), as defaults for a later start.
  const session = await createSession(tx, deps, project, { ...given, payment_details: undefined });
  return startPayment(tx, deps, project, session, given);
}

/** session/confirm on a payment waiting in ready_to_confirm: it goes to the issuer. */
export async function confirmPayment(c: ActionContext, payment: Payment): Promise<ActionResult<Payment>> {
  const op = await movePayment(c.tx, payment, 'authorizing', {}, c.now);
  await cancelJob(c.tx, jobKey(payment.id, 'confirm_timeout'));
  await enqueueJob(c.tx, { kind: 'payment.authorize', payload: { paymentId: payment.id }, runAt: c.now, uniqueKey: jobKey(payment.id, 'authorize') }, c.now);
  return { op };
}

/**
 * session/cancel on a payment waiting for the partner: before confirmation it simply fails (and the
 * partner hears payment_finished); a hold is released through the processor (voiding) and fails,
 * with payment_finished, when that is done.
 */
export async function cancelPayment(c: ActionContext, payment: Payment): Promise<ActionResult<Payment>> {
  if (payment.stage === 'awaiting_confirm') {
    const op = await movePayment(c.tx, payment, 'failed', { error: { code: 'cancelled_by_partner', description: 'the partner cancelled the payment (session/cancel)' } }, c.now);
    await cancelJob(c.tx, jobKey(payment.id, 'confirm_timeout'));
    return { op, event: 'payment_finished' };
  }
  if (payment.stage === 'awaiting_capture') {
    const op = await movePayment(c.tx, payment, 'voiding', {}, c.now);
    await cancelJob(c.tx, jobKey(payment.id, 'hold_expiry'));
    await enqueueJob(c.tx, { kind: 'payment.void', payload: { paymentId: payment.id, reason: 'cancelled_by_partner' }, runAt: c.now, uniqueKey: jobKey(payment.id, 'void') }, c.now);
    return { op };
  }
  throw stateError(`session ${payment.sessionId} cannot be cancelled now: its ${describePayment(payment)}`);
}

function checkAmount(given: Money | undefined, currency: string, limit: number, what: string): number {
  if (!given) return limit;
  const cur = normalizeCurrency(given.currency);
  if (cur !== currency) throw invalidRequest(`amount_details.currency ${cur} differs from the payment's currency ${currency}`);
  if (given.amount > limit) throw new ApiError('amount_exceeds_limit', `amount_details.amount ${given.amount} exceeds ${what} (${limit} ${currency})`);
  return given.amount;
}

/** session/capture on a hold: takes it in full, or in part (the rest is released). */
export async function capturePayment(c: ActionContext, payment: Payment, amount: Money | undefined): Promise<ActionResult<Payment>> {
  const captureAmount = checkAmount(amount, payment.currency, payment.amount, 'the amount on hold');
  if (payment.revenueSplit && captureAmount !== payment.amount) {
    throw invalidRequest(`payment ${payment.id} is split between contractors (revenue_split_info) and is captured in full only: omit amount_details`);
  }
  const op = await movePayment(c.tx, payment, 'capturing', { captureAmount }, c.now);
  await cancelJob(c.tx, jobKey(payment.id, 'hold_expiry'));
  await enqueueJob(c.tx, { kind: 'payment.capture', payload: { paymentId: payment.id }, runAt: c.now, uniqueKey: jobKey(payment.id, 'capture') }, c.now);
  return { op };
}

/**
 * session/refund: the whole remaining amount when none is given; a part only when the project allows
 * partial refunds. Refunds in progress count against the limit, so concurrent refunds (serialised by
 * the session lock) can never add up to more than was captured. With several payments in the
 * session, the refund is of the latest succeeded payment that still has something to give back.
 */
export async function refundPayment(
  tx: Tx,
  deps: PaymentDeps,
  project: Project,
  session: Session,
  input: { amount?: Money | undefined; metadata?: unknown },
): Promise<SessionView> {
  const succeeded = (await listSessionPayments(tx, session.id)).filter((p) => p.stage === 'succeeded');
  if (succeeded.length === 0) throw stateError(`session ${session.id} has no succeeded payment to refund`);
  const refunds = await listSessionRefunds(tx, session.id);
  const payment = succeeded.findLast((p) => refundableOf(p.capturedAmount, p.id, refunds) > 0);
  if (!payment) {
    throw new ApiError('amount_exceeds_limit', succeeded.length === 1 ? `payment ${succeeded[0]!.id} is already refunded in full` : `every payment of session ${session.id} is already refunded in full`);
  }
  const remaining = refundableOf(payment.capturedAmount, payment.id, refunds);
  const amount = checkAmount(input.amount, payment.currency, remaining, 'what can still be refunded');
  if (amount !== payment.capturedAmount && !project.allowPartialRefunds) {
    throw new ApiError('authorization_error', `partial refunds are not enabled for project "${project.name}"; omit amount_details to refund the payment in full`);
  }
  const now = deps.clock.now();
  const refund = await openRefund(
    tx,
    {
      id: deps.ids('rf'),
      paymentId: payment.id,
      payoutId: null,
      sessionId: session.id,
      projectId: project.id,
      status: 'in_progress',
      amount,
      currency: payment.currency,
      metadata: input.metadata ?? null,
      revenueSplit: payment.revenueSplit ? splitRefund(payment.revenueSplit, amount, payment.capturedAmount) : null,
    },
    now,
  );
  await enqueueJob(tx, { kind: 'refund.process', payload: { refundId: refund.id }, runAt: now, uniqueKey: `${refund.id}:process` }, now);
  return settleSession(tx, deps.operations, session, now);
}

/** The hosted 3-D Secure page's answer: the payer confirmed or failed the challenge. */
export async function answerChallenge(tx: Tx, deps: PaymentDeps, payment: Payment, session: Session, result: 'confirmed' | 'failed'): Promise<void> {
  if (payment.stage !== 'awaiting_3ds') throw stateError(`this 3-D Secure step is over: its ${describePayment(payment)}`);
  const now = deps.clock.now();
  await movePayment(tx, payment, 'completing_3ds', { tdsResult: result }, now);
  await cancelJob(tx, jobKey(payment.id, '3ds_timeout'));
  await enqueueJob(tx, { kind: 'payment.complete_3ds', payload: { paymentId: payment.id }, runAt: now, uniqueKey: jobKey(payment.id, 'complete_3ds') }, now);
  await settleSession(tx, deps.operations, session, now);
}

export const newTdsId = () => randomBytes(18).toString('base64url');
