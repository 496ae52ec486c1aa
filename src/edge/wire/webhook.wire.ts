import { formatTimestamp } from '../../kernel/time.js';
import type { AttemptLogEntry, WebhookLogEntry } from '../../platform/webhooks/webhook.repo.js';

/** The delivery log as the admin API shows it. */
export function renderAttempt(a: AttemptLogEntry) {
  return {
    id: a.id,
    attempted_at: formatTimestamp(a.attemptedAt),
    url: a.url,
    http_status: a.httpStatus,
    latency_ms: a.latencyMs,
    response_excerpt: a.responseExcerpt,
    error: a.error,
  };
}

export function renderWebhookLog(w: WebhookLogEntry) {
  return {
    id: w.id,
    session_id: w.sessionId,
    type: w.type,
    state: w.state,
    attempts_made: w.attemptsMade,
    next_attempt_at: w.state === 'pending' ? formatTimestamp(w.nextAttemptAt) : null,
    created_at: formatTimestamp(w.createdAt),
    delivered_at: w.deliveredAt ? formatTimestamp(w.deliveredAt) : null,
    last_error: w.lastError,
    body: JSON.parse(w.body) as unknown,
    attempts: w.attempts.map(renderAttempt),
  };
}
