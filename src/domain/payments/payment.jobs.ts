import type { Db, Tx } from '../../platform/db/database.js';
import type { JobHandlers } from '../../platform/jobs/job-kinds.js';
import { enqueueJob, type Job } from '../../platform/jobs/job.repo.js';
import QRCode from 'qrcode';
import type { AuthorizeResult, CardProcessor, ProcessorCard } from './card-processor.port.js';
import type { PayerRail } from './payer-rail.port.js';
import type { Project } from '../projects/project.repo.js';
import { settleSession, type SessionView } from '../sessions/session-view.js';
import { lockedStep } from '../sessions/locked-step.js';
import type { Session } from '../sessions/session.repo.js';
import type { VaultCardRef } from '../tokens/card-params.js';
import { openSecurityCode, revealCardNumber } from '../tokens/vault.js';
import { computeFee } from '../ledger/fees.js';
import { book } from '../ledger/ledger.service.js';
import { issueRecurrentToken } from '../tokens/token.service.js';
import { findPayment, type Payment } from './payment.repo.js';
import { paymentOperations } from './payment.kind.js';
import { chargeBack } from './chargeback.js';
import { findRefund } from '../refunds/refund.repo.js';
import { moveRefund } from '../refunds/refund.service.js';
import type { SplitShare } from '../ledger/revenue-split.js';
import { CONFIRM_TIMEOUT_MS, PAYER_TIMEOUT_MS, THREE_DS_TIMEOUT_MS, answerPayer, jobKey, movePayment, newTdsId, type PaymentDeps } from './payment.service.js';
import { cardOf, payerRailOf, payerSourceOf, withoutSecurityCode as stripSecurityCode, type PayerSource } from './payment-source.js';
import type { PaymentStage } from './payment.status.js';
import { startSubscriptionFor } from '../subscriptions/subscription.service.js';

/** The payment jobs and their payloads: declared once, registered in the job registry below. */
interface PaymentJobPayloads {
  'payment.precheck': { paymentId: string };
  'payment.authorize': { paymentId: string };
  'payment.complete_3ds': { paymentId: string };
  'payment.capture': { paymentId: string };
  'payment.void': { paymentId: string; reason: 'cancelled_by_partner' | 'capture_timeout' };
  'payment.confirm_timeout': { paymentId: string };
  'payment.3ds_timeout': { paymentId: string };
  'payment.hold_expiry': { paymentId: string };
  /** The payer did not answer the FPS QR or the provider's page in time. */
  'payment.payer_timeout': { paymentId: string };
  /** sberpay/push: one push to the payer's phone (pushId keeps each push its own operation). */
  'payment.sberpay_push': { paymentId: string; phone: string; pushId: string };
  /** afterMs: how long after the capture the issuer takes the money back (test card 0259). */
  'payment.chargeback': { paymentId: string; afterMs?: number };
  'refund.process': { refundId: string };
}

declare module '../../platform/jobs/job-kinds.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface JobPayloads extends PaymentJobPayloads {}
}

export type PaymentJobKind = keyof PaymentJobPayloads;

/**
 * The processor-facing half of card acquiring, as jobs. Each job reads the payment, calls the
 * processor outside any transaction (with an operation id, so a repeat is harmless), then records
 * the result in one short transaction with the session locked, if the payment is still where the
 * job found it. A crash anywhere leaves either the job (which runs again, and the processor answers
 * as before) or the recorded result.
 */
export interface PaymentJobDeps extends PaymentDeps {
  readonly db: Db;
  readonly processor: CardProcessor;
  /** FPS, internet banking and wallets: the rails a payer approves on outside the card network. */
  readonly payerRails: PayerRail;
  readonly publicUrl: string;
}

interface Ctx {
  readonly tx: Tx;
  readonly payment: Payment;
  readonly session: Session;
  readonly project: Project;
  readonly now: Date;
  /** Settles the session from what the step read under the lock, with the payment as it now is (locked-step.ts). */
  readonly settle: (moved: Payment) => Promise<SessionView>;
  /** Runs `fn` just before COMMIT: ledger bookings, so their row locks are held the shortest time. */
  readonly atEnd: (fn: () => Promise<unknown>) => void;
}

/**
 * Runs `fn` with the session locked, if the payment is still at one of `stages`. Given the payment as
 * the job read it before calling out (not only its id), that names the session to lock without a
 * read; the payment is read again under the lock either way.
 */
function step(deps: PaymentJobDeps, job: Pick<Job, 'finish'>, payment: Payment | string, stages: readonly PaymentStage[], fn: (ctx: Ctx) => Promise<void>): Promise<void> {
  const id = typeof payment === 'string' ? payment : payment.id;
  const before = typeof payment === 'string' ? undefined : payment;
  // Every handler's step is its last action: it ends the job with its own writes.
  return lockedStep(deps, { kind: paymentOperations, id, before, load: (q) => findPayment(q, id), finish: job.finish }, stages, ({ op, view: _view, ...rest }) => fn({ ...rest, payment: op }));
}

/** Moves the payment and settles its session from the step's view: no second read of the session. */
async function moveAndSettle(c: Ctx, to: PaymentStage, patch: Parameters<typeof movePayment>[3]): Promise<SessionView> {
  return c.settle(await movePayment(c.tx, c.payment, to, patch, c.now));
}

/** The card a payment charges (payer sources and FPS bindings never get here). */
function vaultRef(p: Payment): VaultCardRef {
  const card = cardOf(p.source);
  if (!card) throw new Error(`payment ${p.id} has no card to charge`);
  return card;
}

async function processorCard(deps: PaymentJobDeps, p: Payment): Promise<ProcessorCard> {
  const ref = vaultRef(p);
  return {
    number: await revealCardNumber(deps.db, deps.keyring, p.projectId, ref.card_id),
    expirationMonth: ref.expiration_month,
    expirationYear: ref.expiration_year,
    securityCode: ref.security_code_sealed ? openSecurityCode(deps.keyring, p.sessionId, ref.security_code_sealed) : undefined,
  };
}

/** The security code is kept only until the issuer has seen it. */
const withoutSecurityCode = (p: Payment) => stripSecurityCode(p.source);

/**
 * Ends the payment. A success books the capture in the ledger in the same transaction: the card
 * network owes the gross amount, the partner is owed it less the project's acquiring fee.
 */
async function finish(deps: PaymentJobDeps, c: Ctx, to: 'succeeded' | 'failed' | 'error', patch: Parameters<typeof movePayment>[3]): Promise<void> {
  if (to === 'succeeded') {
    const gross = patch.capturedAmount ?? c.payment.amount;
    const fee = Math.min(gross, computeFee(gross, c.project.fees.payment));
    const shares = c.payment.revenueSplit ?? [];
    const toContractors = shares.reduce((sum, share) => sum + share.amount, 0);
    // Booked last: the project's ledger rows stay locked only from here to COMMIT (every capture of
    // the project takes them).
    c.atEnd(() =>
      book(c.tx, {
        projectId: c.project.id,
        kind: 'capture',
        reference: c.payment.id,
        description: `capture of payment ${c.payment.id}`,
        currency: c.payment.currency,
        at: c.now,
        postings: [
          { account: 'external_card_network', amount: -gross },
          { account: 'acquiring_settlement', amount: gross - fee - toContractors },
          ...shares.map((share) => ({ account: 'contractor_settlement' as const, holder: share.contractorAlias, amount: share.amount })),
          { account: 'fees', amount: fee },
        ],
      }),
    );
    patch = { ...patch, capturedAmount: gross, fee };
    if (c.payment.paymentOptions?.['recurrent'] === true && !c.payment.initiator) {
      // A card is saved in the vault; an FPS payment binds the payer's SBP account (no card).
      const ref = c.payment.source.type === 'faster_payment_system' ? undefined : vaultRef(c.payment);
      const token = await issueRecurrentToken(c.tx, {
        projectId: c.project.id,
        cardId: ref?.card_id ?? null,
        paymentId: c.payment.id,
        now: c.now,
        cardExpiry: { ...(ref?.expiration_month ? { month: ref.expiration_month } : {}), ...(ref?.expiration_year ? { year: ref.expiration_year } : {}) },
      });
      patch = { ...patch, recurrentTokenId: token.token };
    }
  }
  const moved = await movePayment(c.tx, c.payment, to, patch, c.now);
  if (to === 'succeeded') await startSubscriptionFor(c.tx, c.payment, c.now); // payment_options.subscription (domain/subscriptions)
  // A new recurrent token is rendered from its own row, and a new subscription is echoed into the
  // payment's options: re-read the session then.
  const reread = patch.recurrentTokenId !== undefined || (to === 'succeeded' && c.payment.paymentOptions?.['subscription'] !== undefined);
  const view = reread ? await settleSession(c.tx, deps.operations, c.session, c.now) : await c.settle(moved);
  await deps.events.emit(c.tx, c.project, view, 'payment_finished', c.now);
}

/**
 * What the payer is shown for a payer source: an FPS payment's QR (content: the deeplink the bank app
 * opens, here the sandbox bank app; img: that link as a PNG QR code, a data: URL), or a redirect to
 * the provider's page. `pageId` names the hosted page (kept in tds_id, as the 3-D Secure page's is).
 */
async function payerInteraction(deps: PaymentJobDeps, source: PayerSource, pageId: string): Promise<Record<string, unknown>> {
  if (source.type === 'faster_payment_system') {
    const content = `${deps.publicUrl}/sandbox/fps/${pageId}`;
    const img = await QRCode.toDataURL(content, { errorCorrectionLevel: 'M', margin: 2, width: 256 });
    return { type: 'inform', inform: { type: 'qr', qr: { content, img } } };
  }
  const url = `${deps.publicUrl}/sandbox/provider/${pageId}`;
  return { type: 'redirect', redirect: { url, base_url: url, method: 'GET', qs: {}, params: {} } };
}

/** The rail registered the payment: the payer must act (action_required), within PAYER_TIMEOUT_MS. */
async function awaitPayer(deps: PaymentJobDeps, c: Ctx, pageId: string, interaction: Record<string, unknown>, reference: string): Promise<void> {
  const transactionInfo = c.payment.source.type === 'faster_payment_system' ? { fp_message_id: reference } : null;
  const view = await moveAndSettle(c, 'awaiting_3ds', { tdsId: pageId, customerInteraction: interaction, ...(transactionInfo ? { transactionInfo } : {}) });
  await deps.events.emit(c.tx, c.project, view, 'action_required', c.now);
  const at = new Date(c.now.getTime() + PAYER_TIMEOUT_MS);
  await enqueueJob(c.tx, { kind: 'payment.payer_timeout', payload: { paymentId: c.payment.id }, runAt: at, uniqueKey: jobKey(c.payment.id, 'payer_timeout') }, c.now);
}

/** Applies an issuer's answer (from authorize or from the 3-D Secure completion). */
async function applyAuthorization(deps: PaymentJobDeps, c: Ctx, result: AuthorizeResult): Promise<void> {
  const details = withoutSecurityCode(c.payment);
  if (result.kind === 'declined' || result.kind === 'error') {
    // An error is not final (§3.4): the money may be held on the payer's card, so nothing is booked
    // and the session shows `error` until support resolves it.
    await finish(deps, c, result.kind === 'error' ? 'error' : 'failed', { source: details, cardChecked: true, error: { code: result.code, description: result.description } });
    return;
  }
  if (result.kind === 'challenge') {
    const tdsId = newTdsId();
    const url = `${deps.publicUrl}/3ds/${tdsId}`;
    const interaction = { type: 'redirect', redirect: { url, base_url: url, method: 'GET', qs: {}, params: {} } };
    const challengeInfo = result.rrn ? { transactionInfo: { rrn: result.rrn } } : {};
    const view = await moveAndSettle(c, 'awaiting_3ds', { source: details, cardChecked: true, tdsId, customerInteraction: interaction, ...challengeInfo });
    await deps.events.emit(c.tx, c.project, view, 'action_required', c.now);
    await enqueueJob(c.tx, { kind: 'payment.3ds_timeout', payload: { paymentId: c.payment.id }, runAt: new Date(c.now.getTime() + THREE_DS_TIMEOUT_MS), uniqueKey: jobKey(c.payment.id, '3ds_timeout') }, c.now);
    return;
  }
  const transactionInfo = { rrn: result.rrn, auth_code: result.authCode };
  if (c.payment.hold) {
    const view = await moveAndSettle(c, 'awaiting_capture', { source: details, cardChecked: true, transactionInfo });
    await deps.events.emit(c.tx, c.project, view, 'ready_to_capture', c.now);
    const expiry = new Date(c.now.getTime() + c.project.holdPeriodSeconds * 1000);
    await enqueueJob(c.tx, { kind: 'payment.hold_expiry', payload: { paymentId: c.payment.id }, runAt: expiry, uniqueKey: jobKey(c.payment.id, 'hold_expiry') }, c.now);
  } else {
    await finish(deps, c, 'succeeded', { source: details, cardChecked: true, transactionInfo, capturedAmount: c.payment.amount });
  }
  if (result.chargebackAfterMs !== undefined) {
    const at = new Date(c.now.getTime() + result.chargebackAfterMs);
    await enqueueJob(c.tx, { kind: 'payment.chargeback', payload: { paymentId: c.payment.id, afterMs: result.chargebackAfterMs }, runAt: at, uniqueKey: jobKey(c.payment.id, 'chargeback') }, c.now);
  }
}

/**
 * Money given back to the card: the partner's acquiring settlement pays it to the card network, and
 * on a split payment each contractor gives back its share of it.
 */
async function bookRefund(c: Ctx, reference: string, amount: number, kind: 'refund' | 'chargeback', shares: readonly SplitShare[] | null): Promise<void> {
  const fromContractors = (shares ?? []).reduce((sum, share) => sum + share.amount, 0);
  await book(c.tx, {
    projectId: c.project.id,
    kind,
    reference,
    description: `${kind} of payment ${c.payment.id}`,
    currency: c.payment.currency,
    at: c.now,
    postings: [
      { account: 'acquiring_settlement', amount: -(amount - fromContractors) },
      ...(shares ?? []).map((share) => ({ account: 'contractor_settlement' as const, holder: share.contractorAlias, amount: -share.amount })),
      { account: 'external_card_network', amount },
    ],
  });
}

export function paymentJobHandlers(deps: PaymentJobDeps): JobHandlers<PaymentJobKind> {
  return {
    async 'payment.precheck'(job) {
      const payment = await findPayment(deps.db, job.payload.paymentId);
      if (!payment || payment.stage !== 'prechecking') return;
      // A payer source (or an FPS binding) has no card to look at: the rail sees the payment at authorize.
      const result = payerRailOf(payment.source) ? { kind: 'ok' as const } : await deps.processor.precheck({ operationId: jobKey(payment.id, 'precheck'), card: await processorCard(deps, payment) });
      await step(deps, job, payment, ['prechecking'], async (c) => {
        if (result.kind === 'declined') return finish(deps, c, 'failed', { cardChecked: true, source: withoutSecurityCode(c.payment), error: { code: result.code, description: result.description } });
        if (c.project.autoConfirm) {
          await moveAndSettle(c, 'authorizing', { cardChecked: true });
          await enqueueJob(c.tx, { kind: 'payment.authorize', payload: { paymentId: c.payment.id }, runAt: c.now, uniqueKey: jobKey(c.payment.id, 'authorize') }, c.now);
          return;
        }
        const view = await moveAndSettle(c, 'awaiting_confirm', { cardChecked: true });
        await deps.events.emit(c.tx, c.project, view, 'ready_to_confirm', c.now);
        const at = new Date(c.now.getTime() + CONFIRM_TIMEOUT_MS);
        await enqueueJob(c.tx, { kind: 'payment.confirm_timeout', payload: { paymentId: c.payment.id }, runAt: at, uniqueKey: jobKey(c.payment.id, 'confirm_timeout') }, c.now);
      });
    },

    async 'payment.authorize'(job) {
      const payment = await findPayment(deps.db, job.payload.paymentId);
      if (!payment || payment.stage !== 'authorizing') return;
      if (payment.source.type === 'fps_binding') {
        const charged = await deps.payerRails.chargeBinding({ operationId: jobKey(payment.id, 'charge'), token: payment.source.token, amount: payment.amount, currency: payment.currency });
        await step(deps, job, payment, ['authorizing'], (c) =>
          charged.kind === 'declined'
            ? finish(deps, c, 'failed', { error: { code: charged.code, description: charged.description } })
            : finish(deps, c, 'succeeded', { capturedAmount: c.payment.amount, transactionInfo: { fp_message_id: charged.reference } }),
        );
        return;
      }
      const payer = payerSourceOf(payment.source);
      if (payer) {
        const opened = await deps.payerRails.open({ operationId: jobKey(payment.id, 'open'), source: payer, amount: payment.amount, currency: payment.currency, now: deps.clock.now() });
        const pageId = newTdsId();
        const interaction = opened.kind === 'opened' ? await payerInteraction(deps, payer, pageId) : undefined;
        await step(deps, job, payment, ['authorizing'], (c) =>
          opened.kind === 'declined'
            ? finish(deps, c, 'failed', { error: { code: opened.code, description: opened.description } })
            : awaitPayer(deps, c, pageId, interaction!, opened.reference),
        );
        return;
      }
      const result = await deps.processor.authorize({
        operationId: jobKey(payment.id, 'authorize'),
        card: await processorCard(deps, payment),
        amount: payment.amount,
        currency: payment.currency,
        capture: !payment.hold,
        now: deps.clock.now(),
        initiator: payment.initiator ?? undefined,
      });
      await step(deps, job, payment, ['authorizing'], (c) => applyAuthorization(deps, c, result));
    },

    async 'payment.complete_3ds'(job) {
      const payment = await findPayment(deps.db, job.payload.paymentId);
      if (!payment || payment.stage !== 'completing_3ds') return;
      const payer = payerSourceOf(payment.source);
      if (payer) {
        const paid = await deps.payerRails.complete({ operationId: jobKey(payment.id, 'complete'), source: payer, approved: payment.tdsResult === 'confirmed' });
        await step(deps, job, payment, ['completing_3ds'], (c) => {
          if (paid.kind === 'declined') return finish(deps, c, 'failed', { customerInteraction: null, error: { code: paid.code, description: paid.description } });
          const info = payer.type === 'faster_payment_system' ? { fp_message_id: c.payment.transactionInfo?.fp_message_id ?? paid.reference } : null;
          return finish(deps, c, 'succeeded', { customerInteraction: null, capturedAmount: c.payment.amount, ...(info ? { transactionInfo: info } : {}) });
        });
        return;
      }
      const result = await deps.processor.completeChallenge({
        operationId: jobKey(payment.id, '3ds'),
        card: await processorCard(deps, payment),
        confirmed: payment.tdsResult === 'confirmed',
        capture: !payment.hold,
      });
      await step(deps, job, payment, ['completing_3ds'], (c) => applyAuthorization(deps, c, result));
    },

    async 'payment.capture'(job) {
      const payment = await findPayment(deps.db, job.payload.paymentId);
      if (!payment || payment.stage !== 'capturing') return;
      const amount = payment.captureAmount ?? payment.amount;
      const result = await deps.processor.capture({ operationId: jobKey(payment.id, 'capture'), amount });
      await step(deps, job, payment, ['capturing'], (c) =>
        result.kind === 'captured'
          ? finish(deps, c, 'succeeded', { capturedAmount: amount })
          : finish(deps, c, 'failed', { error: { code: result.code, description: result.description } }),
      );
    },

    async 'payment.void'(job) {
      const { reason } = job.payload;
      const payment = await findPayment(deps.db, job.payload.paymentId);
      if (!payment || payment.stage !== 'voiding') return;
      await deps.processor.void({ operationId: jobKey(payment.id, 'void') });
      await step(deps, job, payment, ['voiding'], (c) =>
        finish(deps, c, 'failed', {
          error: {
            code: reason,
            description:
              reason === 'capture_timeout'
                ? `the hold was not captured within ${c.project.holdPeriodSeconds} seconds and was released`
                : 'the partner cancelled the payment (session/cancel); the hold was released',
          },
        }),
      );
    },

    async 'payment.confirm_timeout'(job) {
      await step(deps, job, job.payload.paymentId, ['awaiting_confirm'], (c) =>
        finish(deps, c, 'failed', { error: { code: 'confirm_timeout', description: 'session/confirm did not come within 240 minutes of ready_to_confirm' } }),
      );
    },

    async 'payment.3ds_timeout'(job) {
      await step(deps, job, job.payload.paymentId, ['awaiting_3ds'], (c) =>
        finish(deps, c, 'failed', { customerInteraction: null, error: { code: '3DS_timeout', description: 'the payer did not complete 3-D Secure within 60 minutes' } }),
      );
    },

    async 'payment.payer_timeout'(job) {
      await step(deps, job, job.payload.paymentId, ['awaiting_3ds'], (c) =>
        finish(deps, c, 'failed', {
          customerInteraction: null,
          error: {
            code: 'customer_interaction_timeout',
            description: `the payer did not ${c.payment.source.type === 'faster_payment_system' ? 'pay the FPS QR' : 'answer on the provider page'} within ${PAYER_TIMEOUT_MS / 60_000} minutes`,
          },
        }),
      );
    },

    async 'payment.sberpay_push'(job) {
      const { paymentId, phone, pushId } = job.payload;
      const payment = await findPayment(deps.db, paymentId);
      if (!payment || payment.stage !== 'awaiting_3ds') return;
      const answer = await deps.payerRails.push({ operationId: jobKey(paymentId, `push:${pushId}`), phone });
      await step(deps, job, payment, ['awaiting_3ds'], (c) => answerPayer(c.tx, deps, c.payment, c.session, answer.approved));
    },

    async 'payment.hold_expiry'(job) {
      await step(deps, job, job.payload.paymentId, ['awaiting_capture'], async (c) => {
        await moveAndSettle(c, 'voiding', {});
        await enqueueJob(c.tx, { kind: 'payment.void', payload: { paymentId: c.payment.id, reason: 'capture_timeout' }, runAt: c.now, uniqueKey: jobKey(c.payment.id, 'void') }, c.now);
      });
    },

    async 'refund.process'(job) {
      const { refundId } = job.payload;
      const refund = await findRefund(deps.db, refundId);
      if (!refund || refund.status !== 'in_progress' || !refund.paymentId) return;
      const paidBy = await findPayment(deps.db, refund.paymentId);
      const payer = paidBy ? payerRailOf(paidBy.source) : undefined;
      // An FPS / provider payment is refunded through its rail, a card payment through the card processor.
      const result = payer ? await deps.payerRails.refund({ operationId: refund.id, source: payer, amount: refund.amount }) : await deps.processor.refund({ operationId: refund.id, amount: refund.amount });
      await step(deps, job, refund.paymentId, ['succeeded'], async (c) => {
        const current = await findRefund(c.tx, refund.id);
        if (!current || current.status !== 'in_progress') return;
        if (result.kind === 'refunded') {
          await moveRefund(c.tx, current, 'accepted', c.now);
          await bookRefund(c, refund.id, refund.amount, 'refund', current.revenueSplit);
        } else {
          await moveRefund(c.tx, current, result.kind === 'declined' ? 'declined' : 'error', c.now, { code: result.code, description: result.description });
        }
        const view = await settleSession(c.tx, deps.operations, c.session, c.now);
        await deps.events.emit(c.tx, c.project, view, 'payment_refunded', c.now);
      });
    },

    /** Sandbox card 4000 0000 0000 0259: the issuer takes the money back a clock-day later. */
    async 'payment.chargeback'(job) {
      const { afterMs } = job.payload;
      const delay = afterMs ?? 86_400_000;
      // A hold captured later is charged back a clock-day after its capture: wait for it.
      await step(deps, job, job.payload.paymentId, ['awaiting_capture', 'capturing', 'succeeded'], async (c) => {
        const due = c.payment.stage === 'succeeded' && c.payment.finishedAt ? new Date(c.payment.finishedAt.getTime() + delay) : new Date(c.now.getTime() + delay);
        if (due > c.now) {
          await enqueueJob(c.tx, { kind: 'payment.chargeback', payload: { paymentId: c.payment.id, afterMs: delay }, runAt: due, uniqueKey: `${jobKey(c.payment.id, 'chargeback')}:${due.toISOString()}` }, c.now);
          return;
        }
        await chargeBack(c.tx, deps, c);
      });
    },
  };
}
