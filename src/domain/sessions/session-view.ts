import { createHash } from 'node:crypto';
import type { Queryable, Tx } from '../../platform/db/database.js';
import { runStatement, statement, type Statement } from '../../platform/db/prepared.js';
import type { SessionRow } from '../../platform/db/schema.js';
import { transition } from '../../kernel/state-machine.js';
import type { JointListing, OperationKind, OperationKinds, SessionOperation } from './operation-kind.js';
import { findSession, toSession, updateSessionState, type Session } from './session.repo.js';
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
 * The session view in one statement (each kind's `joint` SELECT as a json_agg column), built once
 * per list of kinds and registered as a prepared statement (named on PostgreSQL, parsed once on
 * PGlite). `view` reads the session row with its operations, `$1` the session id and `$2` the
 * project (one snapshot for all of it); `operations` reads only the operations, for a caller that
 * already holds the session (locked: a lock taken in the same statement would re-check the session
 * row after waiting, but not re-read the operations under it).
 */
interface ViewStatements {
  readonly kinds: readonly (OperationKind & { joint: JointListing<unknown> })[];
  readonly view: Statement;
  readonly operations: Statement;
}

const statements = new WeakMap<OperationKinds, ViewStatements | null>();

function viewStatements(kinds: OperationKinds): ViewStatements | null {
  const known = statements.get(kinds);
  if (known !== undefined) return known;
  const joint = kinds.filter((k): k is OperationKind & { joint: JointListing<unknown> } => k.joint !== undefined);
  let built: ViewStatements | null = null;
  if (joint.length === kinds.length && joint.length > 0) {
    const columns = joint.map((k, i) => `(SELECT coalesce(json_agg(x), '[]'::json) FROM (${k.joint.sql}) x) AS ${opColumn(i)}`).join(', ');
    const view = `SELECT s.*, ${columns} FROM sessions s WHERE s.id = $1 AND s.project_id = $2`;
    const operations = `SELECT ${columns}`;
    // Named by the text: two servers in one process with other kinds get two statements.
    const tag = createHash('sha1').update(view).digest('hex').slice(0, 12);
    built = { kinds: joint, view: statement(`session_view_${tag}`, view), operations: statement(`session_operations_${tag}`, operations) };
  }
  statements.set(kinds, built);
  return built;
}

const opColumn = (i: number) => `payrail_ops_${i}`;

function operationsOf(st: ViewStatements, row: Record<string, unknown>): SessionOperation[] {
  const operations: SessionOperation[] = [];
  st.kinds.forEach((kind, i) => {
    const value = row[opColumn(i)];
    const rows = (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>[];
    for (const r of rows) {
      const op = kind.joint.fromJson(r);
      operations.push({ kind, op, summary: kind.summarize(op) });
    }
  });
  return sortOperations(operations);
}

function sortOperations(operations: SessionOperation[]): SessionOperation[] {
  return operations.sort((a, b) => a.summary.createdAt.getTime() - b.summary.createdAt.getTime() || (a.summary.id < b.summary.id ? -1 : 1));
}

/** A session's operations, every kind, for a caller that holds the session (usually locked). */
export async function loadSessionView(db: Queryable, kinds: OperationKinds, session: Session): Promise<SessionView> {
  const st = viewStatements(kinds);
  if (st) return { session, operations: operationsOf(st, (await runStatement(db, st.operations, [session.id])).rows[0] ?? {}) };
  const operations: SessionOperation[] = [];
  // Sequential: a transaction has one connection.
  for (const kind of kinds) for (const op of await kind.list(db, session.id)) operations.push({ kind, op, summary: kind.summarize(op) });
  return { session, operations: sortOperations(operations) };
}

/**
 * A project's session with all its operations, read (not locked) in one statement: session/status.
 * Undefined when the project has no such session.
 */
export async function findSessionView(db: Queryable, kinds: OperationKinds, projectId: string, sessionId: string): Promise<SessionView | undefined> {
  const st = viewStatements(kinds);
  if (!st) {
    const session = await findSession(db, projectId, sessionId);
    return session && loadSessionView(db, kinds, session);
  }
  const row = (await runStatement(db, st.view, [sessionId, projectId])).rows[0];
  return row && { session: toSession(row as unknown as SessionRow), operations: operationsOf(st, row) };
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
