import type { IdGenerator } from '../../kernel/ids.js';
import type { SessionEvents } from '../../domain/sessions/session-events.js';
import { insertWebhook } from '../../platform/webhooks/webhook.repo.js';
import { initialState } from '../../platform/webhooks/webhook.status.js';
import { renderSession } from './session.wire.js';

/**
 * The outbox writer behind the domain's SessionEvents port. Called inside the transaction that
 * changes the session, so the change and its webhook commit together: a crash can neither lose a
 * webhook nor send one for a change that did not happen. The body is the whole session as it is at
 * this moment, rendered once, and never re-rendered: retries, resends and `payrail listen` send these
 * same bytes. It is rendered in the API version the session was created with (the path of its
 * creating call), so a v2 client reads v2 names in every webhook; a session without one (created
 * before migration 0014, or by the admin API) uses the project's api_version setting
 * (docs/webhooks.md). Every webhook is recorded, with or without a webhook_url: without one it is
 * 'no_endpoint' (never attempted) and reaches the partner only through `payrail listen`
 * (docs/listen-and-logs.md) or the admin webhook log.
 */
export function outboxEvents(deps: { ids: IdGenerator }): SessionEvents {
  return {
    async emit(tx, project, view, type, now) {
      const id = deps.ids('wh');
      const body = JSON.stringify({ type, session: renderSession(view, view.session.apiVersion ?? project.apiVersion, project) });
      await insertWebhook(tx, { id, projectId: project.id, sessionId: view.session.id, type, body, now, state: initialState(project.webhookUrl !== null && project.webhookUrl !== '') });
      return id;
    },
  };
}
