import type { Queryable, Tx } from '../../platform/db/database.js';
import { jsonColumn } from '../../platform/db/json.js';
import { insertLater, updateLater } from '../../platform/db/write-behind.js';
import type { PaymentsTable } from '../../platform/db/schema.js';
import type { Selectable } from 'kysely';
import { reviveDates } from '../sessions/operation-kind.js';
import { operationErrorOf, type OperationError } from '../../kernel/operation-errors.js';
import type { SplitShare } from '../ledger/revenue-split.js';
import type { RecurrentToken } from '../tokens/public-token.repo.js';
import type { PaymentStage } from './payment.status.js';
import { sourceFromStored, sourceToStored, type PaymentSource } from './payment-source.js';

export interface TransactionInfo {
  readonly rrn?: string;
  readonly auth_code?: string;
  readonly fp_message_id?: string;
}

export interface Payment {
  readonly id: string;
  readonly sessionId: string;
  readonly projectId: string;
  readonly stage: PaymentStage;
  readonly amount: number;
  readonly currency: string;
  readonly capturedAmount: number;
  /** The acquiring fee, fixed at capture. */
  readonly fee: number;
  readonly hold: boolean;
  /** Where the money comes from (a typed union; the number itself stays in the vault). */
  readonly source: PaymentSource;
  readonly customer: unknown;
  readonly participantDetails: unknown;
  readonly paymentOptions: Record<string, unknown> | null;
  readonly metadata: unknown;
  readonly cardChecked: boolean;
  /** The network's references (§6.12): rrn and auth_code for cards, fp_message_id for FPS. */
  readonly transactionInfo: TransactionInfo | null;
  readonly customerInteraction: Record<string, unknown> | null;
  readonly tdsId: string | null;
  readonly tdsResult: 'confirmed' | 'failed' | null;
  readonly captureAmount: number | null;
  readonly error: OperationError | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
  /** Charged with a recurrent token: merchant (MIT) or client (CIT) initiated. */
  readonly initiator: 'merchant' | 'client' | null;
  /** The recurrent token this payment earned (payment_options.recurrent), with its state. */
  readonly recurrent: RecurrentToken | null;
  /** Contractors' shares of the amount (split payment, §5.20), resolved at start. */
  readonly revenueSplit: readonly SplitShare[] | null;
}


type PaymentRow = Selectable<PaymentsTable> & { rt_created_at?: Date | null; rt_finished_at?: Date | null; rt_disabled_at?: Date | null; rt_card_id?: string | null };

function toPayment(r: PaymentRow): Payment {
  return {
    id: r.id,
    sessionId: r.session_id,
    projectId: String(r.project_id),
    stage: r.stage as PaymentStage,
    amount: Number(r.amount),
    currency: r.currency,
    capturedAmount: Number(r.captured_amount),
    fee: Number(r.fee),
    hold: r.hold,
    source: sourceFromStored(r.payment_details),
    customer: r.customer,
    participantDetails: r.participant_details,
    paymentOptions: r.payment_options as Record<string, unknown> | null,
    metadata: r.metadata,
    cardChecked: r.card_checked,
    transactionInfo: r.transaction_info as Payment['transactionInfo'],
    customerInteraction: r.customer_interaction as Record<string, unknown> | null,
    tdsId: r.tds_id,
    tdsResult: r.tds_result,
    captureAmount: r.capture_amount === null ? null : Number(r.capture_amount),
    error: operationErrorOf(r.error_code, r.error_description),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
    initiator: r.initiator,
    recurrent:
      r.recurrent_token && r.rt_created_at && r.rt_finished_at
        ? { token: r.recurrent_token, projectId: String(r.project_id), source: r.rt_card_id === null ? 'faster_payment_system' : 'card', cardId: r.rt_card_id ?? null, paymentId: r.id, createdAt: r.rt_created_at, finishedAt: r.rt_finished_at, disabledAt: r.rt_disabled_at ?? null }
        : null,
    revenueSplit: (r.revenue_split as SplitShare[] | null) ?? null,
  };
}

export async function insertPayment(tx: Tx, p: Payment): Promise<void> {
  await insertLater(tx, 'payments', {
    id: p.id,
    session_id: p.sessionId,
    project_id: p.projectId,
    stage: p.stage,
    amount: p.amount,
    currency: p.currency,
    hold: p.hold,
    payment_details: JSON.stringify(sourceToStored(p.source)),
    customer: jsonColumn(p.customer),
    participant_details: jsonColumn(p.participantDetails),
    payment_options: jsonColumn(p.paymentOptions),
    metadata: jsonColumn(p.metadata),
    initiator: p.initiator,
    revenue_split: jsonColumn(p.revenueSplit),
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  });
}

/** The fields a lifecycle step may change. `stage` moves only through payment.service's transition. */
export type PaymentPatch = { recurrentTokenId?: string } & Partial<
  Pick<Payment, 'stage' | 'capturedAmount' | 'fee' | 'source' | 'cardChecked' | 'transactionInfo' | 'customerInteraction' | 'tdsId' | 'tdsResult' | 'captureAmount' | 'error' | 'finishedAt'>
>;

export async function updatePayment(tx: Tx, id: string, patch: PaymentPatch, now: Date): Promise<void> {
  const set: Record<string, unknown> = { updated_at: now };
  if (patch.stage !== undefined) set['stage'] = patch.stage;
  if (patch.capturedAmount !== undefined) set['captured_amount'] = patch.capturedAmount;
  if (patch.fee !== undefined) set['fee'] = patch.fee;
  if (patch.recurrentTokenId !== undefined) set['recurrent_token'] = patch.recurrentTokenId;
  if (patch.source !== undefined) set['payment_details'] = JSON.stringify(sourceToStored(patch.source));
  if (patch.cardChecked !== undefined) set['card_checked'] = patch.cardChecked;
  if (patch.transactionInfo !== undefined) set['transaction_info'] = jsonColumn(patch.transactionInfo);
  if (patch.customerInteraction !== undefined) set['customer_interaction'] = jsonColumn(patch.customerInteraction);
  if (patch.tdsId !== undefined) set['tds_id'] = patch.tdsId;
  if (patch.tdsResult !== undefined) set['tds_result'] = patch.tdsResult;
  if (patch.captureAmount !== undefined) set['capture_amount'] = patch.captureAmount;
  if (patch.error !== undefined) {
    set['error_code'] = patch.error?.code ?? null;
    set['error_description'] = patch.error?.description ?? null;
  }
  if (patch.finishedAt !== undefined) set['finished_at'] = patch.finishedAt;
  await updateLater(tx, 'payments', id, set);
}

export async function findPayment(db: Queryable, id: string): Promise<Payment | undefined> {
  const row = await db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toPayment(row);
}

export async function findPaymentByTdsId(db: Queryable, tdsId: string): Promise<Payment | undefined> {
  const row = await db.selectFrom('payments').selectAll().where('tds_id', '=', tdsId).executeTakeFirst();
  return row && toPayment(row);
}

/** The rows listSessionPayments reads, `$1` the session: the payments' part of the session view's one statement (OperationKind.joint). */
export const SESSION_PAYMENTS_SQL =
  'SELECT p.*, rt.created_at AS rt_created_at, rt.finished_at AS rt_finished_at, rt.disabled_at AS rt_disabled_at, rt.card_id AS rt_card_id ' +
  'FROM payments p LEFT JOIN recurrent_tokens rt ON rt.token = p.recurrent_token WHERE p.session_id = $1';

/** A payment from its row as JSON (SESSION_PAYMENTS_SQL through json_agg). */
export function paymentFromJson(row: Record<string, unknown>): Payment {
  return toPayment(reviveDates(row, ['created_at', 'updated_at', 'finished_at', 'rt_created_at', 'rt_finished_at', 'rt_disabled_at']) as unknown as PaymentRow);
}

export async function listSessionPayments(db: Queryable, sessionId: string): Promise<Payment[]> {
  const rows = await db
    .selectFrom('payments')
    .leftJoin('recurrent_tokens as rt', 'rt.token', 'payments.recurrent_token')
    .selectAll('payments')
    .select(['rt.created_at as rt_created_at', 'rt.finished_at as rt_finished_at', 'rt.disabled_at as rt_disabled_at', 'rt.card_id as rt_card_id'])
    .where('payments.session_id', '=', sessionId)
    .orderBy('payments.created_at')
    .orderBy('payments.id')
    .execute();
  return rows.map(toPayment);
}
