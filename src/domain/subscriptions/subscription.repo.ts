import type { Selectable } from 'kysely';
import type { Queryable, Tx } from '../../platform/db/database.js';
import type { SubscriptionsTable } from '../../platform/db/schema.js';
import type { SubscriptionPeriod, SubscriptionStatus } from './subscription.status.js';

export interface Subscription {
  readonly id: string;
  readonly projectId: string;
  /** The payment that created it (the `initial` one). */
  readonly paymentId: string;
  readonly period: SubscriptionPeriod;
  readonly status: SubscriptionStatus;
  /** When the schedule starts: the first payment's success. */
  readonly anchorAt: Date;
  readonly nextPoint: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly cancelledAt: Date | null;
}

const toSubscription = (r: Selectable<SubscriptionsTable>): Subscription => ({
  id: r.id,
  projectId: String(r.project_id),
  paymentId: r.payment_id,
  period: r.period,
  status: r.status,
  anchorAt: r.anchor_at,
  nextPoint: r.next_point,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  cancelledAt: r.cancelled_at,
});

export async function insertSubscription(tx: Tx, s: Subscription): Promise<void> {
  await tx
    .insertInto('subscriptions')
    .values({
      id: s.id,
      project_id: s.projectId,
      payment_id: s.paymentId,
      period: s.period,
      status: s.status,
      anchor_at: s.anchorAt,
      next_point: s.nextPoint,
      created_at: s.createdAt,
      updated_at: s.updatedAt,
      cancelled_at: s.cancelledAt,
    })
    .execute();
}

/** The project's subscription, locked for the rest of the transaction; another project's is unknown. */
export async function lockSubscription(tx: Tx, projectId: string, id: string): Promise<Subscription | undefined> {
  const r = await tx.selectFrom('subscriptions').selectAll().where('project_id', '=', projectId).where('id', '=', id).forUpdate().executeTakeFirst();
  return r && toSubscription(r);
}

export async function findSubscriptionOfPayment(db: Queryable, paymentId: string): Promise<Subscription | undefined> {
  const r = await db.selectFrom('subscriptions').selectAll().where('payment_id', '=', paymentId).executeTakeFirst();
  return r && toSubscription(r);
}

export async function updateSubscription(tx: Tx, s: Subscription): Promise<void> {
  await tx
    .updateTable('subscriptions')
    .set({ status: s.status, next_point: s.nextPoint, updated_at: s.updatedAt, cancelled_at: s.cancelledAt })
    .where('id', '=', s.id)
    .execute();
}

/**
 * Writes the subscription into the payment's echoed payment_options (what the partner sent,
 * completed with the id and schedule), as the real service echoes it. The one write this module
 * makes outside its table: the payment's row is the echo's only source (edge/wire/payment.wire.ts).
 */
export async function echoOnPayment(tx: Tx, paymentId: string, paymentOptions: Record<string, unknown>): Promise<void> {
  await tx.updateTable('payments').set({ payment_options: JSON.stringify(paymentOptions) }).where('id', '=', paymentId).execute();
}
