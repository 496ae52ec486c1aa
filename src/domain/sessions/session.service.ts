import type { Queryable, Tx } from '../../platform/db/database.js';
import type { Project } from '../projects/project.repo.js';
import { normalizeCurrency } from '../../kernel/currencies.js';
import { ApiError } from '../../kernel/errors.js';
import type { ApiVersion } from '../../kernel/api-version.js';
import { protectCardData } from '../tokens/card-params.js';
import type { SessionDeps } from './session-deps.js';
import type { PlannedInsert } from '../../platform/db/prepared.js';
import { findSession, insertSession, lockSession, sessionInsert, type Session, type SessionParams } from './session.repo.js';

export type { SessionDeps };

export const sessionNotFound = (id: string) => new ApiError('session_not_found', `session ${id} not found`);

function normalize(params: SessionParams): SessionParams {
  const out: SessionParams = {};
  for (const [k, v] of Object.entries(params) as [keyof SessionParams, unknown][]) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  if (params.amount_details) {
    out.amount_details = { amount: params.amount_details.amount, currency: normalizeCurrency(params.amount_details.currency) };
  }
  return out;
}

/** How a session came to be: the partner API passes the version of the path it was called on. */
export interface CreateSessionOptions {
  /** The API version of the creating call (/api/v1/… or /api/v2/…); absent: the project's setting rules its webhooks. */
  readonly apiVersion?: ApiVersion;
}

function newSession(deps: Pick<SessionDeps, 'clock' | 'ids'>, project: Project, params: SessionParams, options: CreateSessionOptions): Session {
  const now = deps.clock.now();
  return {
    id: deps.ids('ps'),
    projectId: project.id,
    status: 'created',
    nextAction: null,
    params,
    error: null,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
    cancelledAt: null,
    apiVersion: options.apiVersion ?? null,
  };
}

/** A card the vault must see first (protectCardData): a payment_details or payment_method of type card. */
function holdsCard(holder: unknown): boolean {
  return holder !== null && typeof holder === 'object' && (holder as { type?: unknown }).type === 'card' && typeof (holder as { card?: unknown }).card === 'object';
}

/** session/create: stores whatever was given for a later start; the session waits in `created`. */
export async function createSession(
  tx: Tx,
  deps: Pick<SessionDeps, 'clock' | 'ids' | 'keyring'>,
  project: Project,
  input: SessionParams,
  options: CreateSessionOptions = {},
): Promise<Session> {
  const session = newSession(deps, project, normalize(input), options);
  const params = await protectCardData(tx, deps, project.id, null, session.params, session.createdAt);
  const stored = { ...session, params };
  await insertSession(tx, stored);
  return stored;
}

/**
 * session/create as its one INSERT, for a caller that runs it alone (no BEGIN/COMMIT) or folds an
 * idempotency key into it. Undefined when the parameters hold a card: the vault writes first, in a
 * transaction (createSession).
 */
export function planSession(deps: Pick<SessionDeps, 'clock' | 'ids'>, project: Project, input: SessionParams, options: CreateSessionOptions = {}): { session: Session; insert: PlannedInsert } | undefined {
  if (holdsCard(input.payment_details) || holdsCard(input.payment_method)) return undefined;
  const session = newSession(deps, project, normalize(input), options);
  return { session, insert: sessionInsert(session) };
}

export async function getSession(db: Queryable, project: Project, id: string): Promise<Session> {
  const session = await findSession(db, project.id, id);
  if (!session) throw sessionNotFound(id);
  return session;
}

/** The session row lock every partner call on a session takes first; another project's id is not found. */
export async function lockOwnSession(tx: Tx, project: Project, sessionId: string): Promise<Session> {
  const session = await lockSession(tx, project.id, sessionId);
  if (!session) throw sessionNotFound(sessionId);
  return session;
}

/**
 * A session takes new operations while it is created, in progress or accepted (a later operation
 * re-opens an accepted session, as a refund does). A cancelled session is final, and a session in
 * error waits for an operator: neither takes one (docs/decisions.md, "Several operations").
 */
export function assertTakesOperations(session: Session, what: string): void {
  if (session.status === 'cancelled') {
    throw new ApiError('invalid_session_state', `session ${session.id} cannot start ${what}: it is cancelled`);
  }
  if (session.status === 'error') {
    throw new ApiError('invalid_session_state', `session ${session.id} cannot start ${what}: it is in error and waits for resolution by support`);
  }
}
