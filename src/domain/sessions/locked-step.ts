import type { Db, Queryable, Tx } from '../../platform/db/database.js';
import { runStatement, statement } from '../../platform/db/prepared.js';
import type { ProjectRow, SessionRow } from '../../platform/db/schema.js';
import type { JobFinish } from '../../platform/jobs/job.repo.js';
import { toProject, type Project } from '../projects/project.repo.js';
import type { Clock } from '../../kernel/clock.js';
import type { OperationKind, OperationKinds } from './operation-kind.js';
import { loadSessionView, settleView, type SessionView } from './session-view.js';
import { toSession, type Session } from './session.repo.js';

/**
 * How a job records what the outside world answered: one short transaction that locks the
 * operation's session (the lock every change to a session takes first), reads the session's
 * operations under it, and runs `fn` only if the operation is still at one of `stages` — otherwise
 * someone else (a cancel, a timeout, a second run of the same job) already moved it, and the answer
 * is dropped.
 *
 * Round trips: the lock (with the project, in one statement), the session's operations (one
 * statement for every kind), then the step's own writes. The operations are read in a statement of
 * their own, after the lock: read in the locking statement they would come from its snapshot, taken
 * before it waited for the lock, and miss what the previous holder committed. The step settles the session
 * from what it read here with its moved operation in place (`settle`), not from a second read, and
 * books ledger entries with `atEnd`, so the ledger rows they lock are held from the last statement
 * to COMMIT only.
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
  /** The job this step ends, if it is its handler's last: deleted with the step's writes (JobFinish). */
  readonly finish?: JobFinish | undefined;
}

/** The session row lock (the one every change to a session takes first) and its project, in one statement. */
const LOCK = statement<SessionRow & { payrail_project: unknown }>(
  'locked_step_lock',
  `SELECT s.*, to_json(p.*) AS payrail_project FROM sessions s JOIN projects p ON p.id = s.project_id
   WHERE s.id = $1 AND s.project_id = $2 FOR UPDATE OF s`,
);

/** The project as to_json gives it: timestamps as strings, json columns as values. */
function projectFromJson(value: unknown): Project {
  const row = (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;
  return toProject({ ...row, created_at: new Date(row['created_at'] as string), updated_at: new Date(row['updated_at'] as string) } as unknown as ProjectRow);
}

export async function lockedStep<Op extends { id: string; projectId: string; sessionId: string; stage: S }, S extends string>(
  deps: { db: Db; clock: Clock; operations: OperationKinds },
  target: StepTarget<Op>,
  stages: readonly S[],
  fn: (step: LockedStep<Op>) => Promise<void>,
): Promise<void> {
  let ended = false;
  await deps.db.transaction().execute(async (tx) => {
    const before = target.before ?? (await target.load(tx));
    if (!before) return;
    const row = (await runStatement(tx, LOCK, [before.sessionId, before.projectId])).rows[0];
    if (!row) return;
    const { payrail_project: projectJson, ...sessionRow } = row;
    const session = toSession(sessionRow as SessionRow);
    const project = projectFromJson(projectJson);
    const view = await loadSessionView(tx, deps.operations, session);
    // The operation re-read under the lock, as part of its session.
    const mine = view.operations.find((o) => o.kind === (target.kind as OperationKind) && o.summary.id === target.id);
    const op = mine?.op as Op | undefined;
    if (!op || !stages.includes(op.stage)) return;
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
    if (target.finish) {
      await target.finish.in(tx);
      ended = true;
    }
    for (const f of last) await f();
  });
  if (ended) target.finish?.committed();
}
