import type { Queryable, Tx } from '../db/database.js';
import type { Keyring } from '../keys/keyring.js';
import type { Project } from '../projects/project.repo.js';
import type { Clock } from '../shared/clock.js';
import { normalizeCurrency } from '../shared/currencies.js';
import { ApiError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { protectCardData } from '../tokens/card-params.js';
import { findSession, insertSession, type Session, type SessionParams } from './session.repo.js';

export interface SessionDeps {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly keyring: Keyring;
}

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

/** session/create: stores whatever was given for a later start; the session waits in `created`. */
export async function createSession(tx: Tx, deps: SessionDeps, project: Project, input: SessionParams): Promise<Session> {
  const now = deps.clock.now();
  const id = deps.ids('ps');
  const params = await protectCardData(tx, deps, project.id, null, normalize(input), now);
  const session: Session = {
    id,
    projectId: project.id,
    status: 'created',
    nextAction: null,
    params,
    error: null,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
    cancelledAt: null,
  };
  await insertSession(tx, session);
  return session;
}

export async function getSession(db: Queryable, project: Project, id: string): Promise<Session> {
  const session = await findSession(db, project.id, id);
  if (!session) throw sessionNotFound(id);
  return session;
}
