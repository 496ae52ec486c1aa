import { sql, type Expression, type SqlBool } from 'kysely';
import type { Queryable } from '../../platform/db/database.js';
import type { SessionStatus } from './session.status.js';

/**
 * Read-only queries of the operator's dashboard (src/edge/dashboard): the session search and what a
 * session page shows besides the session itself. Operation tables are read by name here, as rows,
 * never through the operation modules: this is a report over the tables, not the aggregate.
 *
 * Every filter is served by an index (migration 0018, checked with EXPLAIN in
 * test/dashboard.test.ts): the pages are newest first, keyed by (created_at, id), so page N costs
 * what page 1 does whatever the table's size.
 */
export const OPERATION_KINDS = ['payment', 'payout', 'refund'] as const;
export type OperationKindName = (typeof OPERATION_KINDS)[number];

export interface SessionSearch {
  readonly projectId?: string | undefined;
  readonly status?: SessionStatus | undefined;
  /** Sessions holding at least one operation of this kind. */
  readonly kind?: OperationKindName | undefined;
  /** created_at >= from */
  readonly from?: Date | undefined;
  /** created_at < to */
  readonly to?: Date | undefined;
  /** An id (of the session or of one of its operations), or words of metadata values. */
  readonly text?: string | undefined;
  /** The last row of the previous page. */
  readonly before?: { readonly createdAt: Date; readonly id: string } | undefined;
  readonly limit: number;
}

export interface SessionListRow {
  readonly id: string;
  readonly projectId: string;
  readonly status: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly metadata: unknown;
  readonly amount: { readonly amount: number; readonly currency: string } | null;
}

const OP_TABLE = { payment: 'payments', payout: 'payouts', refund: 'refunds' } as const;

const metadataWords = (column: 'session' | 'operation') =>
  column === 'session'
    ? sql`jsonb_to_tsvector('simple', (params -> 'metadata')::jsonb, '["string", "numeric"]')`
    : sql`jsonb_to_tsvector('simple', metadata::jsonb, '["string", "numeric"]')`;

/**
 * How a text search runs. `hits`: every match is found by its own index (the id by primary key, the
 * words by the GIN indexes), unioned and joined by primary key, then sorted: right for a rare text
 * (an id, an order number). `ordered`: the sessions are walked newest first by the other filters'
 * index and each is checked for the text until the page is full: right for a word that thousands of
 * sessions carry, where sorting every match would cost seconds. `searchSessions` picks one by
 * counting the matches first (up to COMMON_TEXT).
 */
export type TextPlan = 'hits' | 'ordered';
export const COMMON_TEXT = 2000;

const words = (text: string) => sql`phraseto_tsquery('simple', ${text})`;

/** Every session a text matches, each branch by its own index (UNION ALL: it streams, so a LIMIT stops it early). */
const textHits = (text: string) => sql<{ session_id: string }>`
      SELECT id AS session_id FROM sessions WHERE id = ${text}
      UNION ALL SELECT session_id FROM payments WHERE id = ${text}
      UNION ALL SELECT session_id FROM payouts WHERE id = ${text}
      UNION ALL SELECT session_id FROM refunds WHERE id = ${text}
      UNION ALL SELECT id FROM sessions WHERE params -> 'metadata' IS NOT NULL AND ${metadataWords('session')} @@ ${words(text)}
      UNION ALL SELECT session_id FROM payments WHERE metadata IS NOT NULL AND ${metadataWords('operation')} @@ ${words(text)}
      UNION ALL SELECT session_id FROM payouts WHERE metadata IS NOT NULL AND ${metadataWords('operation')} @@ ${words(text)}`;

/** How many sessions a text matches, counted up to `cap` + 1 (a probe that stops early). */
export async function countTextHits(db: Queryable, text: string, cap = COMMON_TEXT): Promise<number> {
  const res = await sql<{ n: string }>`SELECT count(*) AS n FROM (SELECT 1 FROM (${textHits(text)}) h LIMIT ${cap + 1}) c`.execute(db);
  return Number(res.rows[0]?.n ?? 0);
}

/** The search as one query (exported so the tests can EXPLAIN exactly what the page runs). */
export function sessionSearchQuery(db: Queryable, f: SessionSearch, plan: TextPlan = 'hits') {
  let q = db.selectFrom('sessions as s').select(['s.id', 's.project_id', 's.status', 's.created_at', 's.updated_at', 's.params']);
  const text = f.text?.trim();
  if (text && plan === 'hits') {
    // A set of ids joined by primary key: an OR across tables would scan the whole sessions table instead.
    q = q.innerJoin(sql<{ session_id: string }>`(SELECT DISTINCT session_id FROM (${textHits(text)}) u)`.as('hits'), 'hits.session_id', 's.id');
  } else if (text) {
    // Checked row by row on the sessions the other filters' index yields, newest first.
    q = q.where(sql<SqlBool>`(
      s.id = ${text}
      OR (s.params -> 'metadata' IS NOT NULL AND jsonb_to_tsvector('simple', (s.params -> 'metadata')::jsonb, '["string", "numeric"]') @@ ${words(text)})
      OR EXISTS (SELECT 1 FROM payments o WHERE o.session_id = s.id AND (o.id = ${text} OR (o.metadata IS NOT NULL AND jsonb_to_tsvector('simple', o.metadata::jsonb, '["string", "numeric"]') @@ ${words(text)})))
      OR EXISTS (SELECT 1 FROM payouts o WHERE o.session_id = s.id AND (o.id = ${text} OR (o.metadata IS NOT NULL AND jsonb_to_tsvector('simple', o.metadata::jsonb, '["string", "numeric"]') @@ ${words(text)})))
      OR EXISTS (SELECT 1 FROM refunds o WHERE o.session_id = s.id AND o.id = ${text})
    )`);
  }
  if (f.projectId !== undefined) q = q.where('s.project_id', '=', f.projectId);
  if (f.status !== undefined) q = q.where('s.status', '=', f.status);
  if (f.from !== undefined) q = q.where('s.created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('s.created_at', '<', f.to);
  if (f.kind !== undefined) {
    const table = OP_TABLE[f.kind];
    q = q.where(sql<SqlBool>`EXISTS (SELECT 1 FROM ${sql.table(table)} o WHERE o.session_id = s.id)`);
  }
  if (f.before) {
    const { createdAt, id } = f.before;
    // The row comparison is an index condition on (created_at, id); the plain bound also lets an
    // index without id, such as (project_id, created_at), stop early.
    q = q.where('s.created_at', '<=', createdAt).where(sql<SqlBool>`(s.created_at, s.id) < (${createdAt}, ${id})` as Expression<SqlBool>);
  }
  return q.orderBy('s.created_at', 'desc').orderBy('s.id', 'desc').limit(f.limit);
}

/** One page of sessions, newest first, with the amount of each one's first operation (or its params). */
export async function searchSessions(db: Queryable, f: SessionSearch): Promise<SessionListRow[]> {
  const text = f.text?.trim();
  const plan: TextPlan = text && (await countTextHits(db, text)) > COMMON_TEXT ? 'ordered' : 'hits';
  const rows = await sessionSearchQuery(db, f, plan).execute();
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const ops = await sql<{ session_id: string; amount: string; currency: string }>`
    SELECT DISTINCT ON (session_id) session_id, amount, currency FROM (
      SELECT session_id, amount, currency, created_at FROM payments WHERE session_id IN (${sql.join(ids)})
      UNION ALL SELECT session_id, amount, currency, created_at FROM payouts WHERE session_id IN (${sql.join(ids)})
    ) o ORDER BY session_id, created_at`.execute(db);
  const amounts = new Map(ops.rows.map((o) => [o.session_id, { amount: Number(o.amount), currency: o.currency }]));
  return rows.map((r) => {
    const params = r.params as { metadata?: unknown; amount_details?: { amount: number; currency: string } };
    const given = params.amount_details;
    return {
      id: r.id,
      projectId: String(r.project_id),
      status: r.status,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      metadata: params.metadata ?? null,
      amount: amounts.get(r.id) ?? (given ? { amount: Number(given.amount), currency: given.currency } : null),
    };
  });
}

/** A session by id whatever its project (the operator sees them all). */
export async function findAnySession(db: Queryable, id: string) {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface OperationRow {
  readonly kind: OperationKindName;
  readonly id: string;
  readonly stage: string;
  readonly amount: number;
  readonly currency: string;
  readonly fee: number | null;
  readonly parentId: string | null;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
  readonly error: { readonly code: string; readonly description: string } | null;
  readonly metadata: unknown;
  /** payment_details (payments) or payment_method (payouts): shown only through a card mask. */
  readonly instrument: unknown;
}

/** A session's operations of every kind, oldest first. */
export async function listSessionOperationRows(db: Queryable, sessionId: string): Promise<OperationRow[]> {
  const [payments, payouts, refunds] = [
    await db.selectFrom('payments').selectAll().where('session_id', '=', sessionId).execute(),
    await db.selectFrom('payouts').selectAll().where('session_id', '=', sessionId).execute(),
    await db.selectFrom('refunds').selectAll().where('session_id', '=', sessionId).execute(),
  ];
  const error = (code: string | null, description: string | null) => (code ? { code, description: description ?? '' } : null);
  const out: OperationRow[] = [
    ...payments.map((p) => ({
      kind: 'payment' as const,
      id: p.id,
      stage: p.stage,
      amount: Number(p.amount),
      currency: p.currency,
      fee: Number(p.fee),
      parentId: null,
      createdAt: p.created_at,
      finishedAt: p.finished_at,
      error: error(p.error_code, p.error_description),
      metadata: p.metadata,
      instrument: p.payment_details,
    })),
    ...payouts.map((p) => ({
      kind: 'payout' as const,
      id: p.id,
      stage: p.stage,
      amount: Number(p.amount),
      currency: p.currency,
      fee: Number(p.fee),
      parentId: null,
      createdAt: p.created_at,
      finishedAt: p.finished_at,
      error: error(p.error_code, p.error_description),
      metadata: p.metadata,
      instrument: p.payment_method,
    })),
    ...refunds.map((r) => ({
      kind: 'refund' as const,
      id: r.id,
      stage: r.status,
      amount: Number(r.amount),
      currency: r.currency,
      fee: null,
      parentId: r.payment_id ?? r.payout_id ?? null,
      createdAt: r.created_at,
      finishedAt: r.finished_at,
      error: error(r.error_code, r.error_description),
      metadata: r.metadata,
      instrument: null,
    })),
  ];
  return out.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
}

export interface Transition {
  readonly kind: 'session' | OperationKindName;
  readonly objectId: string;
  readonly from: string | null;
  readonly to: string;
  readonly at: Date;
}

/**
 * A session's timeline: the creation of the session and of each of its operations, then every
 * status change, in time order. Changes are recorded by triggers (migrations 0018, 0025); a creation
 * is read from the object's own row: its created_at, and the status it was created in (the first
 * recorded change's `from`, or its status now). Rows from before 0025 also hold their creation
 * (`from` null), and are used as they are. One statement.
 */
export async function listTransitions(db: Queryable, sessionId: string): Promise<Transition[]> {
  const res = await sql<{ kind: Transition['kind']; object_id: string; from_status: string | null; to_status: string; at: Date | string }>`
    WITH changes AS (
      SELECT id, kind, object_id, from_status, to_status, at FROM operation_transitions WHERE session_id = ${sessionId}
    ), objects AS (
      SELECT 'session' AS kind, id AS object_id, status AS status_now, created_at FROM sessions WHERE id = ${sessionId}
      UNION ALL SELECT 'payment', id, stage, created_at FROM payments WHERE session_id = ${sessionId}
      UNION ALL SELECT 'payout', id, stage, created_at FROM payouts WHERE session_id = ${sessionId}
      UNION ALL SELECT 'refund', id, status, created_at FROM refunds WHERE session_id = ${sessionId}
    )
    SELECT kind, object_id, from_status, to_status, at FROM (
      SELECT o.kind, o.object_id, NULL::text AS from_status,
        coalesce((SELECT c.from_status FROM changes c WHERE c.kind = o.kind AND c.object_id = o.object_id ORDER BY c.id LIMIT 1), o.status_now) AS to_status,
        o.created_at AS at, 0::bigint AS seq
      FROM objects o
      WHERE NOT EXISTS (SELECT 1 FROM changes c WHERE c.kind = o.kind AND c.object_id = o.object_id AND c.from_status IS NULL)
      UNION ALL
      SELECT kind, object_id, from_status, to_status, at, id FROM changes
    ) t
    ORDER BY at, seq`.execute(db);
  return res.rows.map((r) => ({ kind: r.kind, objectId: r.object_id, from: r.from_status, to: r.to_status, at: new Date(r.at) }));
}

/** Operations of each kind created since `since`, per stage (the overview). */
export async function operationCountsSince(db: Queryable, since: Date): Promise<{ kind: 'payment' | 'payout'; stage: string; count: number }[]> {
  const payments = await db.selectFrom('payments').select(['stage', (eb) => eb.fn.countAll<string>().as('n')]).where('created_at', '>=', since).groupBy('stage').execute();
  const payouts = await db.selectFrom('payouts').select(['stage', (eb) => eb.fn.countAll<string>().as('n')]).where('created_at', '>=', since).groupBy('stage').execute();
  return [
    ...payments.map((r) => ({ kind: 'payment' as const, stage: r.stage, count: Number(r.n) })),
    ...payouts.map((r) => ({ kind: 'payout' as const, stage: r.stage, count: Number(r.n) })),
  ];
}
