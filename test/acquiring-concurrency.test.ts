import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { startHarness, type Harness } from './helpers/harness.js';
import { postSigned, type HttpReply } from './helpers/peer.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { onPostgres } from './helpers/test-db.js';
import { ROOT, ensureBuilt } from './helpers/worker-process.js';
import { USD, bankCard, hook, hooksFor, patchProject, typesFor } from './helpers/acquiring.js';
import { freePort } from './helpers/server-process.js';

/**
 * Races on one session, over real sockets: 50 concurrent session/confirm calls give exactly one
 * authorization and one payment_finished; 50 concurrent refunds worth more than the payment give
 * accepted refunds that sum to no more than what was captured. First against the test's own
 * instance (listening on a port; on PostgreSQL that is real concurrency in the database), then, on
 * PostgreSQL, against two `payrail serve` processes on one database, the calls split between them.
 */
const N = 50;
const customer = { reference: 'racer' };

/** One target: where to send, and with which key. */
interface Target {
  readonly baseUrl: string;
}

async function callJson(t: Target, h: Harness, method: string, body: unknown): Promise<HttpReply & { json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await postSigned(t.baseUrl, method, body, { key: h.demoKey });
  return { ...res, json: JSON.parse(res.body) };
}

async function opsOf(h: Harness, prefix: string): Promise<{ operation_id: string; kind: string }[]> {
  return h.runtime.database.db.selectFrom('sandbox_processor_ops').select(['operation_id', 'kind']).where('operation_id', 'like', `${prefix}%`).orderBy('operation_id').execute();
}

/** A payment waiting for confirmation, started through `t`. */
async function readyToConfirm(h: Harness, rx: Receiver, t: Target, amount: number) {
  const init = await callJson(t, h, 'session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(amount), customer });
  assert.equal(init.status, 200, init.body);
  const sid: string = init.json.session.id;
  await hook(rx, sid, 1, 'ready_to_confirm');
  return { sid, pm: init.json.session.acquiring_payments[0].id as string };
}

/** 50 session/confirm at once, round-robin over `targets`. */
async function confirmRace(h: Harness, rx: Receiver, targets: readonly Target[]) {
  const { sid, pm } = await readyToConfirm(h, rx, targets[0]!, 10_000);
  const replies = await Promise.all(Array.from({ length: N }, (_, i) => callJson(targets[i % targets.length]!, h, 'session/confirm', { session_id: sid })));
  const okReplies = replies.filter((r) => r.status === 200);
  assert.equal(okReplies.length, 1, `exactly one confirm is taken: ${replies.map((r) => r.status).join(',')}`);
  assert.equal(okReplies[0]!.json.session.acquiring_payments[0].status, 'in_progress');
  const refused = replies.filter((r) => r.status !== 200);
  assert.equal(refused.length, N - 1);
  for (const r of refused) {
    assert.equal(r.status, 409, r.body);
    assert.equal(r.json.error.code, 'invalid_session_state');
    assert.match(r.json.error.description, new RegExp(`^session ${sid} is not waiting for confirmation: its payment ${pm} is (in_progress|succeeded)$`));
  }
  const fin = await hook(rx, sid, 2, 'payment_finished');
  assert.equal(fin.session['status'], 'accepted');
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'payment_finished'], 'one payment_finished');
  assert.deepEqual(await opsOf(h, `${pm}:`), [
    { operation_id: `${pm}:authorize`, kind: 'sale' },
    { operation_id: `${pm}:precheck`, kind: 'precheck' },
  ]);
  const jobs = await h.runtime.database.db.selectFrom('jobs').select(['kind', 'unique_key']).where('unique_key', 'like', `${pm}:%`).execute();
  assert.deepEqual(jobs, [], 'no job of the payment is left (the confirm timeout was cancelled)');
  return sid;
}

/** 50 refunds of 300 at once on a 10 000 payment (15 000 asked): 33 taken (9 900), 17 refused. */
async function refundRace(h: Harness, rx: Receiver, targets: readonly Target[], sid: string) {
  const replies = await Promise.all(Array.from({ length: N }, (_, i) => callJson(targets[i % targets.length]!, h, 'session/refund', { session_id: sid, amount_details: USD(300) })));
  const taken = replies.filter((r) => r.status === 200);
  const refused = replies.filter((r) => r.status !== 200);
  assert.equal(taken.length, 33, `refunds taken: ${taken.length}`);
  for (const r of refused) {
    assert.equal(r.status, 400, r.body);
    assert.deepEqual(r.json, { status: 'error', error: { code: 'amount_exceeds_limit', description: 'amount_details.amount 300 exceeds what can still be refunded (100 usd)' } });
  }
  // Each accepted reply shows its new refund in_progress; together they name 33 distinct refunds.
  const newIds = new Set<string>();
  for (const r of taken) {
    const refunds = r.json.session.acquiring_payments[0].refunds as { id: string; status: string; amount_details: unknown }[];
    assert.ok(refunds.length >= 1 && refunds.length <= 33);
    const mine = refunds.at(-1)!;
    assert.equal(mine.status, 'in_progress');
    assert.deepEqual(mine.amount_details, USD(300));
    newIds.add(mine.id);
  }
  assert.equal(newIds.size, 33);

  const hooks = await hooksFor(rx, sid, 2 + 33, 20_000);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(typesFor(rx, sid).filter((t) => t === 'payment_refunded').length, 33, 'one payment_refunded per refund');
  assert.ok(hooks.every((r) => r.verified));
  const status = await callJson(targets[0]!, h, 'session/status', { session_id: sid });
  const s = status.json.session;
  assert.equal(s.status, 'accepted');
  const refunds = s.acquiring_payments[0].refunds as { id: string; status: string; amount_details: { amount: number } }[];
  assert.deepEqual(new Set(refunds.map((r) => r.id)), newIds);
  assert.ok(refunds.every((r) => r.status === 'accepted'));
  const sum = refunds.reduce((a, r) => a + r.amount_details.amount, 0);
  assert.equal(sum, 9_900);
  assert.ok(sum <= 10_000);
  // The processor was asked once per refund, by refund id, and for nothing else.
  const ops = await h.runtime.database.db.selectFrom('sandbox_processor_ops').select(['operation_id', 'kind']).where('operation_id', 'in', [...newIds]).execute();
  assert.equal(ops.length, 33);
  assert.ok(ops.every((o) => o.kind === 'refund'));
  const rows = await h.runtime.database.db.selectFrom('refunds').select(['id', 'status', 'amount']).where('session_id', '=', sid).execute();
  assert.deepEqual(new Set(rows.map((r) => r.id)), newIds);
  assert.equal(rows.reduce((a, r) => a + Number(r.amount), 0), 9_900);

  // Exactly the 100 left can still be refunded; then nothing.
  const last = await callJson(targets.at(-1)!, h, 'session/refund', { session_id: sid, amount_details: USD(100) });
  assert.equal(last.status, 200, last.body);
  const none = await callJson(targets[0]!, h, 'session/refund', { session_id: sid, amount_details: USD(1) });
  assert.equal(none.status, 400);
  assert.equal(none.json.error.code, 'amount_exceeds_limit');
  assert.equal(none.json.error.description, `payment ${s.acquiring_payments[0].id} is already refunded in full`);
  await hooksFor(rx, sid, 2 + 34, 10_000);
}

describe('one instance, real sockets', () => {
  let h: Harness;
  let rx: Receiver;
  let target: Target;
  before(async () => {
    h = await startHarness();
    rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
    await patchProject(h, 'demo', { webhook_url: rx.url });
    target = { baseUrl: await h.runtime.app.listen({ port: 0, host: '127.0.0.1' }) };
  });
  after(async () => {
    await h?.close();
    await rx?.close();
  });

  let sid: string;
  test(`${N} concurrent session/confirm: one authorization, one payment_finished`, { timeout: 30_000 }, async () => {
    sid = await confirmRace(h, rx, [target]);
  });
  test(`${N} concurrent refunds worth more than the payment: the accepted ones sum to at most what was captured`, { timeout: 40_000 }, async () => {
    await refundRace(h, rx, [target], sid);
  });

  test('confirm and cancel racing, 25 of each: exactly one of them is taken, and one payment_finished', { timeout: 30_000 }, async () => {
    const { sid: race, pm } = await readyToConfirm(h, rx, target, 500);
    const calls = Array.from({ length: N }, (_, i) => (i % 2 === 0 ? 'session/confirm' : 'session/cancel'));
    const replies = await Promise.all(calls.map((m) => callJson(target, h, m, { session_id: race })));
    const winners = replies.map((r, i) => [calls[i], r] as const).filter(([, r]) => r.status === 200);
    assert.equal(winners.length, 1, replies.map((r) => r.status).join(','));
    const cancelWon = winners[0]![0] === 'session/cancel';
    const after = cancelWon ? 'failed' : '(in_progress|succeeded)';
    for (const [i, r] of replies.entries()) {
      if (r.status === 200) continue;
      assert.equal(r.status, 409, r.body);
      const text = calls[i] === 'session/confirm' ? 'is not waiting for confirmation' : 'cannot be cancelled now';
      assert.match(r.json.error.description, new RegExp(`^session ${race} ${text}: its payment ${pm} is ${after}$`));
    }
    const fin = await hook(rx, race, 2, 'payment_finished');
    assert.equal(fin.session['status'], cancelWon ? 'cancelled' : 'accepted');
    assert.deepEqual(
      fin.session['acquiring_payments'][0].error,
      cancelWon ? { code: 'cancelled_by_partner', description: 'the partner cancelled the payment (session/cancel)' } : undefined,
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(typesFor(rx, race), ['ready_to_confirm', 'payment_finished']);
    assert.deepEqual((await opsOf(h, `${pm}:`)).map((o) => o.operation_id), cancelWon ? [`${pm}:precheck`] : [`${pm}:authorize`, `${pm}:precheck`]);
  });

  test(`${N} concurrent init/payment with one idempotency key: one session, one payment`, { timeout: 30_000 }, async () => {
    const reference = `idem-${Date.now()}`;
    const body = { payment_details: bankCard('4242424242424242'), amount_details: USD(1200), customer: { reference } };
    const replies = await Promise.all(Array.from({ length: N }, () => postSigned(target.baseUrl, 'session/init/payment', body, { key: h.demoKey, idempotencyKey: reference })));
    const taken = replies.filter((r) => r.status === 200);
    assert.ok(taken.length >= 1);
    assert.equal(new Set(taken.map((r) => r.body)).size, 1, 'every 200 is the same answer, byte for byte');
    for (const r of replies.filter((x) => x.status !== 200)) {
      assert.equal(r.status, 409, r.body);
      assert.deepEqual(JSON.parse(r.body), {
        status: 'error',
        error: { code: 'idempotency_key_already_exists', description: `a request with X-PARTNER-IDEMPOTENCY-KEY "${reference}" is still being processed` },
      });
    }
    const sid: string = JSON.parse(taken[0]!.body).session.id;
    const mine = await h.runtime.database.db.selectFrom('payments').select(['id', 'session_id']).where(sql<boolean>`customer->>'reference' = ${reference}`).execute();
    assert.deepEqual(mine.map((p) => p.session_id), [sid], 'one payment for this customer, in the session answered');
    await hook(rx, sid, 1, 'ready_to_confirm');
  });

  test('10 concurrent start/payment on one created session: ten payments, each once', { timeout: 30_000 }, async () => {
    const created = await callJson(target, h, 'session/create', { amount_details: USD(800), customer });
    const race: string = created.json.session.id;
    const replies = await Promise.all(Array.from({ length: 10 }, () => callJson(target, h, 'session/start/payment', { session_id: race, payment_details: bankCard('5555555555554444') })));
    assert.deepEqual(replies.map((r) => r.status), Array(10).fill(200), 'a session holds several payments: every start is taken');
    // The session lock serialises the starts: each reply shows one more payment than the one before it.
    assert.deepEqual(replies.map((r) => r.json.session.acquiring_payments.length).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const answered = new Set(replies.map((r) => (r.json.session.acquiring_payments as { id: string }[]).at(-1)!.id));
    const rows = await h.runtime.database.db.selectFrom('payments').select('id').where('session_id', '=', race).execute();
    assert.equal(rows.length, 10, 'ten payments, none lost, none doubled');
    assert.deepEqual(new Set(rows.map((r) => r.id)), answered);
    await hook(rx, race, 10, 'ready_to_confirm');
  });

  test('10 concurrent init/payment with one card never seen before: one vaulted card, every payment on it', { timeout: 30_000 }, async () => {
    // The vault's write waits for COMMIT (write-behind.ts), so the calls cannot read each other's card: they must name the same one.
    const number = '4111111111111111';
    const stored = () => h.runtime.database.db.selectFrom('cards').select('id').where('last4', '=', '1111').where('bin', '=', '411111').execute();
    assert.deepEqual(await stored(), [], 'the card is new to this project');
    const reference = `one-card-${Date.now()}`;
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => callJson(target, h, 'session/init/payment', { payment_details: bankCard(number), amount_details: USD(300), customer: { reference } })),
    );
    assert.deepEqual(replies.map((r) => r.status), Array(10).fill(200), replies.map((r) => r.body).join('\n'));
    const cards = await stored();
    assert.equal(cards.length, 1, 'one card row for the one number');
    const sources = await h.runtime.database.db.selectFrom('payments').select('payment_details').where(sql<boolean>`customer->>'reference' = ${reference}`).execute();
    assert.equal(sources.length, 10);
    for (const { payment_details } of sources) assert.equal((payment_details as { card: { vault_card: { card_id: string } } }).card.vault_card.card_id, cards[0]!.id);
    for (const r of replies) await hook(rx, r.json.session.id as string, 1, 'ready_to_confirm');
  });
});

describe('two `payrail serve` processes on one PostgreSQL database', { skip: !onPostgres && 'needs PostgreSQL' }, () => {
  let h: Harness;
  let rx: Receiver;
  const servers: { child: ChildProcess; dir: string; out: () => string; exited: Promise<unknown> }[] = [];
  const targets: Target[] = [];
  const killAll = () => {
    for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  };

  before(async () => {
    await ensureBuilt();
    // The test's own instance creates the database, the master key and the demo project, and is
    // used only to look at rows: it runs no worker, so every job and webhook is the processes' work.
    h = await startHarness({ runtime: { startWorker: false } });
    rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
    await patchProject(h, 'demo', { webhook_url: rx.url });
    process.on('exit', killAll);
    for (let i = 0; i < 2; i++) {
      // Each process has its own data dir: a copy of the harness's (same master.key, admin token).
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `payrail-race-${i}-`));
      fs.cpSync(h.dataDir, dir, { recursive: true });
      const port = await freePort();
      const env = { PATH: process.env['PATH'], HOME: process.env['HOME'], PAYRAIL_DATA_DIR: dir, PAYRAIL_MODE: 'sandbox', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', DATABASE_URL: h.db.url! };
      const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'payrail.js'), 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      servers.push({ child, dir, out: () => out, exited: new Promise((resolve) => child.on('exit', resolve)) });
      targets.push({ baseUrl: `http://127.0.0.1:${port}` });
    }
    const started = Date.now();
    for (const [i, t] of targets.entries()) {
      for (;;) {
        const up = await fetch(`${t.baseUrl}/health`).then((r) => r.status === 200, () => false);
        if (up) break;
        assert.equal(servers[i]!.child.exitCode, null, `server ${i} exited:\n${servers[i]!.out()}`);
        assert.ok(Date.now() - started < 30_000, `server ${i} not healthy in 30 s:\n${servers[i]!.out()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.notEqual(servers[0]!.child.pid, servers[1]!.child.pid);
  });
  after(async () => {
    killAll();
    await Promise.all(servers.map((s) => s.exited));
    process.off('exit', killAll);
    for (const s of servers) fs.rmSync(s.dir, { recursive: true, force: true });
    await h?.close();
    await rx?.close();
  });

  let sid: string;
  test(`${N} concurrent session/confirm split over both: one authorization, one payment_finished`, { timeout: 30_000 }, async () => {
    sid = await confirmRace(h, rx, targets);
    for (const s of servers) assert.equal(s.child.exitCode, null, s.out());
  });
  test(`${N} concurrent refunds split over both: the accepted ones sum to at most what was captured`, { timeout: 40_000 }, async () => {
    await refundRace(h, rx, targets, sid);
    for (const s of servers) assert.equal(s.child.exitCode, null, s.out());
    assert.doesNotMatch(servers.map((s) => s.out()).join('\n'), /"level":(50|60)/, 'no error was logged');
  });
});
