import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../platform/db/database.js';
import type { OffsetClock } from '../../kernel/clock.js';
import { ApiError } from '../../kernel/errors.js';
import { formatTimestamp } from '../../kernel/time.js';
import type { Worker } from '../../platform/worker/worker.js';
import { ClockAdvancer, MAX_ADVANCE_MS, syncClock, type AdvanceProgress } from '../../platform/clock/clock.service.js';

const AdvanceBody = Type.Object(
  { seconds: Type.Integer({ minimum: 1, maximum: MAX_ADVANCE_MS / 1000, errorMessage: 'must be a whole number of seconds from 1 to 31622400 (366 days)' }) },
  { title: 'AdvanceClockRequest' },
);
type AdvanceBody = Static<typeof AdvanceBody>;

/** Admin: the sandbox clock. Reading works in every mode; moving it only in sandbox mode. */
export function clockAdminRoutes(app: FastifyInstance, deps: { db: Db; clock: OffsetClock | undefined; worker: Worker }): void {
  const render = (clock: OffsetClock) => ({ now: formatTimestamp(clock.now()), offset_seconds: Math.floor(clock.offsetMs / 1000) });
  const progressOf = (p: AdvanceProgress) => ({
    from: formatTimestamp(p.from),
    to: formatTimestamp(p.target),
    now: formatTimestamp(p.now),
    steps: p.steps,
    ran: p.ran,
    elapsed_ms: Date.now() - p.startedAt.getTime(),
  });
  const advancer = deps.clock
    ? new ClockAdvancer(deps.db, deps.clock, deps.worker, (p) => app.log.info({ advancing: progressOf(p) }, 'clock advance in progress'))
    : undefined;

  app.get('/clock', { schema: { tags: ['admin'] } }, async () => {
    if (!deps.clock) return { status: 'ok', clock: { now: formatTimestamp(new Date()), offset_seconds: 0, sandbox: false } };
    await syncClock(deps.db, deps.clock);
    const progress = advancer?.progress;
    return { status: 'ok', clock: { ...render(deps.clock), sandbox: true, ...(progress ? { advancing: progressOf(progress) } : {}) } };
  });

  app.post<{ Body: AdvanceBody }>('/clock/advance', { schema: { body: AdvanceBody, tags: ['admin'] } }, async (req) => {
    if (!deps.clock || !advancer) throw new ApiError('authorization_error', 'the clock can only be moved in sandbox mode');
    const result = await advancer.advance(req.body.seconds * 1000);
    return { status: 'ok', clock: { ...render(deps.clock), sandbox: true }, ran: result.ran, steps: result.steps };
  });
}
