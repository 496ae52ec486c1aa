import type { Queryable, Tx } from '../../platform/db/database.js';
import type { PublicTokensTable, WidgetKind } from '../../platform/db/schema.js';
import type { Selectable } from 'kysely';

export type PublicTokenKind = WidgetKind;

/** One widget a public token serves, with its own parameters and its own single use. */
export interface TokenWidget {
  readonly kind: PublicTokenKind;
  readonly params: Record<string, unknown>;
  readonly usedAt: Date | null;
}

/**
 * A public token. `kind`, `params` and `sessionId` describe its first widget (the one with a
 * session, when there is one); `widgets` lists every widget it serves; `usedAt` is set once every
 * widget has been used.
 */
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
  readonly widgets: readonly TokenWidget[];
  /** The card this token tokenized last, if any. */
  readonly cardHash: string | null;
}

async function withWidgets(db: Queryable, r: Selectable<PublicTokensTable> | undefined): Promise<PublicToken | undefined> {
  if (!r) return undefined;
  const rows = await db.selectFrom('public_token_widgets').selectAll().where('token', '=', r.token).execute();
  const order: readonly PublicTokenKind[] = ['acquiring_widget', 'fps_no_account_widget', 'tokenize_widget', 'self_employed_widget'];
  const widgets = rows
    .map((w) => ({ kind: w.widget, params: w.params, usedAt: w.used_at }))
    .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  return {
    token: r.token,
    projectId: String(r.project_id),
    kind: r.kind,
    params: r.params,
    sessionId: r.session_id,
    attempts: r.attempts,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    usedAt: r.used_at,
    // A row written before 0012 by a process still running the old code has no widget rows yet.
    widgets: widgets.length > 0 ? widgets : [{ kind: r.kind, params: r.params, usedAt: r.used_at }],
    cardHash: r.card_hash ?? null,
  };
}

export async function insertPublicToken(
  tx: Queryable,
  t: Omit<PublicToken, 'attempts' | 'usedAt' | 'widgets' | 'cardHash'> & { widgets: readonly { kind: PublicTokenKind; params: Record<string, unknown> }[] },
): Promise<void> {
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
  await tx
    .insertInto('public_token_widgets')
    .values(t.widgets.map((w) => ({ token: t.token, widget: w.kind, params: JSON.stringify(w.params) })))
    .execute();
}

export async function findPublicToken(db: Queryable, token: string): Promise<PublicToken | undefined> {
  return withWidgets(db, await db.selectFrom('public_tokens').selectAll().where('token', '=', token).executeTakeFirst());
}

/** Counts an attempt and locks the row for the rest of the transaction. */
export async function lockAndCountAttempt(tx: Tx, token: string): Promise<PublicToken | undefined> {
  const row = await tx
    .updateTable('public_tokens')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('token', '=', token)
    .returningAll()
    .executeTakeFirst();
  return withWidgets(tx, row);
}

export async function lockPublicToken(tx: Tx, token: string): Promise<PublicToken | undefined> {
  return withWidgets(tx, await tx.selectFrom('public_tokens').selectAll().where('token', '=', token).forUpdate().executeTakeFirst());
}

/**
 * Spends one widget of the token (`widget`), or all of them (no `widget`: the one-widget callers
 * of before 0012). The token as a whole is used once none of its widgets is left. Call it with the
 * token locked (lockPublicToken).
 */
export async function markUsed(tx: Tx, token: string, now: Date, widget?: PublicTokenKind): Promise<void> {
  let q = tx.updateTable('public_token_widgets').set({ used_at: now }).where('token', '=', token).where('used_at', 'is', null);
  if (widget) q = q.where('widget', '=', widget);
  await q.execute();
  const left = await tx.selectFrom('public_token_widgets').select('widget').where('token', '=', token).where('used_at', 'is', null).execute();
  if (left.length === 0) await tx.updateTable('public_tokens').set({ used_at: now }).where('token', '=', token).where('used_at', 'is', null).execute();
}

export async function recordTokenizedCard(tx: Tx, token: string, cardHash: string): Promise<void> {
  await tx.updateTable('public_tokens').set({ card_hash: cardHash }).where('token', '=', token).execute();
}

export interface RecurrentToken {
  readonly token: string;
  readonly projectId: string;
  /** What the token charges: a card in the vault, or an FPS (SBP) binding, which has no card. */
  readonly source: 'card' | 'faster_payment_system';
  readonly cardId: string | null;
  readonly paymentId: string;
  readonly createdAt: Date;
  readonly finishedAt: Date;
  readonly disabledAt: Date | null;
}

export async function insertRecurrentToken(tx: Tx, t: Omit<RecurrentToken, 'disabledAt'>): Promise<void> {
  await tx
    .insertInto('recurrent_tokens')
    .values({ token: t.token, project_id: t.projectId, source: t.source, card_id: t.cardId, payment_id: t.paymentId, created_at: t.createdAt, finished_at: t.finishedAt })
    .execute();
}

export async function findRecurrentToken(db: Queryable, projectId: string, token: string): Promise<RecurrentToken | undefined> {
  const r = await db.selectFrom('recurrent_tokens').selectAll().where('project_id', '=', projectId).where('token', '=', token).executeTakeFirst();
  return r && { token: r.token, projectId: String(r.project_id), source: r.source, cardId: r.card_id, paymentId: r.payment_id, createdAt: r.created_at, finishedAt: r.finished_at, disabledAt: r.disabled_at };
}

export async function disableRecurrentToken(tx: Tx, projectId: string, token: string, now: Date): Promise<void> {
  await tx.updateTable('recurrent_tokens').set({ disabled_at: now }).where('project_id', '=', projectId).where('token', '=', token).where('disabled_at', 'is', null).execute();
}
