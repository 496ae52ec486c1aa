/**
 * Whether a worker woken by a commit in this process has anything to claim. Every partner call's
 * commit nudges the worker (src/edge/app.ts); most queue no webhook and no job due at once, and a
 * claim that finds nothing is a wasted round trip. So the enqueue code marks what it queued
 * (insertWebhook, resendWebhooks, enqueueJob of a job due now) and the claims count off what they
 * took; the worker's nudge wakes a loop only while marks are outstanding (platform/worker).
 *
 * A mark is made inside the enqueuing transaction, before its commit, so a nudge from some other
 * commit may come first, wake the loop and claim nothing: the mark stays outstanding, and the
 * enqueuing call's own nudge, after its commit, claims it. Marks whose rows never show up (the
 * transaction rolled back, another instance took the rows) are forgotten once a claim with room to
 * spare finds nothing FORGET_MS after the last mark; until then every nudge claims, as it did before
 * marks existed. A lost wake-up costs latency, never a webhook or a job: the loops still poll.
 *
 * One per queue per process (`webhookMarks`, `jobMarks`), shared by every worker in the process.
 */
export class WakeMarks {
  #outstanding = 0;
  #lastMarkAt = Number.NEGATIVE_INFINITY;

  /** `n` rows were queued, due at once, in a transaction that is about to commit. */
  mark(n: number): void {
    if (!(n > 0)) return;
    this.#outstanding += n;
    this.#lastMarkAt = performance.now();
  }

  /** A claim took `taken` rows of the kind marked; `roomLeft`: it found fewer than it had room for. */
  claimed(taken: number, roomLeft: boolean): void {
    this.#outstanding = Math.max(0, this.#outstanding - taken);
    if (roomLeft && taken === 0 && performance.now() - this.#lastMarkAt > FORGET_MS) this.#outstanding = 0;
  }

  /** Something queued here may be waiting for a claim. */
  pending(): boolean {
    return this.#outstanding > 0;
  }
}

/** Longer than any transaction that queues work should stay open. */
const FORGET_MS = 2000;
