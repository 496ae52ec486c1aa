import { sql, type RawBuilder } from 'kysely';
import type { Queryable, Tx } from '../../platform/db/database.js';
import { transition } from '../../kernel/state-machine.js';
import type { OperationKind, OperationKinds, SessionOperation } from './operation-kind.js';
import { updateSessionState, type Session } from './session.repo.js';
import { SESSION_TRANSITIONS, type NextAction, type SessionStatus } from './session.status.js';

/** A session with all its operations, of every kind: what responses and webhooks render. */
export interface SessionView {
  readonly session: Session;
  /** Oldest first across kinds. */
  readonly operations: readonly SessionOperation[];
}

/** The operations of one kind in a session view. */
export const viewOperations = <Op>(view: SessionView, kind: OperationKind<Op>): Op[] =>
  view.operations.filter((o) => o.kind === (kind as OperationKind)).map((o) => o.op as Op);

/**
 * What a kind may add to the port so that the view reads its operations in the same statement as the
 * other kinds' (one round trip for the whole view, not one per kind): the SELECT of one session's
 * rows, and the mapper from such a row as JSON (timestamps as strings, bigints as numbers). A view
 * over kinds that do not all offer it reads kind by kind, through `list`.
 */
export interface JointlyListed<Op> {
  readonly joint: {
    select(sessionId: string): RawBuilder<unknown>;
    fromJson(row: Record<string, unknown>): Op;
  };
}

const isJoint = (kind: OperationKind): kind is OperationKind & JointlyListed<unknown> => 'joint' in kind;

/** JSON's timestamp strings back to Dates, for `fromJson` mappers. */
export function reviveDates<T extends Record<string, unknown>>(row: T, columns: readonly string[]): T {
  const out: Record<string, unknown> = { ...row };
  for (const c of columns) if (typeof out[c] === 'string') out[c] = new Date(out[c] as string);
  return out as T;
}

async function listAll(db: Queryable, kinds: readonly (OperationKind & JointlyListed<unknown>)[], sessionId: string): Promise<unknown[][]> {
  const columns = kinds.map((k, i) => sql`(SELECT coalesce(json_agg(x), '[]'::json) FROM (${k.joint.select(sessionId)}) x) AS ${sql.ref(`k${i}`)}`);
  const res = await sql<Record<string, unknown>>`SELECT ${sql.join(columns)}`.execute(db);
  const row = res.rows[0] ?? {};
  return kinds.map((k, i) => {
    const value = row[`k${i}`];
    const rows = (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>[];
    return rows.map((r) => k.joint.fromJson(r));
  });
}

export async function loadSessionView(db: Queryable, kinds: OperationKinds, session: Session): Promise<SessionView> {
  const operations: SessionOperation[] = [];
  const joint = kinds.filter(isJoint);
  if (joint.length === kinds.length) {
    const lists = await listAll(db, joint, session.id);
    kinds.forEach((kind, i) => {
      for (const op of lists[i] ?? []) operations.push({ kind, op, summary: kind.summarize(op) });
    });
  } else {
    // Sequential: a transaction has one connection.
    for (const kind of kinds) for (const op of await kind.list(db, session.id)) operations.push({ kind, op, summary: kind.summarize(op) });
  }
  operations.sort((a, b) => a.summary.createdAt.getTime() - b.summary.createdAt.getTime() || (a.summary.id < b.summary.id ? -1 : 1));
  return { session, operations };
}

/**
 * A session's status is computed from its operations, never set by hand (§7.1, §7.5; the rules for
 * several operations are in docs/decisions.md):
 * - no operation: created, or cancelled after session/cancel;
 * - any operation (a refund too) in error: error;
 * - any operation in progress or waiting for the partner, a refund included: in_progress;
 * - every operation final: accepted when at least one operation of its own (not a refund) succeeded,
 *   cancelled when every one failed.
 */
export function deriveSessionStatus(operations: readonly SessionOperation[], cancelledAt: Date | null): SessionStatus {
  if (operations.length === 0) return cancelledAt ? 'cancelled' : 'created';
  const progress = operations.map((o) => o.summary.progress);
  if (progress.includes('error')) return 'error';
  if (progress.some((p) => p === 'in_progress' || p === 'pending')) return 'in_progress';
  return operations.some((o) => o.summary.parentId === null && o.summary.progress === 'succeeded') ? 'accepted' : 'cancelled';
}

/** What the session waits for from the partner: confirm before capture, when several operations wait. */
export function deriveNextAction(operations: readonly SessionOperation[]): NextAction | null {
  const waiting = operations.map((o) => o.summary.waitsFor);
  return waiting.includes('confirm') ? 'confirm' : waiting.includes('capture') ? 'capture' : null;
}

/**
 * The one function that changes a session's stored status: after operations moved (inside the same
 * transaction, with the session row locked), recompute status and next_action from all of them,
 * check the move against the transition table, store it, and return the view to render.
 */
export async function settleSession(tx: Tx, kinds: OperationKinds, session: Session, now: Date): Promise<SessionView> {
  return settleView(tx, await loadSessionView(tx, kinds, session), now);
}

/**
 * settleSession for a session created in this same transaction, whose only operations are `ops` (each
 * of the kind named, as the kind calls itself): there is nothing to read.
 */
export async function settleNewSession(tx: Tx, kinds: OperationKinds, session: Session, ops: readonly { kind: string; op: unknown }[], now: Date): Promise<SessionView> {
  const operations = ops.map(({ kind: name, op }) => {
    const kind = kinds.find((k) => k.name === name);
    if (!kind) throw new Error(`no operation kind "${name}" is registered`);
    return { kind, op, summary: kind.summarize(op) };
  });
  return settleView(tx, { session, operations }, now);
}

/** settleSession for a caller that already holds every operation as it now is (no second read). */
export async function settleView(tx: Tx, view: SessionView, now: Date): Promise<SessionView> {
  const { session } = view;
  const status = deriveSessionStatus(view.operations, session.cancelledAt);
  if (status !== session.status) transition(SESSION_TRANSITIONS, session.status, status, `session ${session.id}`);
  const final = status === 'accepted' || status === 'cancelled';
  const updated: Session = {
    ...session,
    status,
    nextAction: deriveNextAction(view.operations),
    updatedAt: now,
    finishedAt: final ? (session.finishedAt && session.status === status ? session.finishedAt : now) : null,
  };
  await updateSessionState(tx, session.id, updated);
  return { ...view, session: updated };
}
