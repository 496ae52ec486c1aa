import type { Db } from '../../platform/db/database.js';
import type { WebhookType } from '../../platform/db/schema.js';
import { findProjectByName } from '../../domain/projects/project.repo.js';
import type { SessionDeps } from '../../domain/sessions/session-deps.js';
import { loadSessionView } from '../../domain/sessions/session-view.js';
import { lockSession } from '../../domain/sessions/session.repo.js';
import { createSession } from '../../domain/sessions/session.service.js';
import { ApiError, invalidRequest } from '../../kernel/errors.js';

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
    const webhookId = await deps.events.emit(tx, project, await loadSessionView(tx, deps.operations, session), input.type, deps.clock.now());
    return { webhookId: webhookId!, sessionId: session.id };
  });
}
