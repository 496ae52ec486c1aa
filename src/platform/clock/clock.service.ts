import type { Db } from '../db/database.js';
import type { OffsetClock } from '../../kernel/clock.js';
import type { Worker } from '../worker/worker.js';
import { raiseClockOffset, readClockOffset } from './clock.repo.js';

export const MAX_ADVANCE_MS = 366 * 86_400_000;
const MAX_STEPS = 10_000;

/**
 * Moves the sandbox clock forward by `ms`, playing out what falls due on the way, in time order:
 * the clock stops at each due webhook attempt or job, runs it (and whatever it makes due), then
 * moves on. A 30-minute retry schedule therefore happens at its scheduled clock times, not all at
 * the end, and a 240-minute confirm timeout fires at minute 240.
 */
export async function advanceClock(db: Db, clock: OffsetClock, worker: Worker, ms: number): Promise<{ now: Date; steps: number; ran: number }> {
  await syncClock(db, clock);
  const targetOffset = clock.offsetMs + ms;
  let steps = 0;
  let ran = await worker.drain();
  for (; steps < MAX_STEPS; steps++) {
    const next = await worker.nextDueAfter(clock.now());
    if (!next) break;
    const offsetAtNext = next.getTime() - Date.now();
    if (offsetAtNext > targetOffset) break;
    await setOffset(db, clock, offsetAtNext);
    ran += await worker.drain();
  }
  await setOffset(db, clock, targetOffset);
  ran += await worker.drain();
  return { now: clock.now(), steps, ran };
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
