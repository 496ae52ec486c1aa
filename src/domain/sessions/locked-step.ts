import type { Db, Queryable, Tx } from '../../platform/db/database.js';
import { findProjectById, type Project } from '../projects/project.repo.js';
import type { Clock } from '../../kernel/clock.js';
import type { OperationKind, OperationKinds } from './operation-kind.js';
import { loadSessionView, settleView, type SessionView } from './session-view.js';
import { lockSession, type Session } from './session.repo.js';

/**
 * How a job records what the outside world answered: one short transaction that locks the
 * operation's session (the lock every change to a session takes first), reads the session's
 * operations under it, and runs `fn` only if the operation is still at one of `stages` — otherwise
 * someone else (a cancel, a timeout, a second run of the same job) already moved it, and the answer
 * is dropped.
 *
 * Round trips: the lock, the project, the session's operations (one statement per kind), then the
 * step's own writes. The step settles the session from what it read here with its moved
 * operation in place (`settle`), not from a second read, and books ledger entries with `atEnd`, so
 * the ledger rows they lock are held from the last statement to COMMIT only.
 */
export interface LockedStep<Op> {
  readonly tx: Tx;
  readonly op: Op;
  readonly session: Session;
  readonly project: Project;
  readonly now: Date;
  /** The session and all its operations, as read under the lock. */
  readonly view: SessionView;
  /** settleSession for this step: from `view` with `moved` (this step's operation as it now is) in its place. */
  settle(moved: Op): Promise<SessionView>;
  /** Runs `fn` after the step, just before COMMIT (ledger bookings: their row locks are held the shortest time). */
  atEnd(fn: () => Promise<unknown>): void;
}

export interface StepTarget<Op> {
  readonly kind: OperationKind<Op>;
  readonly id: string;
  /** The operation as the job read it before calling out, if it did: it names the session to lock. */
  readonly before?: Op | undefined;
  readonly load: (q: Queryable) => Promise<Op | undefined>;
}

export async function lockedStep<Op extends { id: string; projectId: string; sessionId: string; stage: S }, S extends string>(
  deps: { db: Db; clock: Clock; operations: OperationKinds },
  target: StepTarget<Op>,
  stages: readonly S[],
  fn: (step: LockedStep<Op>) => Promise<void>,
): Promise<void> {
  await deps.db.transaction().execute(async (tx) => {
    const before = target.before ?? (await target.load(tx));
    if (!before) return;
    const session = await lockSession(tx, before.projectId, before.sessionId);
    if (!session) return;
    const view = await loadSessionView(tx, deps.operations, session);
    // The operation re-read under the lock, as part of its session.
    const mine = view.operations.find((o) => o.kind === (target.kind as OperationKind) && o.summary.id === target.id);
    const op = mine?.op as Op | undefined;
    if (!op || !stages.includes(op.stage)) return;
    const project = await findProjectById(tx, op.projectId);
    if (!project) return;
    const last: (() => Promise<unknown>)[] = [];
    const now = deps.clock.now();
    await fn({
      tx,
      op,
      session,
      project,
      now,
      view,
      settle: (moved) =>
        settleView(tx, { session, operations: view.operations.map((o) => (o === mine ? { kind: o.kind, op: moved, summary: o.kind.summarize(moved) } : o)) }, now),
      atEnd: (f) => void last.push(f),
    });
    for (const f of last) await f();
  });
}
