import type { Selectable } from 'kysely';
import { reviveDates } from '../sessions/operation-kind.js';
import type { Queryable, Tx } from '../../platform/db/database.js';
import { jsonColumn } from '../../platform/db/json.js';
import { insertLater, updateLater } from '../../platform/db/write-behind.js';
import type { PayoutsTable } from '../../platform/db/schema.js';
import { operationErrorOf, type OperationError } from '../../kernel/operation-errors.js';
import type { PayoutStage } from './payout.status.js';

import type { Rail } from './rails.js';
import type { Fiscalization } from './fiscalization.js';
import { destinationFromStored, destinationToStored, type PayoutDestination } from './payout-destination.js';

export type { Rail };

export interface Payout {
  readonly id: string;
  readonly sessionId: string;
  readonly projectId: string;
  readonly stage: PayoutStage;
  readonly amount: number;
  readonly currency: string;
  readonly fee: number;
  readonly rail: Rail;
  /** Where the money goes (a typed union; a card is a vault reference). */
  readonly destination: PayoutDestination;
  readonly customer: unknown;
  readonly participantDetails: unknown;
  readonly metadata: unknown;
  readonly transactionInfo: Record<string, unknown> | null;
  /** Whether amount plus fee are held in the reserved account. */
  readonly reserved: boolean;
  readonly error: OperationError | null;
  /** A payout to a self-employed person with fiscalization (fiscalization.ts); null otherwise. */
  readonly fiscalization: Fiscalization | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
}


function toPayout(r: Selectable<PayoutsTable>): Payout {
  return {
    id: r.id,
    sessionId: r.session_id,
    projectId: String(r.project_id),
    stage: r.stage as PayoutStage,
    amount: Number(r.amount),
    currency: r.currency,
    fee: Number(r.fee),
    rail: r.rail as Rail,
    destination: destinationFromStored(r.payment_method),
    customer: r.customer,
    participantDetails: r.participant_details,
    metadata: r.metadata,
    transactionInfo: r.transaction_info as Record<string, unknown> | null,
    reserved: r.reserved,
    error: operationErrorOf(r.error_code, r.error_description),
    fiscalization: (r.fiscalization_details as Fiscalization | null) ?? null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
  };
}

export async function insertPayout(tx: Tx, p: Payout): Promise<void> {
  await insertLater(tx, 'payouts', {
    id: p.id,
    session_id: p.sessionId,
    project_id: p.projectId,
    stage: p.stage,
    amount: p.amount,
    currency: p.currency,
    fee: p.fee,
    rail: p.rail,
    payment_method: JSON.stringify(destinationToStored(p.destination)),
    customer: jsonColumn(p.customer),
    participant_details: jsonColumn(p.participantDetails),
    metadata: jsonColumn(p.metadata),
    fiscalization_details: jsonColumn(p.fiscalization),
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  });
}

export type PayoutPatch = Partial<Pick<Payout, 'stage' | 'transactionInfo' | 'reserved' | 'error' | 'finishedAt' | 'fiscalization'>>;

export async function updatePayout(tx: Tx, id: string, patch: PayoutPatch, now: Date): Promise<void> {
  const set: Record<string, unknown> = { updated_at: now };
  if (patch.stage !== undefined) set['stage'] = patch.stage;
  if (patch.transactionInfo !== undefined) set['transaction_info'] = jsonColumn(patch.transactionInfo);
  if (patch.reserved !== undefined) set['reserved'] = patch.reserved;
  if (patch.error !== undefined) {
    set['error_code'] = patch.error?.code ?? null;
    set['error_description'] = patch.error?.description ?? null;
  }
  if (patch.finishedAt !== undefined) set['finished_at'] = patch.finishedAt;
  if (patch.fiscalization !== undefined) set['fiscalization_details'] = jsonColumn(patch.fiscalization);
  await updateLater(tx, 'payouts', id, set);
}

export async function findPayout(db: Queryable, id: string): Promise<Payout | undefined> {
  const row = await db.selectFrom('payouts').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toPayout(row);
}

/** The rows listSessionPayouts reads, `$1` the session: the payouts' part of the session view's one statement (OperationKind.joint). */
export const SESSION_PAYOUTS_SQL = 'SELECT * FROM payouts WHERE session_id = $1';

/** A payout from its row as JSON (SESSION_PAYOUTS_SQL through json_agg). */
export function payoutFromJson(row: Record<string, unknown>): Payout {
  return toPayout(reviveDates(row, ['created_at', 'updated_at', 'finished_at']) as unknown as Selectable<PayoutsTable>);
}

export async function listSessionPayouts(db: Queryable, sessionId: string): Promise<Payout[]> {
  const rows = await db.selectFrom('payouts').selectAll().where('session_id', '=', sessionId).orderBy('created_at').orderBy('id').execute();
  return rows.map(toPayout);
}

/** Finished payouts of a project in a window, for the daily payouts report. */
export async function listFinishedPayouts(db: Queryable, projectId: string, from: Date, to: Date): Promise<(Payout & { sessionMetadata: unknown })[]> {
  const rows = await db
    .selectFrom('payouts')
    .innerJoin('sessions', 'sessions.id', 'payouts.session_id')
    .selectAll('payouts')
    .select('sessions.params as session_params')
    .where('payouts.project_id', '=', projectId)
    .where('payouts.stage', '=', 'succeeded')
    .where('payouts.finished_at', '>=', from)
    .where('payouts.finished_at', '<', to)
    .orderBy('payouts.finished_at')
    .execute();
  return rows.map((r) => ({ ...toPayout(r), sessionMetadata: (r.session_params as { metadata?: unknown } | null)?.metadata }));
}
