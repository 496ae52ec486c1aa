import type { Queryable } from '../db/database.js';
import type { WebhookState, WebhookType } from '../db/schema.js';

/**
 * What `payrail listen` reads: a project's webhooks in the order they were written (seq), after a
 * cursor. Served by the index webhooks_project_seq (migration 0016).
 */
export interface FeedWebhook {
  readonly seq: string;
  readonly id: string;
  readonly sessionId: string;
  readonly type: WebhookType;
  readonly state: WebhookState;
  readonly body: string;
  readonly createdAt: Date;
}

export async function webhooksAfter(db: Queryable, projectId: string, afterSeq: string, limit: number): Promise<FeedWebhook[]> {
  const rows = await db
    .selectFrom('webhooks')
    .select(['seq', 'id', 'session_id', 'type', 'state', 'body', 'created_at'])
    .where('project_id', '=', projectId)
    .where('seq', '>', afterSeq as never)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ seq: String(r.seq), id: r.id, sessionId: r.session_id, type: r.type, state: r.state, body: r.body, createdAt: r.created_at }));
}

/** The project's newest seq ("0" when it has none): where a stream without a cursor starts. */
export async function lastWebhookSeq(db: Queryable, projectId: string): Promise<string> {
  const row = await db
    .selectFrom('webhooks')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return String(row?.seq ?? '0');
}

/**
 * A cursor that does not skip late commits. seq is taken when a row is inserted, not when its
 * transaction commits, so on PostgreSQL with several connections seq 11 can become visible before
 * seq 10. Reading strictly after the highest seq seen would lose 10. Instead each read starts at a
 * low-water mark that trails the highest seq seen by `graceMs`, and the seqs already sent above it
 * are remembered and skipped. A transaction that holds its seq for longer than the grace (5 s; the
 * writing transactions last milliseconds) could still be missed; said in docs/listen-and-logs.md.
 */
export class FeedCursor {
  readonly #graceMs: number;
  #low: bigint;
  #high: bigint;
  readonly #sent = new Map<bigint, number>();

  constructor(after: string, graceMs = 5000) {
    this.#low = BigInt(after);
    this.#high = this.#low;
    this.#graceMs = graceMs;
  }

  /**
   * Where the next read starts: every seq at or below it was sent (or waited past the grace). Sent
   * to the client as `resume_after`, the cursor it reconnects with (skipping the seqs it has).
   */
  get readAfter(): string {
    return String(this.#low);
  }

  /** The highest seq sent: where a read continues past a page full of seqs already sent. */
  get position(): string {
    return String(this.#high);
  }

  /** True the first time a seq is offered (it is then remembered as sent). */
  take(seq: string, nowMs: number): boolean {
    const n = BigInt(seq);
    if (n <= this.#low || this.#sent.has(n)) return false;
    this.#sent.set(n, nowMs);
    if (n > this.#high) this.#high = n;
    return true;
  }

  /** Moves the low-water mark past every seq sent more than the grace ago with no unsent seq below it. */
  advance(nowMs: number): void {
    const ordered = [...this.#sent.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const n of ordered) {
      if (nowMs - this.#sent.get(n)! < this.#graceMs) break;
      this.#low = n;
      this.#sent.delete(n);
    }
  }
}
