import type { Queryable, Tx } from '../../platform/db/database.js';
import { insertStatement, runStatement, statement, type PlannedInsert } from '../../platform/db/prepared.js';
import type { SessionRow, SessionsTable } from '../../platform/db/schema.js';
import { insertLater, updateLater } from '../../platform/db/write-behind.js';
import type { Insertable } from 'kysely';
import type { NextAction, SessionStatus } from './session.status.js';
import type { ApiVersion } from '../../kernel/api-version.js';

/**
 * What a session stores for its operations, version-neutral and in the wire's snake_case (it is
 * echoed back in responses and webhooks): the payout destination is always `payment_method`, and
 * card data is already a vault reference.
 */
export interface SessionParams {
  payment_method?: unknown;
  payment_details?: unknown;
  amount_details?: { amount: number; currency: string };
  participant_details?: unknown;
  customer?: unknown;
  payment_options?: unknown;
  metadata?: unknown;
  revenue_split_info?: unknown;
}

export interface Session {
  readonly id: string;
  readonly projectId: string;
  readonly status: SessionStatus;
  readonly nextAction: NextAction | null;
  readonly params: SessionParams;
  readonly error: { readonly code: string; readonly description: string } | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
  /** Set by session/cancel on a session that never started an operation. */
  readonly cancelledAt: Date | null;
  /**
   * The API version of the partner call that created the session; its webhooks are rendered in it.
   * Null for sessions created before migration 0014 or outside the partner API: the project's
   * api_version applies.
   */
  readonly apiVersion: ApiVersion | null;
}

/** The one row mapper of a session (the session view's statement reads the row too). */
export function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    projectId: String(row.project_id),
    status: row.status as SessionStatus,
    nextAction: row.next_action as NextAction | null,
    params: row.params as SessionParams,
    error: row.error_code ? { code: row.error_code, description: row.error_description ?? '' } : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    cancelledAt: row.cancelled_at,
    apiVersion: row.api_version ?? null,
  };
}

/** The one INSERT of a session (prepared: session/create is the hottest write). */
export const INSERT_SESSION = insertStatement('session_insert', 'sessions', {
  id: 'text',
  project_id: 'bigint',
  status: 'text',
  next_action: 'text',
  params: 'jsonb',
  error_code: 'text',
  error_description: 'text',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  finished_at: 'timestamptz',
  cancelled_at: 'timestamptz',
  api_version: 'text',
});

/** The session's row as INSERT_SESSION's parameters, for the caller that runs it (alone, or folded with an idempotency key). */
export function sessionInsert(session: Session): PlannedInsert {
  return {
    statement: INSERT_SESSION,
    values: [
      session.id,
      session.projectId,
      session.status,
      session.nextAction,
      JSON.stringify(session.params),
      session.error?.code ?? null,
      session.error?.description ?? null,
      session.createdAt,
      session.updatedAt,
      session.finishedAt,
      session.cancelledAt,
      session.apiVersion,
    ],
  };
}

/** The session's INSERT, written behind in a transaction (write-behind.ts): a state change in the same transaction folds into it. */
export async function insertSession(db: Queryable, session: Session): Promise<void> {
  const values = sessionInsert(session).values;
  await insertLater(db, 'sessions', Object.fromEntries(INSERT_SESSION.columns.map((c, i) => [c, values[i]])) as Insertable<SessionsTable> & { id: string });
}

export async function updateSessionState(
  tx: Tx,
  id: string,
  state: Pick<Session, 'status' | 'nextAction' | 'finishedAt' | 'updatedAt' | 'cancelledAt'>,
): Promise<void> {
  await updateLater(tx, 'sessions', id, { status: state.status, next_action: state.nextAction, finished_at: state.finishedAt, updated_at: state.updatedAt, cancelled_at: state.cancelledAt });
}

/**
 * Records the API version of the call that created a session, once: a session created inside another
 * domain's call (init/payment, init/payout) before its creator passed the version along gets it here,
 * in the same transaction, before any of its webhooks is rendered. A version already set is kept.
 */
export async function recordSessionApiVersion(tx: Tx, id: string, version: ApiVersion): Promise<void> {
  await tx.updateTable('sessions').set({ api_version: version }).where('id', '=', id).where('api_version', 'is', null).execute();
}

const FIND_SESSION = statement<SessionRow>('session_find', 'SELECT * FROM sessions WHERE id = $1 AND project_id = $2');

/** A project sees only its own sessions: another project's id is simply not found. */
export async function findSession(db: Queryable, projectId: string, id: string): Promise<Session | undefined> {
  const row = (await runStatement(db, FIND_SESSION, [id, projectId])).rows[0];
  return row && toSession(row);
}

/** The session row lock every operation on a session takes first: concurrency is decided here. */
export async function lockSession(tx: Tx, projectId: string, id: string): Promise<Session | undefined> {
  const row = await tx
    .selectFrom('sessions')
    .selectAll()
    .where('id', '=', id)
    .where('project_id', '=', projectId)
    .forUpdate()
    .executeTakeFirst();
  return row && toSession(row);
}
