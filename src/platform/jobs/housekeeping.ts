import type { Db } from '../db/database.js';
import { purgeExpiredKeys } from '../idempotency/idempotency.repo.js';
import { purgeUsedSignatures } from '../keys/used-signature.repo.js';
import { purgeDeadWorkers } from '../leases/lease.repo.js';
import type { Clock } from '../../kernel/clock.js';
import type { JobHandlers } from './job-kinds.js';
import { enqueueJob } from './job.repo.js';

/**
 * Periodic upkeep as ordinary jobs: each run schedules the next one. The unique key names the hour,
 * so instances starting together queue one job, not one each.
 */
const PURGE = 'purge_idempotency_keys' as const;

declare module './job-kinds.js' {
  interface JobPayloads {
    purge_idempotency_keys: null;
  }
}
const HOUR_MS = 3600_000;

/**
 * Upkeep that only tidies: a sandbox clock advance does not stop at each hourly run (a year would be
 * 8,784 stops); the run due at the end of the advance does it once.
 */
export const HOUSEKEEPING_KINDS: readonly string[] = [PURGE];

function nextHour(now: Date): Date {
  return new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS);
}

export async function scheduleHousekeeping(db: Db, clock: Clock): Promise<void> {
  const at = nextHour(clock.now());
  await enqueueJob(db, { kind: PURGE, payload: null, runAt: at, uniqueKey: `${PURGE}:${at.toISOString()}` }, clock.now());
}

export function housekeepingJobs(db: Db, clock: Clock): JobHandlers<typeof PURGE> {
  return {
    async [PURGE]() {
      await purgeExpiredKeys(db, clock.now());
      await purgeDeadWorkers(db);
      await purgeUsedSignatures(db);
      await scheduleHousekeeping(db, clock);
    },
  };
}
