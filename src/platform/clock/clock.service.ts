import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Db } from '../db/database.js';
import type { OffsetClock } from '../../kernel/clock.js';
import type { Worker } from '../worker/worker.js';
import { raiseClockOffset, readClockOffset } from './clock.repo.js';

export const MAX_ADVANCE_MS = 366 * 86_400_000;
const MAX_STEPS = 10_000;

/** An advance under way in this process, as `GET /admin/clock` shows it. */
export interface AdvanceProgress {
  readonly startedAt: Date;
  readonly from: Date;
  readonly target: Date;
  readonly now: Date;
  readonly steps: number;
  readonly ran: number;
}

export interface AdvanceResult {
  readonly now: Date;
  readonly steps: number;
  readonly ran: number;
}

/**
 * Moves the sandbox clock forward, playing out what falls due on the way, in time order: the clock
 * stops at each due webhook attempt or job, runs it (and whatever it makes due, here or on another
 * instance: Worker.drain waits for due work under any live lease), then moves on. A 30-minute retry
 * schedule therefore happens at its scheduled clock times, not all at the end, and a 240-minute
 * confirm timeout fires at minute 240. Hourly upkeep does not make the clock stop (it runs once, at
 * the end). Between steps the event loop serves other requests. Advances in one process queue up.
 */
export class ClockAdvancer {
  readonly #db: Db;
  readonly #clock: OffsetClock;
  readonly #worker: Worker;
  readonly #onProgress: ((p: AdvanceProgress) => void) | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #progress: AdvanceProgress | undefined;

  constructor(db: Db, clock: OffsetClock, worker: Worker, onProgress?: (p: AdvanceProgress) => void) {
    this.#db = db;
    this.#clock = clock;
    this.#worker = worker;
    this.#onProgress = onProgress;
  }

  /** The advance running now, if any. */
  get progress(): AdvanceProgress | undefined {
    return this.#progress;
  }

  advance(ms: number): Promise<AdvanceResult> {
    const run = this.#queue.then(() => this.#advance(ms));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #advance(ms: number): Promise<AdvanceResult> {
    const { db, clock, worker } = { db: this.#db, clock: this.#clock, worker: this.#worker };
    await syncClock(db, clock);
    const targetOffset = clock.offsetMs + ms;
    const startedAt = new Date();
    const from = clock.now();
    const target = new Date(Date.now() + targetOffset);
    let steps = 0;
    let ran = 0;
    let reported = Date.now();
    const report = () => {
      this.#progress = { startedAt, from, target, now: clock.now(), steps, ran };
      if (Date.now() - reported >= 1000) {
        reported = Date.now();
        this.#onProgress?.(this.#progress);
      }
    };
    report();
    try {
      ran += await worker.drain();
      for (; steps < MAX_STEPS; steps++) {
        const next = await worker.nextDueAfter(clock.now());
        if (!next) break;
        const offsetAtNext = next.getTime() - Date.now();
        if (offsetAtNext > targetOffset) break;
        await setOffset(db, clock, offsetAtNext);
        ran += await worker.drain();
        report();
        await yieldToEventLoop();
      }
      await setOffset(db, clock, targetOffset);
      ran += await worker.drain();
      return { now: clock.now(), steps, ran };
    } finally {
      this.#progress = undefined;
    }
  }
}

async function setOffset(db: Db, clock: OffsetClock, offsetMs: number): Promise<void> {
  if (offsetMs <= clock.offsetMs) return;
  clock.setOffset(await raiseClockOffset(db, offsetMs));
}

/** Adopts the shared offset if another instance moved it further. */
export async function syncClock(db: Db, clock: OffsetClock): Promise<void> {
  const shared = await readClockOffset(db);
  if (shared > clock.offsetMs) clock.setOffset(shared);
}
