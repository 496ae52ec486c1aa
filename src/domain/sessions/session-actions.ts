import { ApiError, invalidRequest } from '../../kernel/errors.js';
import type { Money } from '../../kernel/money.js';
import type { Tx } from '../../platform/db/database.js';
import type { Project } from '../projects/project.repo.js';
import type { ActionContext, ActionResult, OperationActions, SessionOperation } from './operation-kind.js';
import type { SessionDeps } from './session-deps.js';
import type { SessionEventType } from './session-events.js';
import { loadSessionView, settleView, type SessionView } from './session-view.js';
import type { Session } from './session.repo.js';

/**
 * session/confirm, session/cancel and session/capture carry only a session id. With several
 * operations in a session they act on every operation that waits for them, oldest first, in one
 * transaction (docs/decisions.md, "Several operations"):
 * - confirm: every operation waiting in ready_to_confirm;
 * - cancel:  every operation waiting for the partner (ready_to_confirm, or a hold in ready_to_capture);
 *            a session with no operation at all is cancelled itself;
 * - capture: every hold in full; a partial amount only when exactly one hold waits.
 * The session is settled once, then each operation's webhook is queued with the settled session.
 */
type Action = 'confirm' | 'cancel' | 'capture';

const WAITS: Record<Action, (o: SessionOperation) => boolean> = {
  confirm: (o) => o.summary.waitsFor === 'confirm',
  cancel: (o) => o.summary.waitsFor !== null,
  capture: (o) => o.summary.waitsFor === 'capture',
};

/** "its payment pm_1 is failed, payout po_2 is succeeded": what the session holds, for a refusal. */
function describeOperations(view: SessionView): string {
  return `its ${view.operations.filter((o) => o.summary.parentId === null).map((o) => o.kind.describe(o.op)).join(', ')}`;
}

/** The refusal when nothing waits: `what` names the operations the session holds; `none` is said when it holds none. */
function refusal(view: SessionView, what: string, none: string): ApiError {
  return new ApiError('invalid_session_state', `session ${view.session.id} ${view.operations.length === 0 ? none : `${what}: ${describeOperations(view)}`}`);
}

/** What `act` did: settled the session after acting, or found nothing waiting in the session as it is. */
interface Acted {
  readonly acted: boolean;
  readonly view: SessionView;
}

async function act(
  tx: Tx,
  deps: SessionDeps,
  project: Project,
  session: Session,
  action: Action,
  run: (actions: OperationActions<unknown>, ctx: ActionContext, op: unknown) => Promise<ActionResult<unknown>> | undefined,
  check?: (waiting: readonly SessionOperation[]) => void,
): Promise<Acted> {
  const view = await loadSessionView(tx, deps.operations, session);
  const waiting = view.operations.filter(WAITS[action]);
  if (waiting.length === 0) return { acted: false, view };
  check?.(waiting);
  const ctx: ActionContext = { tx, deps, project, session, now: deps.clock.now() };
  const events: SessionEventType[] = [];
  const after = new Map<SessionOperation, SessionOperation>();
  for (const o of waiting) {
    const actions = o.kind.actions as OperationActions<unknown> | undefined;
    const done = actions && run(actions, ctx, o.op);
    if (!done) throw new ApiError('invalid_session_state', `${o.kind.name} ${o.summary.id} cannot be ${action === 'capture' ? 'captured' : `${action}ed`}`);
    const result = await done;
    after.set(o, { kind: o.kind, op: result.op, summary: o.kind.summarize(result.op) });
    if (result.event) events.push(result.event);
  }
  // The actions returned their operations as they now are: the session settles from them, unread.
  const settled = await settleView(tx, { session, operations: view.operations.map((o) => after.get(o) ?? o) }, ctx.now);
  for (const event of events) await deps.events.emit(tx, project, settled, event, ctx.now);
  return { acted: true, view: settled };
}

export async function confirmSession(tx: Tx, deps: SessionDeps, project: Project, session: Session): Promise<SessionView> {
  const { acted, view } = await act(tx, deps, project, session, 'confirm', (a, ctx, op) => a.confirm?.(ctx, op));
  if (acted) return view;
  throw refusal(view, 'is not waiting for confirmation', `has no operation waiting for confirmation (it is ${session.status})`);
}

export async function cancelSession(tx: Tx, deps: SessionDeps, project: Project, session: Session): Promise<SessionView> {
  const { acted, view } = await act(tx, deps, project, session, 'cancel', (a, ctx, op) => a.cancel?.(ctx, op));
  if (acted) return view;
  if (session.status !== 'created') throw refusal(view, 'cannot be cancelled now', `cannot be cancelled: it is ${session.status}`);
  const now = deps.clock.now();
  return settleView(tx, { ...view, session: { ...session, cancelledAt: now } }, now);
}

export async function captureSession(tx: Tx, deps: SessionDeps, project: Project, session: Session, amount: Money | undefined): Promise<SessionView> {
  const { acted, view } = await act(
    tx,
    deps,
    project,
    session,
    'capture',
    (a, ctx, op) => a.capture?.(ctx, op, amount),
    (waiting) => {
      if (amount && waiting.length > 1) {
        throw invalidRequest(`amount_details captures one hold, and session ${session.id} has ${waiting.length} waiting (${waiting.map((o) => o.summary.id).join(', ')}); omit amount_details to capture them all in full`);
      }
    },
  );
  if (acted) return view;
  throw refusal(view, 'is not waiting for capture', 'has no payment to capture');
}
