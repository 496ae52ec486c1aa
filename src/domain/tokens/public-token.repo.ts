import type { Queryable, Tx } from '../../platform/db/database.js';
import type { PublicTokensTable } from '../../platform/db/schema.js';
import type { Selectable } from 'kysely';

export type PublicTokenKind = PublicTokensTable['kind'];

export interface PublicToken {
  readonly token: string;
  readonly projectId: string;
  readonly kind: PublicTokenKind;
  readonly params: Record<string, unknown>;
  readonly sessionId: string | null;
  readonly attempts: number;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
}

const toToken = (r: Selectable<PublicTokensTable>): PublicToken => ({
  token: r.token,
  projectId: String(r.project_id),
  kind: r.kind,
  params: r.params,
  sessionId: r.session_id,
  attempts: r.attempts,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  usedAt: r.used_at,
});

export async function insertPublicToken(tx: Queryable, t: Omit<PublicToken, 'attempts' | 'usedAt'>): Promise<void> {
  await tx
    .insertInto('public_tokens')
    .values({
      token: t.token,
      project_id: t.projectId,
      kind: t.kind,
      params: JSON.stringify(t.params),
      session_id: t.sessionId,
      created_at: t.createdAt,
      expires_at: t.expiresAt,
    })
    .execute();
}

export async function findPublicToken(db: Queryable, token: string): Promise<PublicToken | undefined> {
  const row = await db.selectFrom('public_tokens').selectAll().where('token', '=', token).executeTakeFirst();
  return row && toToken(row);
}

/** Counts an attempt and locks the row for the rest of the transaction. */
export async function lockAndCountAttempt(tx: Tx, token: string): Promise<PublicToken | undefined> {
  const row = await tx
    .updateTable('public_tokens')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('token', '=', token)
    .returningAll()
    .executeTakeFirst();
  return row && toToken(row);
}

export async function lockPublicToken(tx: Tx, token: string): Promise<PublicToken | undefined> {
  const row = await tx.selectFrom('public_tokens').selectAll().where('token', '=', token).forUpdate().executeTakeFirst();
  return row && toToken(row);
}

export async function markUsed(tx: Tx, token: string, now: Date): Promise<void> {
  await tx.updateTable('public_tokens').set({ used_at: now }).where('token', '=', token).execute();
}

export interface RecurrentToken {
  readonly token: string;
  readonly projectId: string;
  readonly cardId: string;
  readonly paymentId: string;
  readonly createdAt: Date;
  readonly finishedAt: Date;
  readonly disabledAt: Date | null;
}

export async function insertRecurrentToken(tx: Tx, t: Omit<RecurrentToken, 'disabledAt'>): Promise<void> {
  await tx
    .insertInto('recurrent_tokens')
    .values({ token: t.token, project_id: t.projectId, card_id: t.cardId, payment_id: t.paymentId, created_at: t.createdAt, finished_at: t.finishedAt })
    .execute();
}

export async function findRecurrentToken(db: Queryable, projectId: string, token: string): Promise<RecurrentToken | undefined> {
  const r = await db.selectFrom('recurrent_tokens').selectAll().where('project_id', '=', projectId).where('token', '=', token).executeTakeFirst();
  return r && { token: r.token, projectId: String(r.project_id), cardId: r.card_id, paymentId: r.payment_id, createdAt: r.created_at, finishedAt: r.finished_at, disabledAt: r.disabled_at };
}

export async function disableRecurrentToken(tx: Tx, projectId: string, token: string, now: Date): Promise<void> {
  await tx.updateTable('recurrent_tokens').set({ disabled_at: now }).where('project_id', '=', projectId).where('token', '=', token).where('disabled_at', 'is', null).execute();
}
