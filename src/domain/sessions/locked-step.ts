import type { Db, Queryable, Tx } from '../../platform/db/database.js';
import { findProjectById, type Project } from '../projects/project.repo.js';
import type { Clock } from '../../kernel/clock.js';
import { lockSession, type Session } from './session.repo.js';

/**
 * How a job records what the outside world answered: one short transaction that locks the
 * operation's session (the lock every change to a session takes first), re-reads the operation under
 * it, and runs `fn` only if the operation is still at one of `stages` — otherwise someone else
 * (a cancel, a timeout, a second run of the same job) already moved it, and the answer is dropped.
 */
export interface LockedStep<Op> {
  readonly tx: Tx;
  readonly op: Op;
  readonly session: Session;
  readonly project: Project;
  readonly now: Date;
}

export async function lockedStep<Op extends { projectId: string; sessionId: string; stage: S }, S extends string>(
  deps: { db: Db; clock: Clock },
  load: (q: Queryable) => Promise<Op | undefined>,
  stages: readonly S[],
  fn: (step: LockedStep<Op>) => Promise<void>,
): Promise<void> {
  await deps.db.transaction().execute(async (tx) => {
    const before = await load(tx);
    if (!before) return;
    const session = await lockSession(tx, before.projectId, before.sessionId);
    const op = await load(tx); // re-read under the lock
    if (!session || !op || !stages.includes(op.stage)) return;
    const project = await findProjectById(tx, op.projectId);
    if (!project) return;
    await fn({ tx, op, session, project, now: deps.clock.now() });
  });
}
