import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { KyselyPlugin, RootOperationNode } from 'kysely';
import { startHarness, type Harness } from './helpers/harness.js';
import type { ServerKey } from '../src/platform/keys/server-key.js';
import { DeliveryWorker } from '../src/platform/webhooks/delivery-worker.js';
import { insertWebhook } from '../src/platform/webhooks/webhook.repo.js';
import { WakeMarks } from '../src/platform/jobs/wake-marks.js';

// The worker's wake-ups (platform/jobs/wake-marks.ts, the delivery worker's loop) and the attempt
// record in one statement, on whichever database the suite runs.
let h: Harness;
const quiet = { warn: () => undefined, error: () => undefined };

before(async () => {
  h = await startHarness({ runtime: { startWorker: false } });
});
after(async () => h.close());

/** Runs `onResult` when the result of a query whose SQL contains `marker` comes back (it may delay it). */
function onResultOf(marker: string, onResult: () => Promise<void>): KyselyPlugin {
  const ids = new WeakSet<object>();
  const text = (node: RootOperationNode): string => ('sqlFragments' in node ? (node as { sqlFragments: readonly string[] }).sqlFragments.join(' ') : '');
  return {
    transformQuery(args) {
      if (text(args.node).includes(marker)) ids.add(args.queryId);
      return args.node;
    },
    async transformResult(args) {
      if (ids.has(args.queryId)) await onResult();
      return args.result;
    },
  };
}

test('wake marks: outstanding until claimed, kept through an early empty claim, forgotten when stale', () => {
  const marks = new WakeMarks();
  assert.equal(marks.pending(), false);
  marks.mark(2);
  assert.equal(marks.pending(), true);
  // A claim before the marking transaction committed finds nothing: the mark stays.
  marks.claimed(0, true);
  assert.equal(marks.pending(), true);
  marks.claimed(1, true);
  assert.equal(marks.pending(), true);
  marks.claimed(1, true);
  assert.equal(marks.pending(), false);
  marks.mark(0);
  assert.equal(marks.pending(), false);
});

test('a nudge that comes while the delivery worker is claiming makes it claim again (the poll is a minute)', async () => {
  const db = h.runtime.database.db;
  const project = await db.selectFrom('projects').select('id').where('name', '=', 'demo').executeTakeFirstOrThrow();
  await db.updateTable('projects').set({ webhook_url: null }).where('id', '=', project.id).execute();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let claimStarted!: () => void;
  const started = new Promise<void>((r) => (claimStarted = r));
  let claims = 0;
  const plugin = onResultOf('WITH due AS', async () => {
    if (++claims > 1) return;
    claimStarted();
    await gate; // the first claim has its (empty) answer, and is still "claiming"
  });
  const worker = new DeliveryWorker({ db: db.withPlugin(plugin), clock: h.clock, serverKey: {} as ServerKey, allowPrivate: true, log: quiet }, { workerId: 'wakeup-test', pollMs: 60_000 });
  worker.start();
  try {
    await started;
    const now = h.clock.now();
    await db.transaction().execute((tx) => insertWebhook(tx, { id: 'wh_wakeup_1', projectId: String(project.id), sessionId: 'ps_wakeup_1', type: 'payment_finished', body: '{}', now, state: 'pending' }));
    worker.nudge(); // after the commit, while the claim that could not see it is still out
    release();
    const deadline = Date.now() + 5000;
    for (;;) {
      const row = await db.selectFrom('webhooks').select('attempts').where('id', '=', 'wh_wakeup_1').executeTakeFirstOrThrow();
      if (row.attempts > 0) break;
      assert.ok(Date.now() < deadline, 'the webhook queued during the claim was attempted without waiting for the poll');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(claims >= 2);
    const attempts = await db.selectFrom('webhook_attempts').select(['error', 'http_status', 'latency_ms']).where('webhook_id', '=', 'wh_wakeup_1').execute();
    assert.deepEqual(attempts, [{ error: 'the project has no webhook_url', http_status: null, latency_ms: 0 }], 'the attempt and the state recorded in one statement');
  } finally {
    await worker.stop();
  }
});

test("a session's next webhook, held back until the one before it is recorded, is delivered then, not at the next poll", async () => {
  const db = h.runtime.database.db;
  const arrivals: string[] = [];
  const rx = http.createServer((req, res) => {
    arrivals.push(String(req.headers['x-payrail-webhook-id']));
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
  const project = await db.selectFrom('projects').select('id').where('name', '=', 'demo').executeTakeFirstOrThrow();
  await db.updateTable('projects').set({ webhook_url: `http://127.0.0.1:${(rx.address() as AddressInfo).port}/hook` }).where('id', '=', project.id).execute();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const serverKey: ServerKey = { id: 'test', publicKeyPem: '', privateKey };
  const worker = new DeliveryWorker({ db, clock: h.clock, serverKey, allowPrivate: true, log: quiet }, { workerId: 'order-test', pollMs: 60_000 });
  worker.start();
  try {
    const now = h.clock.now();
    // One commit queues both (as a step that finishes a payment does); the claim may take only the first.
    await db.transaction().execute(async (tx) => {
      for (const n of [1, 2]) await insertWebhook(tx, { id: `wh_order_${n}`, projectId: String(project.id), sessionId: 'ps_order_1', type: 'payment_finished', body: '{}', now, state: 'pending' });
    });
    worker.nudge();
    const started = Date.now();
    while (arrivals.length < 2) {
      assert.ok(Date.now() - started < 5000, `both delivered without waiting for the minute-long poll (arrived: ${arrivals.join(', ')})`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(arrivals, ['wh_order_1', 'wh_order_2'], 'in the session\'s order');
  } finally {
    await worker.stop();
    await new Promise((r) => rx.close(r));
  }
});
