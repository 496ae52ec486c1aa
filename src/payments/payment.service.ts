import { randomBytes } from 'node:crypto';
import type { Tx } from '../db/database.js';
import { cancelJob, enqueueJob } from '../jobs/job.repo.js';
import type { Keyring } from '../keys/keyring.js';
import type { Project } from '../projects/project.repo.js';
import { settleSession, type SessionView } from '../sessions/session-view.js';
import { lockSession, updateSessionParams, type Session, type SessionParams } from '../sessions/session.repo.js';
import { createSession, sessionNotFound } from '../sessions/session.service.js';
import type { Clock } from '../shared/clock.js';
import { normalizeCurrency } from '../shared/currencies.js';
import { ApiError, invalidRequest } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { transition } from '../shared/state-machine.js';
import { protectCardData, type VaultCardRef } from '../tokens/card-params.js';
import { usableRecurrentToken } from '../tokens/token.service.js';
import { findCardById, sealSecurityCode } from '../tokens/vault.js';
import { enqueueWebhook } from '../webhooks/webhook.service.js';
import { insertPayment, insertRefund, listSessionPayments, listSessionRefunds, updatePayment, type Payment, type PaymentPatch } from './payment.repo.js';
import { PAYMENT_TRANSITIONS, paymentStatus, type PaymentStage } from './payment.status.js';

/**
 * The partner-facing half of card acquiring: each function runs inside the API call's transaction
 * with the session row locked, records what the partner asked for, queues the job that talks to the
 * processor, and returns the session to answer with. Processing is asynchronous, as in the real
 * service: results arrive as webhooks and through session/status.
 */
export interface PaymentDeps {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly keyring: Keyring;
}

export const CONFIRM_TIMEOUT_MS = 240 * 60_000;
export const THREE_DS_TIMEOUT_MS = 60 * 60_000;

export const jobKey = (paymentId: string, what: string) => `${paymentId}:${what}`;

const stateError = (description: string) => new ApiError('invalid_session_state', description);

/** Moves a payment to a new stage (checked against the table) with whatever else changes with it. */
export async function movePayment(tx: Tx, payment: Payment, to: PaymentStage, patch: PaymentPatch, now: Date): Promise<Payment> {
  transition(PAYMENT_TRANSITIONS, payment.stage, to, `payment ${payment.id}`);
  const final = to === 'succeeded' || to === 'failed';
  // A finished payment keeps no security code, sealed or not (it is only held until the issuer saw it).
  const details = final ? withoutSecurityCode(patch.paymentDetails ?? payment.paymentDetails) : undefined;
  const next = { ...patch, ...(final ? { finishedAt: now } : {}), ...(details ? { paymentDetails: details } : {}), stage: to };
  await updatePayment(tx, payment.id, next, now);
  const { recurrentTokenId: _, ...rest } = next;
  return { ...payment, ...rest, updatedAt: now };
}

export async function lockOwnSession(tx: Tx, project: Project, sessionId: string): Promise<Session> {
  const session = await lockSession(tx, project.id, sessionId);
  if (!session) throw sessionNotFound(sessionId);
  return session;
}

/** The session's payment, if it has one (one acquiring payment per session). */
async function currentPayment(tx: Tx, session: Session): Promise<Payment | undefined> {
  return (await listSessionPayments(tx, session.id)).at(-1);
}

function describe(payment: Payment): string {
  return `its payment ${payment.id} is ${paymentStatus(payment.stage)}${payment.stage === 'awaiting_3ds' ? ' (waiting for the payer on 3-D Secure)' : ''}`;
}

type PaymentParams = Pick<SessionParams, 'payment_details' | 'amount_details' | 'customer' | 'participant_details' | 'payment_options' | 'metadata'>;

function merge(stored: SessionParams, given: PaymentParams): SessionParams {
  const out: SessionParams = { ...stored };
  for (const [k, v] of Object.entries(given) as [keyof PaymentParams, unknown][]) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** session/start/payment (and the second half of session/init/payment). */
export async function startPayment(tx: Tx, deps: PaymentDeps, project: Project, session: Session, given: PaymentParams): Promise<SessionView> {
  const now = deps.clock.now();
  if (session.status !== 'created') {
    const existing = await currentPayment(tx, session);
    throw stateError(`session ${session.id} cannot start a payment: it is ${session.status}${existing ? ` and ${describe(existing)}` : ''}`);
  }
  const normalized: PaymentParams = { ...given, ...(given.amount_details ? { amount_details: { amount: given.amount_details.amount, currency: normalizeCurrency(given.amount_details.currency) } } : {}) };
  const params = merge(session.params, await protectCardData(tx, deps, project.id, session.id, normalized, now));
  for (const field of ['payment_details', 'amount_details', 'customer'] as const) {
    if (params[field] === undefined) throw invalidRequest(`${field} is required (it was given neither to session/create nor here)`);
  }
  let details = params.payment_details as Record<string, unknown>;
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
    details = { type: 'card', card: { type: 'vault_card', vault_card: ref } };
    params.payment_details = details;
  }
  const card = details['card'] as { type?: string } | undefined;
  if (details['type'] !== 'card' || card?.type !== 'vault_card') {
    const kind = details['type'] === 'card' ? `card.type ${String(card?.type)}` : `type ${String(details['type'])}`;
    throw invalidRequest(`payment_details.${kind} is not supported by this server: pay with card.bank_card or card.encrypted_card`);
  }
  const options = (params.payment_options ?? null) as Record<string, unknown> | null;
  const payment: Payment = {
    id: deps.ids('pm'),
    sessionId: session.id,
    projectId: project.id,
    stage: 'prechecking',
    amount: params.amount_details!.amount,
    currency: params.amount_details!.currency,
    capturedAmount: 0,
    refundedAmount: 0,
    fee: 0,
    hold: options?.['hold'] === true,
    paymentDetails: details,
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
  };
  await insertPayment(tx, payment);
  // The session's stored parameters keep no security code: only the payment holds it, sealed.
  await updateSessionParams(tx, session.id, { ...params, payment_details: withoutSecurityCode(details) });
  await enqueueJob(tx, { kind: 'payment.precheck', payload: { paymentId: payment.id }, runAt: now, uniqueKey: jobKey(payment.id, 'precheck') }, now);
  return settleSession(tx, session, now);
}

export async function initPayment(tx: Tx, deps: PaymentDeps, project: Project, given: PaymentParams): Promise<SessionView> {
  const session = await createSession(tx, deps, project, {});
  return startPayment(tx, deps, project, session, given);
}

/** session/confirm: the partner lets a payment waiting in ready_to_confirm go to the issuer. */
export async function confirmPayment(tx: Tx, deps: PaymentDeps, project: Project, session: Session): Promise<SessionView | undefined> {
  const payment = await currentPayment(tx, session);
  if (!payment) return undefined;
  if (payment.stage !== 'awaiting_confirm') throw stateError(`session ${session.id} is not waiting for confirmation: ${describe(payment)}`);
  const now = deps.clock.now();
  await movePayment(tx, payment, 'authorizing', {}, now);
  await cancelJob(tx, jobKey(payment.id, 'confirm_timeout'));
  await enqueueJob(tx, { kind: 'payment.authorize', payload: { paymentId: payment.id }, runAt: now, uniqueKey: jobKey(payment.id, 'authorize') }, now);
  return settleSession(tx, session, now);
}

/**
 * session/cancel, while the partner is awaited: before confirmation the payment simply fails; a hold
 * is released through the processor (voiding) and fails when that is done. Either way the partner
 * hears payment_finished.
 */
export async function cancelPayment(tx: Tx, deps: PaymentDeps, project: Project, session: Session): Promise<SessionView | undefined> {
  const payment = await currentPayment(tx, session);
  if (!payment) return undefined;
  const now = deps.clock.now();
  if (payment.stage === 'awaiting_confirm') {
    await movePayment(tx, payment, 'failed', { error: { code: 'cancelled_by_partner', description: 'the partner cancelled the payment (session/cancel)' } }, now);
    await cancelJob(tx, jobKey(payment.id, 'confirm_timeout'));
    const view = await settleSession(tx, session, now);
    await enqueueWebhook(tx, deps, project, view, 'payment_finished', now);
    return view;
  }
  if (payment.stage === 'awaiting_capture') {
    await movePayment(tx, payment, 'voiding', {}, now);
    await cancelJob(tx, jobKey(payment.id, 'hold_expiry'));
    await enqueueJob(tx, { kind: 'payment.void', payload: { paymentId: payment.id, reason: 'cancelled_by_partner' }, runAt: now, uniqueKey: jobKey(payment.id, 'void') }, now);
    return settleSession(tx, session, now);
  }
  throw stateError(`session ${session.id} cannot be cancelled now: ${describe(payment)}`);
}

function checkAmount(given: { amount: number; currency: string } | undefined, currency: string, limit: number, what: string): number {
  if (!given) return limit;
  const cur = normalizeCurrency(given.currency);
  if (cur !== currency) throw invalidRequest(`amount_details.currency ${cur} differs from the payment's currency ${currency}`);
  if (given.amount > limit) throw new ApiError('amount_exceeds_limit', `amount_details.amount ${given.amount} exceeds ${what} (${limit} ${currency})`);
  return given.amount;
}

/** session/capture: takes a hold in full, or in part (the rest is released). */
export async function capturePayment(tx: Tx, deps: PaymentDeps, project: Project, session: Session, amount: { amount: number; currency: string } | undefined): Promise<SessionView> {
  const payment = await currentPayment(tx, session);
  if (!payment) throw stateError(`session ${session.id} has no payment to capture`);
  if (payment.stage !== 'awaiting_capture') throw stateError(`session ${session.id} is not waiting for capture: ${describe(payment)}`);
  const captureAmount = checkAmount(amount, payment.currency, payment.amount, 'the amount on hold');
  const now = deps.clock.now();
  await movePayment(tx, payment, 'capturing', { captureAmount }, now);
  await cancelJob(tx, jobKey(payment.id, 'hold_expiry'));
  await enqueueJob(tx, { kind: 'payment.capture', payload: { paymentId: payment.id }, runAt: now, uniqueKey: jobKey(payment.id, 'capture') }, now);
  return settleSession(tx, session, now);
}

/**
 * session/refund: the whole remaining amount when none is given; a part only when the project allows
 * partial refunds. Refunds in progress count against the limit, so concurrent refunds can never add
 * up to more than was captured.
 */
export async function refundPayment(
  tx: Tx,
  deps: PaymentDeps,
  project: Project,
  session: Session,
  input: { amount?: { amount: number; currency: string } | undefined; metadata?: unknown },
): Promise<SessionView> {
  const payment = (await listSessionPayments(tx, session.id)).filter((p) => p.stage === 'succeeded').at(-1);
  if (!payment) throw stateError(`session ${session.id} has no succeeded payment to refund`);
  const refunds = (await listSessionRefunds(tx, session.id)).filter((r) => r.paymentId === payment.id && (r.status === 'in_progress' || r.status === 'accepted'));
  const remaining = payment.capturedAmount - refunds.reduce((sum, r) => sum + r.amount, 0);
  if (remaining <= 0) throw new ApiError('amount_exceeds_limit', `payment ${payment.id} is already refunded in full`);
  const amount = checkAmount(input.amount, payment.currency, remaining, 'what can still be refunded');
  if (amount !== payment.capturedAmount && !project.allowPartialRefunds) {
    throw new ApiError('authorization_error', `partial refunds are not enabled for project "${project.name}"; omit amount_details to refund the payment in full`);
  }
  const now = deps.clock.now();
  const id = deps.ids('rf');
  await insertRefund(tx, {
    id,
    paymentId: payment.id,
    payoutId: null,
    sessionId: session.id,
    projectId: project.id,
    status: 'in_progress',
    amount,
    currency: payment.currency,
    isChargeback: false,
    metadata: input.metadata ?? null,
    error: null,
    createdAt: now,
    finishedAt: null,
  });
  await enqueueJob(tx, { kind: 'refund.process', payload: { refundId: id }, runAt: now, uniqueKey: `${id}:process` }, now);
  return settleSession(tx, session, now);
}

/** The hosted 3-D Secure page's answer: the payer confirmed or failed the challenge. */
export async function answerChallenge(tx: Tx, deps: PaymentDeps, payment: Payment, session: Session, result: 'confirmed' | 'failed'): Promise<void> {
  if (payment.stage !== 'awaiting_3ds') throw stateError(`this 3-D Secure step is over: ${describe(payment)}`);
  const now = deps.clock.now();
  await movePayment(tx, payment, 'completing_3ds', { tdsResult: result }, now);
  await cancelJob(tx, jobKey(payment.id, '3ds_timeout'));
  await enqueueJob(tx, { kind: 'payment.complete_3ds', payload: { paymentId: payment.id }, runAt: now, uniqueKey: jobKey(payment.id, 'complete_3ds') }, now);
  await settleSession(tx, session, now);
}

export const newTdsId = () => randomBytes(18).toString('base64url');

/** Payment details without the sealed security code (unchanged when there is none). */
export function withoutSecurityCode(details: Record<string, unknown>): Record<string, unknown> {
  const card = details['card'] as { type?: string; vault_card?: VaultCardRef } | undefined;
  if (card?.type !== 'vault_card' || !card.vault_card || card.vault_card.security_code_sealed === undefined) return details;
  const { security_code_sealed: _, ...ref } = card.vault_card;
  return { ...details, card: { type: 'vault_card', vault_card: ref } };
}
