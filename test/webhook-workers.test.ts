import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../src/platform/config/config.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { freshDatabase, onPostgres, type TestDatabase } from './helpers/test-db.js';
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
 * Two `payrail worker` processes on one PostgreSQL database share a backlog through their SKIP
 * LOCKED claims: every webhook is delivered exactly once (nothing is killed, so there is no excuse
 * for a duplicate), each session's webhooks still arrive in order, and both workers take part.
 */
const SESSIONS = 250;
const PER_SESSION = 4;
const TOTAL = SESSIONS * PER_SESSION;

let dataDir: string;
let tdb: TestDatabase;
let runtime: Runtime | undefined;
let rx: DelayedReceiver | undefined;
const workers: WorkerProcess[] = [];

describe('two worker processes on one database', { skip: !onPostgres && 'needs PostgreSQL' }, () => {
  before(async () => {
    await ensureBuilt();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-workers-'));
    tdb = await freshDatabase();
    const config = loadConfig({ PAYRAIL_DATA_DIR: dataDir, LOG_LEVEL: 'silent', DATABASE_URL: tdb.url! });
    // The test's own instance queues and watches; it runs no worker.
    runtime = await createRuntime(config, { startWorker: false, logger: pino({ level: 'silent' }) });
    // 30–70 ms per answer: one worker alone (128 in flight) needs at least ~0.5 s for the backlog,
    // more than the 200 ms poll after which the other one wakes up and finds it.
    rx = await startDelayedReceiver(30, 70);
    const res = await runtime.app.inject({
      method: 'PATCH',
      url: '/admin/projects/demo',
      headers: { authorization: `Bearer ${runtime.adminToken}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ webhook_url: rx.url }),
    });
    assert.equal(res.statusCode, 200, res.body);
  });

  after(async () => {
    for (const w of workers) await killIfRunning(w);
    await runtime?.close();
    await rx?.close();
    await tdb?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test(`deliver a backlog of ${TOTAL} webhooks exactly once, in per-session order, both taking part`, { timeout: 60_000 }, async (t) => {
    const { db } = runtime!.database;
    const env = workerEnv(dataDir, tdb.url);
    workers.push(spawnWorker(env), spawnWorker(env));
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the workers did not start in 30 s')), 30_000).unref());
    const ids = await Promise.race([Promise.all(workers.map((w) => w.id)), timeout]);
    assert.notEqual(ids[0], ids[1]);

    // While they deliver, sample who holds leases: locked_by is the only trace of which worker
    // claimed a webhook (the attempt log does not say, and a recorded result clears the lease).
    const seen = new Map<string, number>();
    let done = false;
    const sampler = (async () => {
      while (!done) {
        const rows = await db.selectFrom('webhooks').select('locked_by').distinct().where('state', '=', 'pending').where('locked_by', 'is not', null).execute();
        for (const r of rows) seen.set(r.locked_by!, (seen.get(r.locked_by!) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    const started = Date.now();
    try {
      // The whole backlog commits at once, while both workers are idle: 250 sessions are due at
      // once, more than one worker holds (128 in flight), so both must claim, racing on the same rows.
      const queued = await queueWebhooks(runtime!, SESSIONS, PER_SESSION, SESSIONS);
      assert.equal(queued.length, TOTAL);
      for (;;) {
        const left = await db.selectFrom('webhooks').select((eb) => eb.fn.countAll<string>().as('n')).where('state', '<>', 'delivered').executeTakeFirstOrThrow();
        if (Number(left.n) === 0) break;
        for (const w of workers) assert.equal(w.child.exitCode, null, `a worker exited:\n${w.output()}`);
        assert.ok(Date.now() - started < 40_000, `${left.n} webhooks still undelivered after 40 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      done = true;
      await sampler;
    }
    t.diagnostic(`delivered ${TOTAL} in ${Date.now() - started} ms (queued in one transaction); lease samples per worker: ${ids.map((id) => seen.get(id) ?? 0).join(', ')}`);

    // Exactly once: an arrival is recorded before it is answered, so every one is in by now.
    const counts = new Map<string, number>();
    for (const a of rx!.arrivals) counts.set(a.webhookId, (counts.get(a.webhookId) ?? 0) + 1);
    assert.deepEqual([...counts].filter(([, n]) => n > 1), [], 'webhooks sent more than once');
    assert.equal(counts.size, TOTAL);
    assert.equal(rx!.arrivals.length, TOTAL);

    const rows = await db.selectFrom('webhooks').select(['id', 'session_id', 'seq', 'state', 'attempts', 'locked_by']).orderBy('seq').execute();
    assert.equal(rows.length, TOTAL);
    assert.deepEqual(rows.filter((r) => r.state !== 'delivered' || r.attempts !== 1 || r.locked_by !== null).map((r) => r.id), []);
    const attempts = await db.selectFrom('webhook_attempts').select(['webhook_id', 'http_status']).execute();
    assert.equal(attempts.length, TOTAL, 'one attempt logged per webhook');
    assert.equal(new Set(attempts.map((a) => a.webhook_id)).size, TOTAL);
    assert.ok(attempts.every((a) => a.http_status === 200));
    assertSessionOrder(rx!.arrivals, rows);

    // Both took part.
    for (const id of ids) assert.ok(seen.has(id), `worker ${id} was never seen holding a lease (seen: ${[...seen.keys()].join(', ')})`);
    assert.deepEqual([...seen.keys()].sort(), [...ids].sort(), 'only these two workers claimed anything');

    for (const w of workers) w.child.kill('SIGTERM');
    for (const w of workers) assert.deepEqual(await w.exited, { code: 0, signal: null }, w.output());
  });
});
