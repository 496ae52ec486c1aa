import type { Tx } from '../../platform/db/database.js';
import { cancelJob, enqueueJob } from '../../platform/jobs/job.repo.js';
import { computeFee } from '../ledger/fees.js';
import { book } from '../ledger/ledger.service.js';
import type { Project } from '../projects/project.repo.js';
import type { ActionContext, ActionResult } from '../sessions/operation-kind.js';
import type { SessionDeps } from '../sessions/session-deps.js';
import { settleNewSession, settleSession, type SessionView } from '../sessions/session-view.js';
import type { Session, SessionParams } from '../sessions/session.repo.js';
import { assertTakesOperations, createSession } from '../sessions/session.service.js';
import type { ApiVersion } from '../../kernel/api-version.js';
import { normalizeCurrency } from '../../kernel/currencies.js';
import { ApiError, invalidRequest } from '../../kernel/errors.js';
import { transition } from '../../kernel/state-machine.js';
import { protectCardData } from '../tokens/card-params.js';
import { isValidRuMobilePhone } from './destination-checks.js';
import { checkPayoutDestination } from './destination.js';
import { isFpsBankId } from './fps-banks.js';
import { insertPayout, updatePayout, type Payout, type PayoutPatch } from './payout.repo.js';
import { railOf } from './rails.js';
import { checkFiscalization, type Fiscalization } from './fiscalization.js';
import { destinationFromParams } from './payout-destination.js';
import { PAYOUT_TRANSITIONS, payoutStatus, type PayoutStage } from './payout.status.js';

/**
 * The partner-facing half of payouts. As with payments: record, queue the job that talks to the
 * rail, answer at once. The money is real: confirming reserves amount plus fee from the project's
 * wallet in the same transaction (never below zero), and the reservation is either settled to the
 * rail or voided back to the wallet — never both, never lost.
 */
export type PayoutDeps = SessionDeps;

export const PAYOUT_CONFIRM_TIMEOUT_MS = 240 * 60_000;
export const payoutJobKey = (id: string, what: string) => `${id}:${what}`;

export async function movePayout(tx: Tx, payout: Payout, to: PayoutStage, patch: PayoutPatch, now: Date): Promise<Payout> {
  transition(PAYOUT_TRANSITIONS, payout.stage, to, `payout ${payout.id}`);
  const next = { ...patch, ...(to === 'succeeded' || to === 'failed' ? { finishedAt: now } : {}), stage: to };
  await updatePayout(tx, payout.id, next, now);
  return { ...payout, ...next, updatedAt: now };
}

/** A card session/create already vaulted is checked as the vault token it now is. */
function asCheckable(method: unknown): unknown {
  const m = method as { type?: string; card?: { type?: string; vault_card?: { number_hash: string } } } | undefined;
  if (m?.type === 'card' && m.card?.type === 'vault_card' && m.card.vault_card) {
    return { ...m, card: { type: 'encrypted_card', encrypted_card: { number_hash: m.card.vault_card.number_hash } } };
  }
  return method;
}

type PayoutParams = Pick<SessionParams, 'payment_method' | 'amount_details' | 'customer' | 'participant_details' | 'metadata'>;

/** Records a new payout in `checking` and queues the job that checks its destination. */
async function openPayout(
  tx: Tx,
  deps: PayoutDeps,
  project: Project,
  session: Session,
  now: Date,
  fields: Pick<Payout, 'amount' | 'currency' | 'fee' | 'rail' | 'destination' | 'customer' | 'participantDetails' | 'metadata'> & { fiscalization?: Fiscalization | undefined },
): Promise<Payout> {
  const payout: Payout = {
    ...fields,
    fiscalization: fields.fiscalization ?? null,
    id: deps.ids('po'),
    sessionId: session.id,
    projectId: project.id,
    stage: 'checking',
    transactionInfo: null,
    reserved: false,
    error: null,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
  };
  await insertPayout(tx, payout);
  await enqueueJob(tx, { kind: 'payout.check', payload: { payoutId: payout.id }, runAt: now, uniqueKey: payoutJobKey(payout.id, 'check') }, now);
  return payout;
}

/**
 * session/start/payout (and the second half of session/init/payout). With `fiscalization`, the
 * session/…/payout/fiscalization pair: the same payout, with the tax service asked before
 * ready_to_confirm and the income registered once paid (fiscalization.ts).
 */
export async function startPayout(
  tx: Tx,
  deps: PayoutDeps,
  project: Project,
  session: Session,
  given: PayoutParams,
  version: ApiVersion,
  fiscalization?: Fiscalization,
  /** The session was created in this transaction (init): it holds only this payout, so nothing is read back. */
  created = false,
): Promise<SessionView> {
  const now = deps.clock.now();
  assertTakesOperations(session, 'a payout');
  const field = version === 'v2' ? 'payout_details' : 'payment_method';
  const merged: SessionParams = { ...session.params };
  for (const [k, v] of Object.entries(given) as [keyof PayoutParams, unknown][]) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
  if (merged.payment_method === undefined) throw invalidRequest(`${field} is required (it was given neither to session/create nor here)`);
  if (merged.amount_details === undefined) throw invalidRequest('amount_details is required (it was given neither to session/create nor here)');
  checkPayoutDestination(asCheckable(merged.payment_method), merged.participant_details, field);
  const protectedParams = await protectCardData(tx, deps, project.id, null, { ...merged, payment_details: undefined }, now);
  const destination = destinationFromParams(protectedParams.payment_method);
  // A refusal here rolls the call's transaction back, the vaulted card with it.
  if (fiscalization) {
    checkFiscalization(fiscalization, {
      amount: merged.amount_details.amount,
      currency: normalizeCurrency(merged.amount_details.currency),
      rail: railOf(destination),
      recipientFullName: (merged.participant_details as { recipient?: { full_name?: unknown } } | undefined)?.recipient?.full_name,
    });
  }
  const amount = merged.amount_details.amount;
  const currency = normalizeCurrency(merged.amount_details.currency);
  const payout = await openPayout(tx, deps, project, session, now, {
    amount,
    currency,
    fee: computeFee(amount, project.fees.payout),
    rail: railOf(destination),
    destination,
    customer: merged.customer ?? null,
    participantDetails: merged.participant_details ?? null,
    metadata: merged.metadata ?? null,
    fiscalization,
  });
  if (created) return settleNewSession(tx, deps.operations, session, [{ kind: 'payout', op: payout }], now);
  return settleSession(tx, deps.operations, session, now);
}

export async function initPayout(tx: Tx, deps: PayoutDeps, project: Project, given: PayoutParams, version: ApiVersion, fiscalization?: Fiscalization): Promise<SessionView> {
  // The session keeps what init was given but the destination (the payout holds that): the payouts
  // report reads its metadata, and a later start its defaults.
  const session = await createSession(tx, deps, project, { ...given, payment_method: undefined }, { apiVersion: version });
  return startPayout(tx, deps, project, session, given, version, fiscalization, true);
}

/**
 * Reserves amount plus fee and sends the payout on, or fails it with insufficient_funds. Used by
 * session/confirm and by auto-confirmation; returns the payout as it now is.
 */
export async function reserveAndSend(tx: Tx, deps: PayoutDeps, project: Project, payout: Payout, now: Date): Promise<Payout> {
  const total = payout.amount + payout.fee;
  const booked = await book(tx, {
    projectId: project.id,
    kind: 'payout_reserve',
    reference: payout.id,
    description: `reserve payout ${payout.id}`,
    currency: payout.currency,
    at: now,
    postings: [
      { account: 'wallet', amount: -total },
      { account: 'reserved', amount: total },
    ],
  });
  if (booked.kind === 'insufficient_funds') {
    return movePayout(
      tx,
      payout,
      'failed',
      {
        error: {
          code: 'insufficient_funds',
          description: `the ${payout.currency} wallet holds ${booked.available} and the payout needs ${total} (amount ${payout.amount} + fee ${payout.fee}); top it up and start a new payout`,
        },
      },
      now,
    );
  }
  const sending = await movePayout(tx, payout, 'sending', { reserved: true }, now);
  await enqueueJob(tx, { kind: 'payout.send', payload: { payoutId: payout.id }, runAt: now, uniqueKey: payoutJobKey(payout.id, 'send') }, now);
  return sending;
}

/** session/confirm on a payout waiting in ready_to_confirm: reserve and send, or fail for want of funds. */
export async function confirmPayout(c: ActionContext, payout: Payout): Promise<ActionResult<Payout>> {
  await cancelJob(c.tx, payoutJobKey(payout.id, 'confirm_timeout'));
  const op = await reserveAndSend(c.tx, c.deps, c.project, payout, c.now);
  return { op, event: op.stage === 'failed' ? 'payment_finished' : undefined };
}

/** session/cancel on a payout waiting in ready_to_confirm: it fails, and the partner hears payment_finished. */
export async function cancelPayout(c: ActionContext, payout: Payout): Promise<ActionResult<Payout>> {
  if (payout.stage !== 'awaiting_confirm') {
    throw new ApiError('invalid_session_state', `session ${payout.sessionId} cannot be cancelled now: its payout ${payout.id} is ${payoutStatus(payout.stage)}`);
  }
  const op = await movePayout(c.tx, payout, 'failed', { error: { code: 'cancelled_by_partner', description: 'the partner cancelled the payout (session/cancel)' } }, c.now);
  await cancelJob(c.tx, payoutJobKey(payout.id, 'confirm_timeout'));
  return { op, event: 'payment_finished' };
}

/**
 * fps/customer_verification (§5.16): is this phone registered with this bank in the Faster Payment
 * System? A free, auto-confirmed operation in the session's payout list: found → succeeded (session
 * accepted), not found → failed (session cancelled), with payment_finished either way.
 */
export async function startFpsVerification(
  tx: Tx,
  deps: PayoutDeps,
  project: Project,
  session: Session,
  body: { payment_method: unknown; participant_details: unknown },
): Promise<SessionView> {
  const method = body.payment_method as { type?: string; bank_account?: { system_type?: string } };
  if (method.type !== 'bank_account' || method.bank_account?.system_type !== 'faster_payment_system_verification') {
    throw invalidRequest('payment_method.bank_account.system_type must be faster_payment_system_verification');
  }
  const target = ((method.bank_account as Record<string, unknown>)['faster_payment_system_verification'] ?? {}) as { phone?: unknown; bank_id?: unknown };
  const field = 'payment_method.bank_account.faster_payment_system_verification';
  if (typeof target.phone !== 'string' || !isValidRuMobilePhone(target.phone)) throw invalidRequest(`${field}.phone must be a Russian mobile number like 79001234567`);
  if (typeof target.bank_id !== 'string' || !isFpsBankId(target.bank_id)) throw invalidRequest(`${field}.bank_id is not a bank of the Faster Payment System (see GET /api/v1/fps/banks)`);
  const recipient = (body.participant_details as { recipient?: Record<string, unknown> } | undefined)?.recipient;
  for (const name of ['first_name', 'last_name'] as const) {
    if (typeof recipient?.[name] !== 'string' || recipient[name] === '') throw invalidRequest(`participant_details.recipient.${name} is required`);
  }
  assertTakesOperations(session, 'a verification');
  const now = deps.clock.now();
  await openPayout(tx, deps, project, session, now, {
    amount: 0,
    currency: 'rub',
    fee: 0,
    rail: 'fps_verification',
    destination: destinationFromParams(body.payment_method),
    customer: null,
    participantDetails: body.participant_details,
    metadata: null,
  });
  return settleSession(tx, deps.operations, session, now);
}
