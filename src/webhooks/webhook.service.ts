import type { Db, Tx } from '../db/database.js';
import { findProjectByName } from '../projects/project.repo.js';
import { loadSessionView, type SessionView } from '../sessions/session-view.js';
import { lockSession } from '../sessions/session.repo.js';
import { createSession, type SessionDeps } from '../sessions/session.service.js';
import { ApiError, invalidRequest } from '../shared/errors.js';
import type { WebhookType } from '../db/schema.js';
import type { Project } from '../projects/project.repo.js';
import { renderSession } from '../sessions/session.wire.js';
import type { IdGenerator } from '../shared/ids.js';
import { insertWebhook } from './webhook.repo.js';

/**
 * The outbox writer. Called inside the transaction that changes the session, so the change and its
 * webhook commit together: a crash can neither lose a webhook nor send one for a change that did
 * not happen. The body is the session as it is at this moment, rendered once for the project's API
 * version, and never re-rendered: retries and resends send these same bytes.
 * Nothing is queued for a project without a webhook_url (the partner polls session/status).
 */
export async function enqueueWebhook(
  tx: Tx,
  deps: { ids: IdGenerator },
  project: Project,
  view: SessionView,
  type: WebhookType,
  now: Date,
): Promise<string | undefined> {
  if (!project.webhookUrl) return undefined;
  const id = deps.ids('wh');
  const body = JSON.stringify({ type, session: renderSession(view, project.apiVersion, project) });
  await insertWebhook(tx, { id, projectId: project.id, sessionId: view.session.id, type, body, now });
  return id;
}

/**
 * Sandbox: queue a webhook of any type for a session as it is now (a new empty session when none is
 * named), so a partner can exercise their receiver before any payment flow exists. The body is the
 * same snapshot a real state change would send.
 */
export async function triggerWebhook(
  db: Db,
  deps: SessionDeps,
  projectName: string,
  input: { sessionId?: string | undefined; type: WebhookType },
): Promise<{ webhookId: string; sessionId: string }> {
  return db.transaction().execute(async (tx) => {
    const project = await findProjectByName(tx, projectName);
    if (!project) throw new ApiError('not_found', `project "${projectName}" does not exist`);
    if (!project.webhookUrl) throw invalidRequest(`project "${projectName}" has no webhook_url; set one with payrail project update ${projectName} --webhook-url <url>`);
    const session = input.sessionId ? await lockSession(tx, project.id, input.sessionId) : await createSession(tx, deps, project, {});
    if (!session) throw new ApiError('session_not_found', `session ${input.sessionId} not found`);
    const webhookId = await enqueueWebhook(tx, deps, project, await loadSessionView(tx, session), input.type, deps.clock.now());
    return { webhookId: webhookId!, sessionId: session.id };
  });
}
