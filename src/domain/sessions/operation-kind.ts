import type { Queryable, Tx } from '../../platform/db/database.js';
import type { Money } from '../../kernel/money.js';
import type { Project } from '../projects/project.repo.js';
import type { SessionDeps } from './session-deps.js';
import type { SessionEventType } from './session-events.js';
import type { Session } from './session.repo.js';
import type { NextAction } from './session.status.js';

/**
 * The port through which the session aggregate sees its operations. Payments, payouts and refunds
 * each implement one `OperationKind`; the composition root hands the session the list of them, so a
 * new kind of operation is a new module and one line in src/runtime.ts, and no session file changes.
 */

/**
 * How far an operation has got, in the terms the session's status is computed from (§7.1, §7.2):
 * in_progress and pending keep the session in_progress; error puts it in error; succeeded and failed
 * are final.
 */
export type OperationProgress = 'in_progress' | 'pending' | 'succeeded' | 'failed' | 'error';

export interface OperationSummary {
  readonly id: string;
  readonly createdAt: Date;
  readonly progress: OperationProgress;
  /** What the operation waits for from the partner (session/confirm or session/capture), if anything. */
  readonly waitsFor: NextAction | null;
  /**
   * The operation this one belongs to (a refund's payment or payout). A child holds its session in
   * progress while it runs but never decides on its own whether the session was accepted.
   */
  readonly parentId: string | null;
}

export interface OperationKind<Op = unknown> {
  /** `payment`, `payout`, `refund`: the name in docs, logs and error descriptions. */
  readonly name: string;
  /** The session's operations of this kind, oldest first. */
  list(q: Queryable, sessionId: string): Promise<readonly Op[]>;
  /**
   * The same operations as `list`, read inside the session view's one statement (session-view.ts)
   * instead of a statement of their own. A kind without it is read through `list`, and so then is
   * every kind of that view.
   */
  readonly joint?: JointListing<Op>;
  summarize(op: Op): OperationSummary;
  /** "payment pm_1 is pending (waiting for the payer on 3-D Secure)": for error descriptions. */
  describe(op: Op): string;
  /**
   * The partner's session-level actions, for an operation whose summary waits for them. Each runs in
   * the call's transaction with the session locked, moves only its own operation, and returns the
   * operation as it now is with the webhook the move causes at once (if any); the caller settles the
   * session once for all of them, from those returned operations.
   */
  readonly actions?: OperationActions<Op>;
}

/**
 * A kind's part of the session view's one statement: `sql` is the SELECT of one session's rows of
 * this kind, with `$1` for the session id and no other parameter (it runs as a subquery under
 * `json_agg`, in no particular order: the view sorts); `fromJson` maps one such row as JSON gives it
 * back (timestamps as strings, see `reviveDates`; bigints as numbers; json columns as values) to the
 * same operation `list` returns.
 */
export interface JointListing<Op> {
  readonly sql: string;
  fromJson(row: Record<string, unknown>): Op;
}

/** JSON's timestamp strings back to Dates, for `fromJson` mappers. */
export function reviveDates<T extends Record<string, unknown>>(row: T, columns: readonly string[]): T {
  const out: Record<string, unknown> = { ...row };
  for (const c of columns) if (typeof out[c] === 'string') out[c] = new Date(out[c] as string);
  return out as T;
}

export interface ActionContext {
  readonly tx: Tx;
  readonly deps: SessionDeps;
  readonly project: Project;
  readonly session: Session;
  readonly now: Date;
}

export interface ActionResult<Op> {
  /** The operation after the action. */
  readonly op: Op;
  /** The webhook the action causes at once, if any. */
  readonly event?: SessionEventType | undefined;
}

export interface OperationActions<Op> {
  /** session/confirm, for an operation that waits for `confirm`. */
  confirm?(ctx: ActionContext, op: Op): Promise<ActionResult<Op>>;
  /** session/cancel, for an operation that waits for the partner (confirm or capture). */
  cancel?(ctx: ActionContext, op: Op): Promise<ActionResult<Op>>;
  /** session/capture, for an operation that waits for `capture`; `amount` undefined takes it all. */
  capture?(ctx: ActionContext, op: Op, amount: Money | undefined): Promise<ActionResult<Op>>;
}

/** One operation of a session as the aggregate holds it: the kind's own object and its summary. */
export interface SessionOperation {
  readonly kind: OperationKind;
  readonly op: unknown;
  readonly summary: OperationSummary;
}

/** The kinds a server knows, in the order their operations are listed. */
export type OperationKinds = readonly OperationKind[];
