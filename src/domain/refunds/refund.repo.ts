import type { Selectable } from 'kysely';
import { reviveDates } from '../sessions/operation-kind.js';
import type { Queryable, Tx } from '../../platform/db/database.js';
import { jsonColumn } from '../../platform/db/json.js';
import type { RefundsTable } from '../../platform/db/schema.js';
import { operationErrorOf, type OperationError } from '../../kernel/operation-errors.js';
import type { SplitShare } from '../ledger/revenue-split.js';
import type { RefundStatus } from './refund.status.js';

/** A refund of a payment, or (payoutId) a payout returned by the recipient's bank. */
export interface Refund {
  readonly id: string;
  readonly paymentId: string | null;
  readonly payoutId: string | null;
  readonly sessionId: string;
  readonly projectId: string;
  readonly status: RefundStatus;
  readonly amount: number;
  readonly currency: string;
  readonly isChargeback: boolean;
  readonly metadata: unknown;
  /** The payment's revenue split applied to this refund: each contractor gives back its share. */
  readonly revenueSplit: readonly SplitShare[] | null;
  readonly error: OperationError | null;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
}

function toRefund(r: Selectable<RefundsTable>): Refund {
  return {
    id: r.id,
    paymentId: r.payment_id,
    payoutId: r.payout_id,
    sessionId: r.session_id,
    projectId: String(r.project_id),
    status: r.status,
    amount: Number(r.amount),
    currency: r.currency,
    isChargeback: r.is_chargeback,
    metadata: r.metadata,
    revenueSplit: (r.revenue_split as SplitShare[] | null) ?? null,
    error: operationErrorOf(r.error_code, r.error_description),
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

/** The rows listSessionRefunds reads, `$1` the session: the refunds' part of the session view's one statement (OperationKind.joint). */
export const SESSION_REFUNDS_SQL = 'SELECT * FROM refunds WHERE session_id = $1';

/** A refund from its row as JSON (SESSION_REFUNDS_SQL through json_agg). */
export function refundFromJson(row: Record<string, unknown>): Refund {
  return toRefund(reviveDates(row, ['created_at', 'finished_at']) as unknown as Selectable<RefundsTable>);
}

export async function listSessionRefunds(db: Queryable, sessionId: string): Promise<Refund[]> {
  const rows = await db.selectFrom('refunds').selectAll().where('session_id', '=', sessionId).orderBy('created_at').orderBy('id').execute();
  return rows.map(toRefund);
}

export async function findRefund(db: Queryable, id: string): Promise<Refund | undefined> {
  const row = await db.selectFrom('refunds').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toRefund(row);
}

export async function insertRefund(tx: Tx, r: Refund): Promise<void> {
  await tx
    .insertInto('refunds')
    .values({
      id: r.id,
      payment_id: r.paymentId,
      payout_id: r.payoutId,
      session_id: r.sessionId,
      project_id: r.projectId,
      status: r.status,
      amount: r.amount,
      currency: r.currency,
      is_chargeback: r.isChargeback,
      metadata: jsonColumn(r.metadata),
      revenue_split: jsonColumn(r.revenueSplit),
      error_code: r.error?.code ?? null,
      error_description: r.error?.description ?? null,
      created_at: r.createdAt,
      finished_at: r.finishedAt,
    })
    .execute();
}

export async function updateRefund(tx: Tx, id: string, patch: { status: RefundStatus; error?: OperationError | null; finishedAt?: Date | null }): Promise<void> {
  await tx
    .updateTable('refunds')
    .set({
      status: patch.status,
      ...(patch.error !== undefined ? { error_code: patch.error?.code ?? null, error_description: patch.error?.description ?? null } : {}),
      ...(patch.finishedAt !== undefined ? { finished_at: patch.finishedAt } : {}),
    })
    .where('id', '=', id)
    .execute();
}
