import type { Db } from '../db/database.js';
import type { Clock } from '../../kernel/clock.js';
import { insertRequests, pruneRequests, type RequestLogEntry } from './request-log.repo.js';

export interface RequestLogWriterDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly log: { warn(obj: object, msg: string): void };
}

export interface RequestLogWriterOptions {
  /** How long a row is kept; 0 records nothing (retention.ts). */
  readonly retentionMs: number;
  /** A buffer is written at most this long after its first entry. */
  readonly flushMs?: number;
  /** …or as soon as it holds this many. */
  readonly maxRows?: number;
  readonly pruneEveryMs?: number;
}

/** What the buffer may hold while the database refuses writes; older entries are dropped beyond it. */
const MAX_BUFFERED = 10_000;
/** A batch refused this many times in a row is dropped: one row the database will never take must not block the log for good. */
const MAX_TRIES = 5;

/**
 * The request log's writer. The request path only pushes onto an array; one multi-row INSERT writes
 * the buffer every `flushMs` (200 ms) or `maxRows` (500) entries, and on stop(). What is buffered
 * when the process is killed (SIGKILL, a crash) is lost: at most the last ~200 ms of requests, an
 * accepted price for a debugging aid that must not slow the API. A timer prunes rows older than the
 * retention, by the sandbox-aware clock (moving the sandbox clock ages the log too); with several
 * instances each prunes, which is harmless.
 *
 * Nothing here can fail a request: record() only pushes (the hook calls it after the answer is
 * sent), and a refused INSERT is logged and retried a second later, up to MAX_TRIES, never thrown.
 */
export class RequestLogWriter {
  readonly #deps: RequestLogWriterDeps;
  readonly retentionMs: number;
  readonly #flushMs: number;
  readonly #maxRows: number;
  readonly #pruneEveryMs: number;
  #buffer: RequestLogEntry[] = [];
  #flushTimer: NodeJS.Timeout | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #dropped = 0;
  #failures = 0;

  constructor(deps: RequestLogWriterDeps, opts: RequestLogWriterOptions) {
    this.#deps = deps;
    this.retentionMs = opts.retentionMs;
    this.#flushMs = opts.flushMs ?? 200;
    this.#maxRows = opts.maxRows ?? 500;
    this.#pruneEveryMs = opts.pruneEveryMs ?? 60_000;
  }

  get enabled(): boolean {
    return this.retentionMs > 0;
  }

  start(): void {
    if (!this.enabled || this.#pruneTimer) return;
    this.#pruneTimer = setInterval(() => void this.prune().catch((err: unknown) => this.#deps.log.warn({ err }, 'request log prune failed')), this.#pruneEveryMs);
    this.#pruneTimer.unref();
  }

  /** The hot path: no I/O, no await. */
  record(entry: RequestLogEntry): void {
    if (!this.enabled) return;
    this.#buffer.push(entry);
    if (this.#buffer.length > MAX_BUFFERED) {
      this.#dropped += this.#buffer.length - MAX_BUFFERED;
      this.#buffer.splice(0, this.#buffer.length - MAX_BUFFERED);
    }
    if (this.#buffer.length >= this.#maxRows) this.#schedule(0);
    else this.#schedule(this.#flushMs);
  }

  #schedule(ms: number): void {
    if (this.#flushTimer && ms > 0) return;
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      void this.flush();
    }, ms);
    this.#flushTimer.unref();
  }

  /** Writes what is buffered (one INSERT per `maxRows`); a failed write keeps the rows for the next try. */
  async flush(): Promise<void> {
    if (this.#flushing) return this.#flushing.then(() => (this.#buffer.length ? this.flush() : undefined));
    this.#flushing = (async () => {
      while (this.#buffer.length > 0) {
        const batch = this.#buffer.splice(0, this.#maxRows);
        try {
          await insertRequests(this.#deps.db, batch);
          this.#failures = 0;
        } catch (err) {
          this.#failures += 1;
          if (this.#failures >= MAX_TRIES) {
            this.#dropped += batch.length;
            this.#failures = 0;
          } else this.#buffer.unshift(...batch);
          this.#deps.log.warn({ err, buffered: this.#buffer.length }, 'request log write failed; will retry');
          this.#schedule(1000);
          return;
        }
      }
      if (this.#dropped > 0) {
        this.#deps.log.warn({ dropped: this.#dropped }, 'request log entries dropped while the database refused writes');
        this.#dropped = 0;
      }
    })().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  /** Deletes rows older than the retention; returns how many. */
  async prune(): Promise<number> {
    if (!this.enabled) return 0;
    return pruneRequests(this.#deps.db, new Date(this.#deps.clock.now().getTime() - this.retentionMs));
  }

  /** Stops the timers and writes what is left (call before closing the database). */
  async stop(): Promise<void> {
    if (this.#pruneTimer) clearInterval(this.#pruneTimer);
    this.#pruneTimer = undefined;
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    await this.flush().catch(() => undefined);
  }
}
