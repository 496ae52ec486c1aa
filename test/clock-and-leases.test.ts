import assert from 'node:assert/strict';
import { createPrivateKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pino from 'pino';
import pg from 'pg';
import { loadConfig } from '../src/platform/config/config.js';
import { openDatabase } from '../src/platform/db/database.js';
import type { JobKind } from '../src/platform/jobs/job-kinds.js';
import { enqueueJob } from '../src/platform/jobs/job.repo.js';
import { LEASE_SECONDS, STALE_SECONDS } from '../src/platform/leases/lease.repo.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { advance, dest, ok, payoutBody, payoutIn, statusOf, topUp, until, untilPending, USD } from './helpers/payouts.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { adminCall, killServer, listening, signedPost, spawnServer, type ServerProcess } from './helpers/server-process.js';
import { onPostgres } from './helpers/test-db.js';
import { ensureBuilt, killIfRunning, spawnWorker, workerEnv, type WorkerProcess } from './helpers/worker-process.js';

/**
 * The sandbox clock and the leases on claimed work, with real instances and real kills:
 * - a payout confirmed just before an advance settles within that advance, with two instances
 *   running their background loops on one database (the race of issue 10, item 3);
 * - a worker killed with SIGKILL mid-job gives the job back within seconds (its heartbeat stops),
 *   and a PGlite server restarted on its data dir releases the dead process's leases at once;
 * - a year's advance does not stop at each hourly upkeep run, and the API answers meanwhile.
 */
const MASTER_KEY = randomBytes(32).toString('hex');

describe('confirm, then advance at once: the payout settles within that advance', () => {
  let h: Harness;
  let other: Runtime | undefined;
  const ROUNDS = 50;

  before(async () => {
    h = await startHarness({ env: { PAYRAIL_MASTER_KEY: MASTER_KEY } });
    if (h.db.url) {
      // A second instance on the same database, its background worker running, as behind a load balancer.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-second-'));
      const config = loadConfig({ PAYRAIL_DATA_DIR: dir, DATABASE_URL: h.db.url, PAYRAIL_MASTER_KEY: MASTER_KEY, LOG_LEVEL: 'warn' });
      other = await createRuntime(config, { logger: pino({ level: 'silent' }), startWorker: true });
    }
    await topUp(h, 'demo', 100_000_000);
  });
  after(async () => {
    await other?.close();
    await h.close();
  });

  test(`${ROUNDS} rounds of confirm then advance a clock-day (${onPostgres ? 'two instances' : 'one instance'}): all ${ROUNDS} settled`, { timeout: 120_000 }, async (t) => {
    const unsettled: string[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // A bank transfer settles one clock-day after the rail accepts it.
      const init = await ok(h, 'session/init/payout', payoutBody('v1', dest.uk(), USD(1000 + i)));
      const sid: string = init.session.id;
      await untilPending(h, sid);
      await ok(h, 'session/confirm', { session_id: sid });
      await advance(h, 86_400 + 60);
      const s = await statusOf(h, sid);
      if (s['status'] !== 'accepted' || payoutIn(s).status !== 'succeeded') unsettled.push(`${sid}: ${s['status']}/${payoutIn(s).status}`);
    }
    t.diagnostic(`${ROUNDS - unsettled.length} of ${ROUNDS} settled within their advance`);
    assert.deepEqual(unsettled, []);
  });
});

describe('a year in one advance', () => {
  let h: Harness;
  const ran: number[] = [];
  const MONTHLY = 12;
  before(async () => {
    // A test job that takes 100 ms, due once a month: the advance has real work to stop for.
    const slow = async () => {
      ran.push(Date.now());
      await new Promise((r) => setTimeout(r, 100));
    };
    h = await startHarness({ runtime: { jobHandlers: [['test.monthly', slow]] } });
  });
  after(() => h.close());

  test('366 days: hourly upkeep runs once, not 8,784 times; progress is visible and the API answers meanwhile', { timeout: 60_000 }, async (t) => {
    const now0 = h.clock.now().getTime();
    for (let m = 1; m <= MONTHLY; m++) {
      await enqueueJob(h.runtime.database.db, { kind: 'test.monthly' as JobKind, payload: null as never, runAt: new Date(now0 + m * 30 * 86_400_000) }, h.clock.now());
    }
    const started = Date.now();
    let done = false;
    const advancing = h.admin('POST', '/clock/advance', { seconds: 366 * 86_400 }).finally(() => {
      done = true;
    });
    let polls = 0;
    let slowest = 0;
    let progress: { from: string; to: string; steps: number } | undefined;
    while (!done) {
      const t0 = Date.now();
      const res = await h.admin('GET', '/clock');
      slowest = Math.max(slowest, Date.now() - t0);
      polls++;
      assert.equal(res.statusCode, 200, res.body);
      progress ??= res.json().clock.advancing;
      await new Promise((r) => setTimeout(r, 2));
    }
    const res = await advancing;
    assert.equal(res.statusCode, 200, res.body);
    const took = Date.now() - started;
    t.diagnostic(`366 days in ${took} ms, ${res.json().steps} stops, ${res.json().ran} runs; ${polls} reads meanwhile, slowest ${slowest} ms`);
    assert.equal(ran.length, MONTHLY, 'every monthly job ran');
    assert.ok(res.json().steps >= MONTHLY && res.json().steps < MONTHLY + 10, `the clock stopped ${res.json().steps} times`);
    assert.ok(took < 15_000, `the advance took ${took} ms`);
    assert.ok(slowest < 2_000, `a read waited ${slowest} ms during the advance`);
    assert.ok(progress, 'GET /admin/clock shows the advance under way');
    assert.ok(Date.parse(progress.to) - Date.parse(progress.from) >= 366 * 86_400_000 - 1000, JSON.stringify(progress));
    // The upkeep ran at the end and scheduled its next run after the new time.
    const now = Date.parse(res.json().clock.now);
    const jobs = await h.runtime.database.db.selectFrom('jobs').select(['kind', 'run_at']).where('kind', '=', 'purge_idempotency_keys').execute();
    assert.equal(jobs.length, 1, JSON.stringify(jobs));
    const next = new Date(jobs[0]!.run_at as unknown as string).getTime();
    assert.ok(next > now && next <= now + 3_600_000, `next upkeep at ${new Date(next).toISOString()}, clock at ${res.json().clock.now}`);
    assert.equal((await h.admin('GET', '/clock')).json().clock.advancing, undefined, 'no advance is shown once it is done');
  });
});

describe('a worker killed mid-job gives the job back within seconds', { skip: onPostgres ? false : 'two processes share a database only on PostgreSQL' }, () => {
  let h: Harness;
  let worker: WorkerProcess | undefined;
  before(async () => {
    await ensureBuilt();
    h = await startHarness({ env: { PAYRAIL_MASTER_KEY: MASTER_KEY }, runtime: { startWorker: false } });
    await topUp(h, 'demo', 1_000_000);
  });
  after(async () => {
    await killIfRunning(worker);
    await h.close();
  });

  test(`SIGKILL while payout.send runs: another worker finishes it within ${STALE_SECONDS + 10} s (the lease is ${LEASE_SECONDS} s), the rail sees one send`, { timeout: 120_000 }, async (t) => {
    worker = spawnWorker({ ...workerEnv(h.dataDir, h.db.url), PAYRAIL_MASTER_KEY: MASTER_KEY });
    const deadId = await worker.id;
    const init = await ok(h, 'session/init/payout', payoutBody('v1', dest.card(), USD(700)));
    const sid: string = init.session.id;
    const po: string = payoutIn(init.session).id;
    await until(h, sid, (s) => s['next_action'] === 'confirm', { timeoutMs: 30_000 });

    // Hold the rail: an uncommitted answer for this payout's send makes the worker's send wait on it.
    const blocker = new pg.Client({ connectionString: h.db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`INSERT INTO sandbox_processor_ops (operation_id, kind, result, created_at) VALUES ($1, 'payout', '{}', now())`, [`${po}:send`]);
      await ok(h, 'session/confirm', { session_id: sid });
      const db = h.runtime.database.db;
      const deadline = Date.now() + 20_000;
      for (;;) {
        const job = await db.selectFrom('jobs').select(['locked_by']).where('kind', '=', 'payout.send').executeTakeFirst();
        const waiting = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(db);
        if (job?.locked_by === deadId && (waiting.rows[0]?.n ?? 0) > 0) break;
        assert.ok(Date.now() < deadline, `the worker did not start the send: ${JSON.stringify(job)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      worker.child.kill('SIGKILL');
      await worker.exited;
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    const killedAt = Date.now();
    h.runtime.worker.start();
    const fin = await until(h, sid, (s) => s['status'] === 'accepted' || s['status'] === 'cancelled', { timeoutMs: (STALE_SECONDS + 10) * 1000 });
    const took = Date.now() - killedAt;
    t.diagnostic(`the payout finished ${took} ms after the kill`);
    assert.equal(payoutIn(fin).status, 'succeeded', JSON.stringify(fin));
    assert.ok(took < LEASE_SECONDS * 1000, `finished ${took} ms after the kill`);
    const sends = await h.runtime.database.db.selectFrom('sandbox_processor_ops').select('operation_id').where('operation_id', '=', `${po}:send`).execute();
    assert.equal(sends.length, 1, 'the rail was asked once (the second worker got the first answer)');
  });
});

describe('a PGlite server killed mid-delivery, restarted on its data dir', { skip: onPostgres ? 'PGlite only: a data dir belongs to one process' : false }, () => {
  let dataDir: string;
  let server: ServerProcess | undefined;
  let rx: Receiver;
  before(async () => {
    await ensureBuilt();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-lease-'));
  });
  after(async () => {
    await killServer(server);
    await rx?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('the webhook the dead process had in flight is delivered at once after the restart, not when its lease runs out', { timeout: 120_000 }, async (t) => {
    const env = { ...workerEnv(dataDir, undefined), PAYRAIL_MASTER_KEY: MASTER_KEY };
    server = spawnServer(env);
    const url = await listening(server);
    const publicKey = fs.readFileSync(path.join(dataDir, 'payrail.public.pem'), 'utf8');
    let hang = true;
    rx = await startReceiver(publicKey, () => (hang ? 'hang' : { status: 200, body: 'ok' }));
    assert.equal((await adminCall(url, dataDir, 'PATCH', '/projects/demo', { webhook_url: rx.url })).status, 200);
    const key = createPrivateKey(fs.readFileSync(path.join(dataDir, 'demo.private.pem')));
    const init = await signedPost(url, 'session/init/payout', JSON.stringify(payoutBody('v1', dest.card(), USD(500))), { key });
    assert.equal(init.status, 200, init.body);
    await rx.waitFor(1, 20_000); // the ready_to_confirm delivery is in flight, and hangs
    server.child.kill('SIGKILL');
    await server.exited;

    const handle = await openDatabase({ pgliteDir: path.join(dataDir, 'pglite') });
    const leased = await handle.db.selectFrom('webhooks').select(['id', 'locked_by']).where('state', '=', 'pending').where('locked_by', 'is not', null).execute();
    await handle.close();
    assert.equal(leased.length, 1, 'the dead server held the delivery under its lease');

    hang = false;
    server = spawnServer(env);
    await listening(server);
    const restartedAt = Date.now();
    await rx.waitFor(2, 15_000);
    const took = Date.now() - restartedAt;
    t.diagnostic(`redelivered ${took} ms after the restart (lease ${LEASE_SECONDS} s)`);
    assert.ok(took < 10_000, `redelivered ${took} ms after the restart`);
    assert.equal(rx.received[1]!.body, rx.received[0]!.body, 'the same webhook, byte for byte');
  });
});
