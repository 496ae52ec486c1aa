import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { enqueueJob, type Job } from '../src/platform/jobs/job.repo.js';
import type { JobKind } from '../src/platform/jobs/job-kinds.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { onPostgres } from './helpers/test-db.js';

// Timed work runs on the job table and the injected clock: moving the sandbox clock runs due jobs
// at once, in time order, at their own clock times.
const ran: { kind: string; payload: unknown; at: number }[] = [];
let failuresLeft = 2;
const finishes: { payload: unknown; attempts: number; rowAfter: number }[] = [];
let h: Harness;

before(async () => {
  h = await startHarness({
    runtime: {
      jobHandlers: [
        ['record', async (job: Job) => void ran.push({ kind: 'record', payload: job.payload, at: h.clock.now().getTime() })],
        [
          // Ends its job in its own transaction (JobFinish), as a lifecycle step does; payload 'rollback' throws after it.
          'finisher',
          async (job: Job) => {
            const { db } = h.runtime.database;
            const rows = () => db.selectFrom('jobs').select('id').where('id', '=', job.id).execute();
            try {
              await db.transaction().execute(async (tx) => {
                await job.finish!.in(tx);
                // PGlite's one connection is this transaction's: only PostgreSQL has another to look from.
                if (onPostgres) assert.equal((await rows()).length, 1, 'queued only: another connection still sees the job');
                if (job.payload === 'rollback' && job.attempts === 1) throw new Error('rolled back');
              });
            } catch (err) {
              finishes.push({ payload: job.payload, attempts: job.attempts, rowAfter: (await rows()).length });
              throw err;
            }
            job.finish!.committed();
            finishes.push({ payload: job.payload, attempts: job.attempts, rowAfter: (await rows()).length });
          },
        ],
        [
          'flaky',
          async (job: Job) => {
            if (failuresLeft-- > 0) throw new Error('not yet');
            ran.push({ kind: 'flaky', payload: job.attempts, at: h.clock.now().getTime() });
          },
        ],
      ],
    },
  });
});
after(async () => h.close());

// The test's own kinds ('record', 'flaky') are registered untyped through RuntimeOptions.jobHandlers.
const enqueue = (kind: string, payload: unknown, inMs: number, uniqueKey?: string) =>
  enqueueJob(h.runtime.database.db, { kind: kind as JobKind, payload: payload as never, runAt: new Date(h.clock.now().getTime() + inMs), ...(uniqueKey ? { uniqueKey } : {}) }, h.clock.now());

test('advancing the clock runs due jobs in time order, each at its own time', async () => {
  const t0 = h.clock.now().getTime();
  await enqueue('record', 'confirm timeout', 240 * 60_000);
  await enqueue('record', '3ds timeout', 60 * 60_000);
  await enqueue('record', 'hold expiry', 5 * 86_400_000);
  const res = await h.admin('POST', '/clock/advance', { seconds: 5 * 3600 });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(ran.map((r) => r.payload), ['3ds timeout', 'confirm timeout']);
  assert.ok(Math.abs(ran[0]!.at - (t0 + 60 * 60_000)) < 5_000, 'ran at minute 60');
  assert.ok(Math.abs(ran[1]!.at - (t0 + 240 * 60_000)) < 5_000, 'ran at minute 240');
  await h.admin('POST', '/clock/advance', { seconds: 5 * 86_400 });
  assert.deepEqual(ran.map((r) => r.payload), ['3ds timeout', 'confirm timeout', 'hold expiry']);
  const left = await h.runtime.database.db.selectFrom('jobs').select('kind').where('kind', '=', 'record').execute();
  assert.deepEqual(left, [], 'finished jobs are removed');
});

test('a unique key queues a job once: from two calls, and twice in one transaction', async () => {
  const { db } = h.runtime.database;
  const queued = async (key: string) => (await db.selectFrom('jobs').select('payload').where('unique_key', '=', key).execute()).map((r) => r.payload);
  await enqueue('record', 'a', 1000, 'session:ps_1:confirm_timeout');
  await enqueue('record', 'b', 1000, 'session:ps_1:confirm_timeout');
  assert.deepEqual(await queued('session:ps_1:confirm_timeout'), ['a']);
  // Written behind (write-behind.ts): both inserts go out at COMMIT, the second finds the first's key.
  await db.transaction().execute(async (tx) => {
    for (const payload of ['c', 'd']) await enqueueJob(tx, { kind: 'record' as JobKind, payload: payload as never, runAt: new Date(h.clock.now().getTime() + 1000), uniqueKey: 'session:ps_2:confirm_timeout' }, h.clock.now());
  });
  assert.deepEqual(await queued('session:ps_2:confirm_timeout'), ['c']);
  await h.admin('POST', '/clock/advance', { seconds: 2 });
  assert.equal(ran.filter((r) => r.payload === 'a' || r.payload === 'b').length, 1);
  assert.deepEqual(ran.filter((r) => r.payload === 'c' || r.payload === 'd').map((r) => r.payload), ['c']);
});

test("a handler's transaction ends its job with its own writes; rolled back, the job stays and runs again", async () => {
  const { db } = h.runtime.database;
  await enqueue('finisher', 'commit', 0, 'finisher:commit');
  await enqueue('finisher', 'rollback', 0, 'finisher:rollback');
  await h.admin('POST', '/clock/advance', { seconds: 60 });
  assert.deepEqual(
    finishes.filter((f) => f.payload === 'commit'),
    [{ payload: 'commit', attempts: 1, rowAfter: 0 }],
    'the job was gone as soon as its transaction committed, before the handler returned',
  );
  assert.deepEqual(
    finishes.filter((f) => f.payload === 'rollback'),
    [
      { payload: 'rollback', attempts: 1, rowAfter: 1 },
      { payload: 'rollback', attempts: 2, rowAfter: 0 },
    ],
    'the rolled-back deletion left the job, which failed, ran again and ended',
  );
  assert.deepEqual(await db.selectFrom('jobs').select('id').where('kind', '=', 'finisher').execute(), []);
});

test('a failing job is retried with growing backoff until it succeeds', async () => {
  await enqueue('flaky', null, 0);
  await h.admin('POST', '/clock/advance', { seconds: 60 });
  const done = ran.filter((r) => r.kind === 'flaky');
  assert.equal(done.length, 1);
  assert.equal(done[0]!.payload, 3, 'succeeded on the third attempt');
});

test('a job with no handler stays with its error for an operator to see', async () => {
  await enqueue('nobody-handles-this', {}, 0);
  await h.admin('POST', '/clock/advance', { seconds: 1 });
  const row = await h.runtime.database.db.selectFrom('jobs').selectAll().where('kind', '=', 'nobody-handles-this').executeTakeFirstOrThrow();
  assert.equal(row.last_error, 'no handler for job kind "nobody-handles-this"');
  assert.ok(row.attempts >= 1);
});
