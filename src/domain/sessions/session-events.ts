import type { Tx } from '../../platform/db/database.js';
import type { WebhookType } from '../../platform/db/schema.js';
import type { Project } from '../projects/project.repo.js';
import type { SessionView } from './session-view.js';

/** The webhook types a session change can cause (§9.2). */
export type SessionEventType = WebhookType;

/**
 * The port through which the domain says "the session reached this point": called inside the
 * transaction that changed the session, so the change and its notification commit together (the
 * outbox). The edge implements it: it renders the session in the project's API version and queues
 * the webhook (src/edge/wire/outbox-events.ts). Returns the webhook's id: every event is recorded,
 * whether or not the project has a webhook_url (without one it is only streamed to `payrail listen`).
 */
export interface SessionEvents {
  emit(tx: Tx, project: Project, view: SessionView, type: SessionEventType, now: Date): Promise<string>;
}
