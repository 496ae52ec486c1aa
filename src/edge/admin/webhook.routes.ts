import type { FastifyInstance } from 'fastify';
import type { Db } from '../../platform/db/database.js';
import { findProjectByName } from '../../domain/projects/project.repo.js';
import type { SessionDeps } from '../../domain/sessions/session-deps.js';
import { ApiError, invalidRequest } from '../../kernel/errors.js';
import { formatTimestamp } from '../../kernel/time.js';
import type { Worker } from '../../platform/worker/worker.js';
import { lastAttemptId, listAttemptsAfter, listSessionWebhooks, resendWebhooks } from '../../platform/webhooks/webhook.repo.js';
import { AttemptsQuery, ResendWindowBody, TriggerBody } from '../wire/webhook.schema.js';
import { triggerWebhook } from './webhook-trigger.js';
import { renderAttempt, renderWebhookLog } from '../wire/webhook.wire.js';

/** Admin: the delivery log, resends, the tail feed, and (sandbox) a webhook trigger. */
export function webhookAdminRoutes(app: FastifyInstance, deps: SessionDeps & { db: Db; worker: Worker; sandbox: boolean }): void {
  app.get<{ Params: { id: string } }>('/sessions/:id/webhooks', { schema: { tags: ['admin'] } }, async (req) => ({
    status: 'ok',
    webhooks: (await listSessionWebhooks(deps.db, undefined, req.params.id)).map(renderWebhookLog),
  }));

  app.post<{ Params: { id: string } }>('/webhooks/:id/resend', { schema: { tags: ['admin'] } }, async (req) => {
    const n = await resendWebhooks(deps.db, deps.clock.now(), { id: req.params.id });
    if (n === 0) throw new ApiError('not_found', `webhook ${req.params.id} does not exist`);
    deps.worker.nudge();
    return { status: 'ok', resent: n };
  });

  app.post<{ Body: ResendWindowBody }>('/webhooks/resend', { schema: { body: ResendWindowBody, tags: ['admin'] } }, async (req) => {
    const from = new Date(req.body.from);
    const to = new Date(req.body.to);
    if (!(from < to)) throw invalidRequest('from must be before to');
    let projectId: string | undefined;
    if (req.body.project) {
      const project = await findProjectByName(deps.db, req.body.project);
      if (!project) throw new ApiError('not_found', `project "${req.body.project}" does not exist`);
      projectId = project.id;
    }
    const n = await resendWebhooks(deps.db, deps.clock.now(), { failedBetween: { from, to }, ...(projectId ? { projectId } : {}) });
    deps.worker.nudge();
    return { status: 'ok', resent: n };
  });

  app.get<{ Querystring: AttemptsQuery }>('/webhooks/attempts', { schema: { querystring: AttemptsQuery, tags: ['admin'] } }, async (req) => {
    const after = req.query.after ?? (await lastAttemptId(deps.db));
    const rows = await listAttemptsAfter(deps.db, after, Math.min(Number(req.query.limit ?? 100), 500));
    return {
      status: 'ok',
      cursor: rows.at(-1)?.id ?? after,
      attempts: rows.map((a) => ({ ...renderAttempt(a), webhook_id: a.webhookId, session_id: a.sessionId, type: a.type })),
    };
  });

  app.post<{ Body: TriggerBody }>('/webhooks/trigger', { schema: { body: TriggerBody, tags: ['admin'] } }, async (req) => {
    if (!deps.sandbox) throw new ApiError('authorization_error', 'webhooks can only be triggered by hand in sandbox mode');
    const out = await triggerWebhook(deps.db, deps, req.body.project ?? 'demo', { sessionId: req.body.session_id, type: req.body.type });
    deps.worker.nudge();
    return { status: 'ok', webhook_id: out.webhookId, session_id: out.sessionId, queued_at: formatTimestamp(deps.clock.now()) };
  });
}
