import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pino from 'pino';
import { loadConfig, type Config } from '../src/platform/config/config.js';
import { openDatabase, type DatabaseHandle } from '../src/platform/db/database.js';
import { createRuntime } from '../src/runtime.js';
import { freshDatabase, type TestDatabase } from './helpers/test-db.js';
import {
  assertSessionOrder,
  ensureBuilt,
  killIfRunning,
  queueWebhooks,
  spawnWorker,
  startDelayedReceiver,
  workerEnv,
  type DelayedReceiver,
  type WorkerProcess,
} from './helpers/worker-process.js';

/**
 * The crash test: queue 2,000 webhooks to a receiver, kill the worker process with SIGKILL at least
 * three times while it delivers, and restart it. The receiver must have every webhook at least once,
 * and duplicates may come only from deliveries that were in flight at a kill.
 *
 * The worker is the real `payrail worker` process. On PGlite the database is a file in a temp data
 * dir that only one process may open, so the test opens it only while no worker runs.
 */
const SESSIONS = 200;
const PER_SESSION = 10;
const TOTAL = SESSIONS * PER_SESSION;
/** DeliveryWorker's default maxInFlight: no more than this many attempts can be unrecorded at a kill. */
const MAX_IN_FLIGHT = 128;
/** Each run is killed (from inside the receiver, while that very delivery is unanswered) at its Nth arrival. */
const KILL_AT = [200, 300, 400];

let dataDir: string;
let tdb: TestDatabase;
let config: Config;
let rx: DelayedReceiver;
let current: WorkerProcess | undefined;
let queueMs = 0;

const openDb = (): Promise<DatabaseHandle> =>
  openDatabase(tdb.url ? { databaseUrl: tdb.url, poolSize: 1 } : { pgliteDir: path.join(dataDir, 'pglite') });

async function withDb<T>(fn: (h: DatabaseHandle) => Promise<T>): Promise<T> {
  const handle = await openDb();
  try {
    return await fn(handle);
  } finally {
    await handle.close();
  }
}

before(async () => {
  await ensureBuilt();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-crash-'));
  tdb = await freshDatabase();
  config = loadConfig({ PAYRAIL_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...(tdb.url ? { DATABASE_URL: tdb.url } : {}) });
  rx = await startDelayedReceiver(0, 20);
  // Set up in-process, without a worker; on PGlite this is the file-backed database in dataDir,
  // closed again before any worker process opens it.
  const runtime = await createRuntime(config, { startWorker: false, logger: pino({ level: 'silent' }) });
  try {
    const res = await runtime.app.inject({
      method: 'PATCH',
      url: '/admin/projects/demo',
      headers: { authorization: `Bearer ${runtime.adminToken}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ webhook_url: rx.url }),
    });
    assert.equal(res.statusCode, 200, res.body);
    const t0 = Date.now();
    assert.equal((await queueWebhooks(runtime, SESSIONS, PER_SESSION)).length, TOTAL);
    queueMs = Date.now() - t0;
  } finally {
    await runtime.close();
  }
});

after(async () => {
  await killIfRunning(current);
  await rx?.close();
  await tdb?.drop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

/**
 * After a SIGKILL: which webhooks were in flight (claimed under the dead worker's lease, result not
 * recorded), and then expire those leases.
 *
 * Leases are taken as `locked_until = clock_timestamp() + 60 s` and a claim skips a row until its
 * lease has passed, so without this the next worker would wait a minute for them. Setting
 * locked_until to now() on the dead worker's rows is exactly what lease expiry does, only sooner;
 * the worker is dead (its exit was observed), so no live lease is stolen. On PostgreSQL, a dead
 * client's backend may still be finishing a statement (a claim or a commit); wait until every
 * backend of the dead worker is gone first, so nothing of it lands after the expiry.
 */
async function inFlightAtKill(deadId: string): Promise<{ inFlight: string[]; pending: string[] }> {
  return withDb(async ({ db }) => {
    if (tdb.url) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`.execute(db);
        if (rows[0]?.n === 0) break;
        assert.ok(Date.now() < deadline, 'the dead worker’s backends did not go away');
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    const leased = await db.selectFrom('webhooks').select('id').where('state', '=', 'pending').where('locked_by', '=', deadId).execute();
    await sql`UPDATE webhooks SET locked_until = now() WHERE locked_by = ${deadId} AND state = 'pending'`.execute(db);
    const pending = await db.selectFrom('webhooks').select('id').where('state', '=', 'pending').execute();
    return { inFlight: leased.map((r) => r.id), pending: pending.map((r) => r.id) };
  });
}

describe('webhook delivery survives SIGKILL', () => {
  test(`${TOTAL} webhooks, ${KILL_AT.length} kills mid-delivery: every webhook arrives, duplicates only from in-flight deliveries`, { timeout: 120_000 }, async (t) => {
    const started = Date.now();
    t.diagnostic(`queued ${TOTAL} webhooks in ${queueMs} ms`);
    const env = workerEnv(dataDir, tdb.url);
    /** For each kill, the webhooks the dead worker had in flight. */
    const inFlightByKill: Set<string>[] = [];
    let pendingAtFinalStart: string[] = [];

    for (let run = 0; run < KILL_AT.length; run++) {
      const killAt = KILL_AT[run]!;
      let arrivedThisRun = 0;
      rx.tag = run;
      const spawnedAt = Date.now();
      let firstAt = 0;
      const w = spawnWorker(env);
      current = w;
      rx.onArrival = () => {
        firstAt ||= Date.now();
        if (++arrivedThisRun === killAt) w.child.kill('SIGKILL');
      };
      const exit = await Promise.race([w.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 40_000).unref())]);
      assert.notEqual(exit, 'timeout', `run ${run}: only ${arrivedThisRun} deliveries in 40 s:\n${w.output()}`);
      rx.onArrival = undefined;
      assert.deepEqual(exit, { code: null, signal: 'SIGKILL' }, `run ${run} ended on its own:\n${w.output()}`);
      const killedAt = Date.now();
      const deadId = await w.id;
      const { inFlight, pending } = await inFlightAtKill(deadId);
      t.diagnostic(
        `kill ${run + 1}: ${arrivedThisRun} arrivals in this run; ${inFlight.length} in flight, ${pending.length} pending ` +
          `(first arrival ${firstAt - spawnedAt} ms after spawn, killed ${killedAt - firstAt} ms later, leases expired in ${Date.now() - killedAt} ms)`,
      );
      // The kill came while the receiver still held one delivery unanswered: at least that one was in flight.
      assert.ok(inFlight.length >= 1 && inFlight.length <= MAX_IN_FLIGHT, `kill ${run + 1}: ${inFlight.length} in flight`);
      assert.ok(pending.length > 0, `kill ${run + 1}: the worker had already finished everything`);
      inFlightByKill.push(new Set(inFlight));
      pendingAtFinalStart = pending;
    }

    // The last run: restart and let it finish. It is done once every webhook that was pending when it
    // started has reached the receiver in this run; then a graceful stop records what is in flight.
    const finalTag = KILL_AT.length;
    rx.tag = finalTag;
    const finalSpawn = Date.now();
    const w = spawnWorker(env);
    current = w;
    const waitFrom = Date.now();
    for (;;) {
      const arrivedNow = new Set(rx.arrivals.filter((a) => a.tag === finalTag).map((a) => a.webhookId));
      const missing = pendingAtFinalStart.filter((id) => !arrivedNow.has(id));
      if (missing.length === 0) break;
      assert.equal(w.child.exitCode, null, `the last worker exited:\n${w.output()}`);
      assert.ok(Date.now() - waitFrom < 45_000, `the last worker left ${missing.length} webhooks undelivered after 45 s:\n${w.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    t.diagnostic(`last run delivered the remaining ${pendingAtFinalStart.length} in ${Date.now() - finalSpawn} ms (with start-up)`);
    w.child.kill('SIGTERM');
    assert.deepEqual(await w.exited, { code: 0, signal: null }, w.output());
    t.diagnostic(`finished after ${Date.now() - started} ms, ${rx.arrivals.length} arrivals`);

    const rows = await withDb(({ db }) => db.selectFrom('webhooks').select(['id', 'session_id', 'seq', 'state', 'locked_by']).orderBy('seq').execute());
    assert.equal(rows.length, TOTAL);

    // Every webhook arrived at least once, and nothing unknown arrived.
    const counts = new Map<string, number>();
    for (const a of rx.arrivals) counts.set(a.webhookId, (counts.get(a.webhookId) ?? 0) + 1);
    assert.deepEqual(rows.filter((r) => !counts.has(r.id)).map((r) => r.id), [], 'webhooks that never arrived');
    assert.equal(counts.size, TOTAL, 'only queued webhooks arrive');

    // Duplicates: only webhooks in flight at a kill, at most once per kill they were in flight at.
    let duplicates = 0;
    for (const [id, n] of counts) {
      if (n === 1) continue;
      duplicates += n - 1;
      const kills = inFlightByKill.filter((s) => s.has(id)).length;
      assert.ok(n - 1 <= kills, `${id} arrived ${n} times but was in flight at ${kills} kill(s)`);
    }
    t.diagnostic(`${duplicates} duplicate deliveries; in flight at the kills: ${inFlightByKill.map((s) => s.size).join(', ')}`);
    assert.ok(duplicates <= KILL_AT.length * MAX_IN_FLIGHT, `${duplicates} duplicates`);
    assert.equal(rx.arrivals.length, TOTAL + duplicates);

    // Every row ends delivered with no lease left, and each session's webhooks first arrived in order.
    assert.deepEqual(rows.filter((r) => r.state !== 'delivered').map((r) => `${r.id}: ${r.state}`), []);
    assert.deepEqual(rows.filter((r) => r.locked_by !== null).map((r) => r.id), []);
    assertSessionOrder(rx.arrivals, rows);
  });
});
