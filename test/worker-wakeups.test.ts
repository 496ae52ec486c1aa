import assert from 'node:assert/strict';
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
