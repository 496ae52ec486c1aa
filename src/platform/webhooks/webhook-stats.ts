import { sql } from 'kysely';
import type { Queryable } from '../db/database.js';

/** Read-only figures of the outbox for the dashboard's overview. */
export interface WebhookStats {
  /** Delivery attempts since `since`, and how many of them the receiver answered with 2xx. */
  readonly attempts: number;
  readonly succeeded: number;
  /** Webhooks not yet delivered (state pending), and how many of them are due now. */
  readonly pending: number;
  readonly due: number;
}

/** Served by webhook_attempts_attempted (0018) and webhooks_due (0002, partial on pending). */
export async function webhookStats(db: Queryable, since: Date, now: Date): Promise<WebhookStats> {
  const a = await db
    .selectFrom('webhook_attempts')
    .select([sql<string>`count(*)`.as('n'), sql<string>`count(*) FILTER (WHERE http_status BETWEEN 200 AND 299)`.as('ok')])
    .where('attempted_at', '>=', since)
    .executeTakeFirst();
  const p = await db
    .selectFrom('webhooks')
    .select([sql<string>`count(*)`.as('n'), sql<string>`count(*) FILTER (WHERE next_attempt_at <= ${now})`.as('due')])
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return { attempts: Number(a?.n ?? 0), succeeded: Number(a?.ok ?? 0), pending: Number(p?.n ?? 0), due: Number(p?.due ?? 0) };
}
