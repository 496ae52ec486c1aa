import type { ApiVersion } from '../../kernel/api-version.js';
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
import { settleNewSession, settleSession, type SessionView } from '../sessions/session-view.js';
import type { Session, SessionParams } from '../sessions/session.repo.js';
import { assertTakesOperations, createSession } from '../sessions/session.service.js';
import { normalizeCurrency } from '../../kernel/currencies.js';
import { ApiError, invalidRequest } from '../../kernel/errors.js';
import type { Money } from '../../kernel/money.js';
import { transition } from '../../kernel/state-machine.js';
import { protectCardData, type VaultCardRef } from '../tokens/card-params.js';
import { usableRecurrentToken } from '../tokens/token.service.js';
import { findCardById, sealSecurityCode, storeCard } from '../tokens/vault.js';
import type { WalletTokenDecrypter } from './card-processor.port.js';
import { assertSupportedSource, cardOf, directSource, payerRailOf, payerSourceOf, unsupportedSourceProblem, withoutSecurityCode, type CardWallet, type PaymentSource } from './payment-source.js';
import { insertPayment, listSessionPayments, updatePayment, type Payment, type PaymentPatch } from './payment.repo.js';
import { PAYMENT_TRANSITIONS, paymentStatus, type PaymentStage } from './payment.status.js';

/**
 * The partner-facing half of card acquiring: each function runs inside the API call's transaction
 * with the session row locked, records what the partner asked for, queues the job that talks to the
 * processor, and returns the session to answer with. Processing is asynchronous, as in the real
 * service: results arrive as webhooks and through session/status. A session may hold several
 * payments (and payouts) at once; each has its own lifecycle, jobs and timeouts.
 */
export interface PaymentDeps extends SessionDeps {
  /** Opens wallet tokens (tokenized_card, Google Pay, Apple Pay); without one, such payments are refused. */
  readonly walletTokens?: WalletTokenDecrypter | undefined;
}

export const CONFIRM_TIMEOUT_MS = 240 * 60_000;
export const THREE_DS_TIMEOUT_MS = 60 * 60_000;
/** How long the payer has to answer an FPS QR or a provider's page after action_required (§7.4: 60 minutes). */
export const PAYER_TIMEOUT_MS = 60 * 60_000;

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
  if (payment.stage === 'error') return `payment ${payment.id} is in error (support resolves it)`;
  return `payment ${payment.id} is ${paymentStatus(payment.stage)}${payment.stage === 'awaiting_3ds' ? ` (waiting for the payer ${waitingWhere(payment.source)})` : ''}`;
}

function waitingWhere(source: PaymentSource): string {
  const payer = payerSourceOf(source);
  if (!payer) return 'on 3-D Secure';
  return payer.type === 'faster_payment_system' ? 'to pay the FPS QR in a bank app' : `on the ${payer.provider} page`;
}

type Json = Record<string, unknown>;

/** A wallet token opened by the decrypter, its card vaulted: a card from here on, but echoed as what it came as. */
async function walletCard(tx: Tx, deps: PaymentDeps, project: Project, wallet: CardWallet, token: string, field: string, now: Date): Promise<PaymentSource> {
  const card = deps.walletTokens?.decrypt(wallet, token);
  if (!card) throw invalidRequest(`${field} cannot be opened: it is not one of the sandbox's test tokens (docs/test-cards.md)`);
  const stored = await storeCard(tx, deps, project.id, card.number, now, { month: card.expirationMonth, year: card.expirationYear });
  return {
    type: 'wallet_card',
    wallet,
    card: { card_id: stored.cardId, number_hash: stored.numberHash, brand: stored.brand, bin: stored.bin, last4: stored.last4, expiration_month: card.expirationMonth, expiration_year: card.expirationYear },
  };
}

/**
 * The payment_details of a start (after domain/tokens vaulted card data) as a source. What the
 * server cannot charge was refused by the request schema with the same sentence as here
 * (unsupportedSourceProblem); a start re-checks, since it may use what session/create stored.
 */
async function resolveSource(tx: Tx, deps: PaymentDeps, project: Project, session: Session, params: SessionParams, now: Date): Promise<PaymentSource> {
  assertSupportedSource(params.payment_details);
  const details = params.payment_details as Json;
  if (details['type'] === 'recurrent') {
    // A saved card charged again (§8): MIT without the payer, CIT with the payer and 3-D Secure.
    const r = details['recurrent'] as { token: string; initiator?: 'merchant' | 'client'; security_code?: string };
    const initiator = r.initiator ?? 'merchant';
    if (initiator === 'client' && typeof (params.payment_options as { return_url?: unknown } | undefined)?.return_url !== 'string') {
      throw invalidRequest('payment_options.return_url is required for a client-initiated recurrent payment (the payer passes 3-D Secure)');
    }
    const token = await usableRecurrentToken(tx, project.id, r.token, now);
    if (token.cardId === null) {
      // An FPS binding: the merchant charges the bound SBP account; there is no payer step to ask for.
      if (initiator === 'client') throw invalidRequest('payment_details.recurrent.initiator must be "merchant" for an FPS binding: it is charged without the payer');
      return { type: 'fps_binding', token: r.token };
    }
    const card = await findCardById(tx, project.id, token.cardId);
    if (!card) throw invalidRequest('payment_details.recurrent.token names a card that is no longer in the vault');
    const ref: VaultCardRef = { card_id: card.cardId, number_hash: card.numberHash, brand: card.brand, bin: card.bin, last4: card.last4 };
    if (card.expirationMonth) ref.expiration_month = card.expirationMonth;
    if (card.expirationYear) ref.expiration_year = card.expirationYear;
    if (r.security_code) ref.security_code_sealed = sealSecurityCode(deps.keyring, session.id, r.security_code);
    return { type: 'recurrent', token: r.token, initiator, card: ref };
  }
  const card = details['card'] as Json | undefined;
  if (details['type'] === 'card' && card?.['type'] === 'tokenized_card') {
    return walletCard(tx, deps, project, 'tokenized_card', String((card['tokenized_card'] as Json)['token']), 'payment_details.card.tokenized_card.token', now);
  }
  if (details['type'] === 'secured_card') {
    const secured = details['secured_card'] as Json;
    const wallet = secured['type'] as 'google_pay' | 'apple_pay';
    return walletCard(tx, deps, project, wallet, String((secured[wallet] as Json)['token']), `payment_details.secured_card.${wallet}.token`, now);
  }
  const source = directSource(details);
  if (!source) throw invalidRequest(unsupportedSourceProblem(details) ?? 'payment_details.card.type has an unsupported value');
  return source;
}

/** What a source cannot be combined with, and what a payer source needs. */
function checkSourceOptions(source: PaymentSource, params: SessionParams, currency: string): void {
  const payer = payerRailOf(source);
  if (!payer) return;
  const binding = source.type === 'fps_binding';
  const what = binding ? 'a charge of an FPS binding' : payer.type === 'faster_payment_system' ? 'a faster_payment_system payment' : `an ${payer.type} ${payer.provider} payment`;
  const options = (params.payment_options ?? {}) as Json;
  if (options['hold'] === true) throw invalidRequest(`payment_options.hold is for card payments only: ${what} is taken at once`);
  // An FPS payment may bind the payer's account (§8, "FPS recurring binding"); nothing else issues a token here.
  if (options['recurrent'] === true && (binding || payer.type !== 'faster_payment_system')) {
    throw invalidRequest(`payment_options.recurrent is for card and FPS payments only: ${what} issues no recurrent token`);
  }
  if (options['subscription'] !== undefined) throw invalidRequest(`payment_options.subscription is for card payments only: ${what} cannot be charged again on a schedule`);
  if (payer.type === 'faster_payment_system' && currency.toUpperCase() !== 'RUB') {
    throw invalidRequest(`amount_details.currency must be RUB for a faster_payment_system payment (it is ${currency.toUpperCase()})`);
  }
}

export type PaymentParams = Pick<SessionParams, 'payment_details' | 'amount_details' | 'customer' | 'participant_details' | 'payment_options' | 'metadata' | 'revenue_split_info'>;

/** What a start was given, over the defaults session/create stored (the session's own params never change). */
function merge(stored: SessionParams, given: PaymentParams): SessionParams {
  const out: SessionParams = { ...stored };
  for (const [k, v] of Object.entries(given) as [keyof PaymentParams, unknown][]) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * session/start/payment (and the second half of session/init/payment, for which `created` says the
 * session was created in this transaction: it holds only this payment, so nothing is read back).
 */
export async function startPayment(tx: Tx, deps: PaymentDeps, project: Project, session: Session, given: PaymentParams, created = false): Promise<SessionView> {
  const now = deps.clock.now();
  assertTakesOperations(session, 'a payment');
  const normalized: PaymentParams = { ...given, ...(given.amount_details ? { amount_details: { amount: given.amount_details.amount, currency: normalizeCurrency(given.amount_details.currency) } } : {}) };
  const params = merge(session.params, await protectCardData(tx, deps, project.id, session.id, normalized, now));
  for (const field of ['payment_details', 'amount_details', 'customer'] as const) {
    if (params[field] === undefined) throw invalidRequest(`${field} is required (it was given neither to session/create nor here)`);
  }
  const source = await resolveSource(tx, deps, project, session, params, now);
  const initiator = source.type === 'recurrent' ? source.initiator : source.type === 'fps_binding' ? 'merchant' : null;
  const options = (params.payment_options ?? null) as Record<string, unknown> | null;
  const amount = params.amount_details!.amount;
  const currency = normalizeCurrency(params.amount_details!.currency);
  checkSourceOptions(source, params, currency);
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
    hold: options?.['hold'] === true || (project.captureMode === 'manual' && cardOf(source) !== undefined),
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
  if (created) return settleNewSession(tx, deps.operations, session, [{ kind: 'payment', op: payment }], now);
  return settleSession(tx, deps.operations, session, now);
}

export async function initPayment(tx: Tx, deps: PaymentDeps, project: Project, given: PaymentParams, apiVersion?: ApiVersion): Promise<SessionView> {
  // The session keeps what init was given but the card (the payment holds that), as defaults for a later start.
  // The session's webhooks are rendered in the API version it was created with (docs/decisions.md).
  const session = await createSession(tx, deps, project, { ...given, payment_details: undefined }, apiVersion ? { apiVersion } : undefined);
  return startPayment(tx, deps, project, session, given, true);
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
  // An FPS / provider page id is not a 3-D Secure step: only its own page answers it.
  if (payerSourceOf(payment.source)) throw new ApiError('not_found', 'no such 3-D Secure step');
  if (payment.stage !== 'awaiting_3ds') throw stateError(`this 3-D Secure step is over: its ${describePayment(payment)}`);
  await recordPayerAnswer(tx, deps, payment, session, result);
}

/** The payer answered (3-D Secure page, bank app, provider page): the processor or rail finishes the payment as a job. */
async function recordPayerAnswer(tx: Tx, deps: PaymentDeps, payment: Payment, session: Session, result: 'confirmed' | 'failed'): Promise<void> {
  const now = deps.clock.now();
  await movePayment(tx, payment, 'completing_3ds', { tdsResult: result }, now);
  await cancelJob(tx, jobKey(payment.id, '3ds_timeout'));
  await cancelJob(tx, jobKey(payment.id, 'payer_timeout'));
  await enqueueJob(tx, { kind: 'payment.complete_3ds', payload: { paymentId: payment.id }, runAt: now, uniqueKey: jobKey(payment.id, 'complete_3ds') }, now);
  await settleSession(tx, deps.operations, session, now);
}

export const newTdsId = () => randomBytes(18).toString('base64url');

/** The payer's answer in the sandbox bank app or on a provider's page (or in the SberPay app, after a push). */
export async function answerPayer(tx: Tx, deps: PaymentDeps, payment: Payment, session: Session, approved: boolean): Promise<void> {
  if (!payerSourceOf(payment.source)) throw new ApiError('not_found', 'no such payment page');
  if (payment.stage !== 'awaiting_3ds') throw stateError(`this payment page is no longer open: its ${describePayment(payment)}`);
  await recordPayerAnswer(tx, deps, payment, session, approved ? 'confirmed' : 'failed');
}

const PHONE = /^\+?\d{10,15}$/;

/**
 * sberpay/push (SDK SberPayApi): asks SberPay to push the session's waiting sber_pay payment to the
 * payer's phone. The push itself goes out as a job (never from inside the call's transaction); the
 * payer's answer in the app settles the payment as the provider page would.
 */
export async function pushSberPay(tx: Tx, deps: PaymentDeps, session: Session, phone: string): Promise<void> {
  if (!PHONE.test(phone)) throw invalidRequest('phone must be a phone number of 10 to 15 digits, optionally after a +');
  const payments = await listSessionPayments(tx, session.id);
  const sber = payments.filter((p) => p.source.type === 'internet_banking' && p.source.provider === 'sber_pay');
  if (sber.length === 0) throw stateError(`session ${session.id} has no internet_banking sber_pay payment`);
  const waiting = sber.find((p) => p.stage === 'awaiting_3ds');
  if (!waiting) throw stateError(`session ${session.id} has no sber_pay payment waiting for the payer: its ${describePayment(sber[sber.length - 1]!)}`);
  const now = deps.clock.now();
  const pushId = randomBytes(9).toString('base64url');
  await enqueueJob(tx, { kind: 'payment.sberpay_push', payload: { paymentId: waiting.id, phone, pushId }, runAt: now, uniqueKey: jobKey(waiting.id, `push:${pushId}`) }, now);
}
