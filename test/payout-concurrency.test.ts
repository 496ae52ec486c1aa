import assert from 'node:assert/strict';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle, type Queryable } from '../src/platform/db/database.js';
import { newKeyPair, startHarness, type Harness } from './helpers/harness.js';
import { assertLedgerInvariants, assertLedgerTables, assertTrialBalance, checkLedgerAfterEach } from './helpers/ledger-invariants.js';
import { accounts, createProject, dest, payoutBody, topUp } from './helpers/payouts.js';
import { adminCall, killServer, listening, pool, signedPost, spawnServer, stopServer, type ServerProcess } from './helpers/server-process.js';
import { freshDatabase, onPostgres, type TestDatabase } from './helpers/test-db.js';
import { ensureBuilt, workerEnv } from './helpers/worker-process.js';

/**
 * "64 concurrent payouts draining one wallet: the confirmed total never exceeds the balance, and
 * the trial balance is zero afterwards." 64 payouts of one project are started and wait for their
 * confirm; then 64 session/confirm calls arrive at once over real HTTP, while a sampler watches the
 * wallet's balance. The wallet holds about half of what they need: some are paid, the rest fail
 * with insufficient_funds, and none is refused while the money it needed was still there. Then the
 * same with two `payrail serve` processes on one PostgreSQL database, the calls spread over both.
 */
const N = 64;
const TOP_UP = 100_000;
const FEE = 100;
/** Payouts of 20.00 to 37.50 (plus the 1.00 fee): about 190,000 wanted from 100,000. */
const amountOf = (i: number) => 2_000 + (i % 8) * 250;

interface Outcome {
  readonly id: string;
  readonly sessionId: string;
  readonly stage: string;
  readonly amount: number;
  readonly fee: number;
  readonly errorCode: string | null;
}

async function payoutsOf(db: Queryable, project: string): Promise<Outcome[]> {
  const rows = await sql<{ id: string; session_id: string; stage: string; amount: string; fee: string; error_code: string | null }>`
    SELECT p.id, p.session_id, p.stage, p.amount, p.fee, p.error_code FROM payouts p JOIN projects pr ON pr.id = p.project_id
    WHERE pr.name = ${project} ORDER BY p.created_at, p.id`.execute(db);
  return rows.rows.map((r) => ({ id: r.id, sessionId: r.session_id, stage: r.stage, amount: Number(r.amount), fee: Number(r.fee), errorCode: r.error_code }));
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  while (!(await probe())) {
    assert.ok(Date.now() - started < timeoutMs, `${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Reads the project's usd wallet every few ms until stopped; returns the lowest balance seen. */
function sampleWallet(db: Queryable, project: string): { stop(): Promise<{ min: number; samples: number }> } {
  let running = true;
  let min = Number.POSITIVE_INFINITY;
  let samples = 0;
  const loop = (async () => {
    while (running) {
      const r = await sql<{ balance: string }>`
        SELECT a.balance FROM ledger_accounts a JOIN projects p ON p.id = a.project_id
        WHERE p.name = ${project} AND a.kind = 'wallet' AND a.currency = 'usd'`.execute(db);
      for (const row of r.rows) min = Math.min(min, Number(row.balance));
      samples++;
      await new Promise((res) => setTimeout(res, 5));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { min, samples };
    },
  };
}

/**
 * The guarantees, on the final state: every payout final; the paid ones (with their fees) add up
 * to what left the wallet, never more than the top-up; every other one failed with
 * insufficient_funds, and needed more than was left when it was refused (the wallet only ever went
 * down, so more than is left now); nothing is still reserved; and the confirm answers agree.
 */
function assertDrained(final: Outcome[], wallet: Record<string, number>, confirmAnswers: Map<string, { sessionId: string; status: string; code?: string }>): { paid: number; refused: number } {
  assert.equal(final.length, N);
  const paid = final.filter((p) => p.stage === 'succeeded');
  const refused = final.filter((p) => p.stage === 'failed');
  assert.equal(paid.length + refused.length, N, `not final: ${final.filter((p) => p.stage !== 'succeeded' && p.stage !== 'failed').map((p) => p.stage)}`);
  assert.deepEqual([...new Set(refused.map((p) => p.errorCode))], refused.length ? ['insufficient_funds'] : []);
  const spent = paid.reduce((s, p) => s + p.amount + p.fee, 0);
  assert.ok(spent <= TOP_UP, `paid ${spent} out of ${TOP_UP}`);
  assert.equal(wallet['wallet usd'], TOP_UP - spent);
  assert.equal(wallet['reserved usd'], 0);
  assert.equal(wallet['fees usd'], paid.length * FEE);
  assert.equal(wallet['external_bank_rails usd'], spent - paid.length * FEE);
  assert.ok(paid.length > 0 && refused.length > 0, `${paid.length} paid, ${refused.length} refused`);
  const left = TOP_UP - spent;
  for (const p of refused) assert.ok(p.amount + p.fee > left, `${p.id} was refused needing ${p.amount + p.fee} though ${left} is still there`);
  for (const p of final) {
    const answer = confirmAnswers.get(p.sessionId);
    assert.ok(answer, `no confirm answer for ${p.sessionId}`);
    if (p.stage === 'failed') assert.deepEqual(answer, { sessionId: p.sessionId, status: 'failed', code: 'insufficient_funds' }, p.id);
    else assert.notEqual(answer.status, 'failed', p.id);
  }
  return { paid: paid.length, refused: refused.length };
}

/** What a confirm answer says of its payout. */
function confirmAnswer(body: string): { sessionId: string; status: string; code?: string } {
  const s = JSON.parse(body).session;
  const p = s.payments[0];
  return { sessionId: s.id, status: p.status, ...(p.error ? { code: p.error.code } : {}) };
}

describe('64 concurrent confirms draining one wallet, one server', () => {
  let h: Harness;
  let key: KeyObject;
  let url: string;
  before(async () => {
    h = await startHarness();
    key = await createProject(h, 'drain', { fees: { payout: { percent: 0, fixed: FEE } } });
    await topUp(h, 'drain', TOP_UP);
    url = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await h?.close();
  });
  checkLedgerAfterEach(() => h);

  test(`${N} payouts confirmed at once over HTTP: the paid total never exceeds the balance, the rest fail insufficient_funds, the wallet never goes negative`, { timeout: 90_000 }, async (t) => {
    const { db } = h.runtime.database;
    const started = await pool(Array.from({ length: N }, (_, i) => i), N, async (i) => {
      const res = await signedPost(url, 'session/init/payout', JSON.stringify(payoutBody('v1', dest.card(), { amount: amountOf(i), currency: 'usd' })), { key, project: 'drain' });
      assert.equal(res.status, 200, res.body);
      return JSON.parse(res.body).session.id as string;
    });
    assert.equal(new Set(started).size, N);
    await waitFor('all pending', async () => (await payoutsOf(db, 'drain')).filter((p) => p.stage === 'awaiting_confirm').length === N);

    const sampler = sampleWallet(db, 'drain');
    const t0 = Date.now();
    const answers = await Promise.all(
      started.map(async (sid) => {
        const res = await signedPost(url, 'session/confirm', JSON.stringify({ session_id: sid }), { key, project: 'drain' });
        assert.equal(res.status, 200, res.body);
        return confirmAnswer(res.body);
      }),
    );
    const confirmMs = Date.now() - t0;
    await waitFor('all final', async () => (await payoutsOf(db, 'drain')).every((p) => p.stage === 'succeeded' || p.stage === 'failed'));
    const { min, samples } = await sampler.stop();
    assert.ok(min >= 0, `the wallet was seen at ${min}`);
    const result = assertDrained(await payoutsOf(db, 'drain'), await accounts(h, 'drain'), new Map(answers.map((a) => [a.sessionId, a])));
    t.diagnostic(`${N} confirms in ${confirmMs} ms: ${result.paid} paid, ${result.refused} refused; wallet sampled ${samples} times, lowest ${min}`);
    await assertLedgerInvariants(h);
  });
});

describe('two payrail serve processes on one PostgreSQL', { skip: !onPostgres && 'needs PostgreSQL' }, () => {
  let dataDir: string;
  let tdb: TestDatabase;
  let handle: DatabaseHandle | undefined;
  const servers: ServerProcess[] = [];

  before(async () => {
    await ensureBuilt();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-two-'));
    tdb = await freshDatabase();
  });
  after(async () => {
    for (const s of servers) await killServer(s);
    await handle?.close();
    await tdb?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test(`${N} payouts started and confirmed through both servers at once: the same guarantees`, { timeout: 120_000 }, async (t) => {
    const env = workerEnv(dataDir, tdb.url);
    // The first start creates the master key, the admin token and the demo project in the shared
    // data dir; the second, started after, uses them (as peer.ts explains).
    const a = spawnServer(env);
    servers.push(a);
    const urlA = await listening(a);
    const b = spawnServer(env);
    servers.push(b);
    const urlB = await listening(b);
    assert.notEqual(urlA, urlB);
    handle = await openDatabase({ databaseUrl: tdb.url, poolSize: 2 });
    const { db } = handle;

    const { publicPem, privateKey } = newKeyPair();
    const created = await adminCall(urlA, dataDir, 'POST', '/projects', { name: 'drain', public_key: publicPem, settings: { fees: { payout: { percent: 0, fixed: FEE } } } });
    assert.equal(created.status, 200, created.body);
    const topped = await adminCall(urlB, dataDir, 'POST', '/projects/drain/wallet/topup', { amount: TOP_UP, currency: 'usd' });
    assert.equal(topped.status, 200, topped.body);
    assert.ok(createPrivateKey(fs.readFileSync(path.join(dataDir, 'demo.private.pem'))), 'both share one data dir');

    const urls = [urlA, urlB];
    const started = await pool(Array.from({ length: N }, (_, i) => i), N, async (i) => {
      const res = await signedPost(urls[i % 2]!, 'session/init/payout', JSON.stringify(payoutBody('v1', dest.card(), { amount: amountOf(i), currency: 'usd' })), { key: privateKey, project: 'drain' });
      assert.equal(res.status, 200, res.body);
      return JSON.parse(res.body).session.id as string;
    });
    await waitFor('all pending', async () => (await payoutsOf(db, 'drain')).filter((p) => p.stage === 'awaiting_confirm').length === N);

    const sampler = sampleWallet(db, 'drain');
    const t0 = Date.now();
    // Each session is confirmed through the server that did not start it.
    const answers = await Promise.all(
      started.map(async (sid, i) => {
        const res = await signedPost(urls[(i + 1) % 2]!, 'session/confirm', JSON.stringify({ session_id: sid }), { key: privateKey, project: 'drain' });
        assert.equal(res.status, 200, res.body);
        return confirmAnswer(res.body);
      }),
    );
    const confirmMs = Date.now() - t0;
    await waitFor('all final', async () => (await payoutsOf(db, 'drain')).every((p) => p.stage === 'succeeded' || p.stage === 'failed'));
    const { min, samples } = await sampler.stop();
    assert.ok(min >= 0, `the wallet was seen at ${min}`);

    const wallet = await adminCall(urlB, dataDir, 'GET', '/projects/drain/wallet');
    const acc: Record<string, number> = {};
    for (const x of JSON.parse(wallet.body).accounts as { kind: string; currency: string; balance: number }[]) acc[`${x.kind} ${x.currency}`] = x.balance;
    const result = assertDrained(await payoutsOf(db, 'drain'), acc, new Map(answers.map((x) => [x.sessionId, x])));
    t.diagnostic(`${N} confirms over two servers in ${confirmMs} ms: ${result.paid} paid, ${result.refused} refused; wallet sampled ${samples} times, lowest ${min}`);

    // Which server ran the jobs does not matter; both must have: rail calls are recorded once per payout.
    const ops = await sql<{ n: number }>`SELECT count(*)::int AS n FROM sandbox_processor_ops WHERE operation_id LIKE 'po_%:send'`.execute(db);
    assert.equal(ops.rows[0]!.n, result.paid, 'one rail call per paid payout');
    for (const u of urls) {
      const tb = await adminCall(u, dataDir, 'GET', '/ledger/trial-balance');
      assertTrialBalance(JSON.parse(tb.body), `trial balance from ${u}`);
    }
    await assertLedgerTables(db);
    await Promise.all(servers.map((s) => stopServer(s)));
  });
});
