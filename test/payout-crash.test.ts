import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pino from 'pino';
import { loadConfig } from '../src/platform/config/config.js';
import { openDatabase, type DatabaseHandle } from '../src/platform/db/database.js';
import { createRuntime } from '../src/runtime.js';
import { assertLedgerTables, assertTrialBalance } from './helpers/ledger-invariants.js';
import { dest, payoutBody, type Destination } from './helpers/payouts.js';
import { adminCall, killServer, listening, pool, signedPost, spawnServer, stopServer, type ServerProcess } from './helpers/server-process.js';
import { freshDatabase, onPostgres, type TestDatabase } from './helpers/test-db.js';
import { ensureBuilt, workerEnv } from './helpers/worker-process.js';

/**
 * "Kill the server with SIGKILL during a run of 500 payouts and restart it. Every acknowledged
 * payout then exists exactly once, no reservation is leaked, and the trial balance is zero."
 *
 * `payrail serve` runs as a real process with auto_confirm on, so each session/init/payout is
 * reserved, sent and settled by the server's own jobs while the next requests arrive. 500 of them,
 * each with its own idempotency key, go out 16 at a time; a few milliseconds after the 150th answer
 * the server is killed with SIGKILL. After a restart every request is sent again with its key and the same bytes:
 * an answered one must be replayed byte for byte, an unanswered one is either replayed (it had
 * committed) or done now. Then the clock moves on until every payout is final, and the database is
 * read directly.
 *
 * On PGlite the database is a file in the data dir that one process at a time may open: the test
 * opens it only while no server runs. On PostgreSQL the database is a fresh one.
 */
/**
 * 500 on PostgreSQL, as the issue asks. PGlite runs every statement in one WebAssembly process, and
 * 500 payouts (each several transactions of the API call and of its jobs) take it well over a
 * minute on two cores; it runs the same test with 200, which still covers what is PGlite's own: a
 * file-backed database killed mid-write and opened again.
 */
const TOTAL = onPostgres ? 500 : 200;
const CONCURRENCY = 16;
const KILL_AFTER = onPostgres ? 150 : 60;
const FEE = { percent: 1, fixed: 10 };
const feeOf = (amount: number) => Math.floor((amount * 100 + 5000) / 10000) + FEE.fixed;

/** The mix: paid at once, refused, paid after a clock-day, and a rail timeout that reconciliation settles. */
const MIX: { d: Destination; currency: string; outcome: 'succeeded' | 'failed'; code?: string }[] = [
  { d: dest.card(), currency: 'usd', outcome: 'succeeded' },
  { d: dest.card('4000000000000002'), currency: 'usd', outcome: 'failed', code: 'card_declined' },
  { d: dest.wallet(), currency: 'rub', outcome: 'succeeded' },
  { d: dest.fps(), currency: 'rub', outcome: 'succeeded' },
  { d: dest.iban(), currency: 'eur', outcome: 'succeeded' },
  { d: dest.iban('DE50370400440532010404'), currency: 'eur', outcome: 'failed', code: 'account_not_found' },
  { d: dest.iban('DE39370400440532010408'), currency: 'eur', outcome: 'succeeded' },
  { d: dest.card('5555555555554444'), currency: 'usd', outcome: 'succeeded' },
];
const kindOf = (i: number) => MIX[i % MIX.length]!;
const amountOf = (i: number) => 100 + i;
const keyOf = (i: number) => `crash-payout-${i}`;
const bodyOf = (i: number) => JSON.stringify(payoutBody('v1', kindOf(i).d, { amount: amountOf(i), currency: kindOf(i).currency }, { metadata: { n: i } }));

let dataDir: string;
let tdb: TestDatabase;
let demoKey: KeyObject;
let server: ServerProcess | undefined;
const OPENING = 100_000_000;

const openDb = (): Promise<DatabaseHandle> => openDatabase(tdb.url ? { databaseUrl: tdb.url, poolSize: 1 } : { pgliteDir: path.join(dataDir, 'pglite') });

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
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-payout-crash-'));
  tdb = await freshDatabase();
  // Set up in-process, with no worker; on PGlite this is the data dir's database, closed again
  // before any server process opens it.
  const config = loadConfig({ PAYRAIL_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...(tdb.url ? { DATABASE_URL: tdb.url } : {}) });
  const runtime = await createRuntime(config, { startWorker: false, logger: pino({ level: 'silent' }) });
  try {
    const res = await runtime.app.inject({
      method: 'PATCH',
      url: '/admin/projects/demo',
      headers: { authorization: `Bearer ${runtime.adminToken}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ auto_confirm: true, fees: { payout: FEE } }),
    });
    assert.equal(res.statusCode, 200, res.body);
  } finally {
    await runtime.close();
  }
  demoKey = createPrivateKey(fs.readFileSync(path.join(dataDir, 'demo.private.pem')));
});

after(async () => {
  await killServer(server);
  await tdb?.drop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

/**
 * After the SIGKILL, before the restart: the dead server's leases and claims are expired.
 *
 * Jobs and webhook deliveries are leased for 60 s (on the database's clock; a restarted PGlite
 * server releases them at once, and on PostgreSQL they lapse 20 s after the last heartbeat), and an
 * idempotency key claimed by a request that never committed counts as in flight for 60 s (on the
 * sandbox clock). Waiting those out is what a real restart does; here they are expired at once, by
 * setting each lease to end now and moving the stale claims' claim time back by two minutes. No
 * other process holds any lease or claim (the server's exit was observed), so nothing live is
 * taken. On PostgreSQL a dead client's backend may still be finishing a statement; wait until every
 * other backend on the database is gone first, so nothing of it lands after the expiry.
 */
async function expireDeadServersLeases(): Promise<{ payouts: number; sessions: number; jobsLeased: number; claimsInFlight: number }> {
  return withDb(async ({ db }) => {
    if (tdb.url) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`.execute(db);
        if (rows[0]?.n === 0) break;
        assert.ok(Date.now() < deadline, 'the dead server’s backends did not go away');
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    const jobs = await sql`UPDATE jobs SET locked_until = now() WHERE locked_until > now()`.execute(db);
    await sql`UPDATE webhooks SET locked_until = now() WHERE state = 'pending' AND locked_until > now()`.execute(db);
    const claims = await sql`UPDATE idempotency_keys SET locked_at = locked_at - interval '2 minutes' WHERE state = 'in_flight'`.execute(db);
    const count = async (table: 'payouts' | 'sessions') => (await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    return {
      payouts: Number(await count('payouts')),
      sessions: Number(await count('sessions')),
      jobsLeased: Number(jobs.numAffectedRows ?? 0),
      claimsInFlight: Number(claims.numAffectedRows ?? 0),
    };
  });
}

describe('payouts survive SIGKILL', () => {
  test(`${TOTAL} payouts with idempotency keys, SIGKILL after ${KILL_AFTER} answers, restart: each exactly once, no reservation leaked, trial balance zero`, { timeout: 150_000 }, async (t) => {
    const env = workerEnv(dataDir, tdb.url);
    const acked = new Map<number, string>();
    let killed = false;

    // Run 1: fire, and kill mid-run.
    server = spawnServer(env);
    const first = server;
    const url1 = await listening(first);
    const t0 = Date.now();
    await pool(Array.from({ length: TOTAL }, (_, i) => i), CONCURRENCY, async (i) => {
      if (killed) return;
      try {
        const res = await signedPost(url1, 'session/init/payout', bodyOf(i), { key: demoKey, idempotencyKey: keyOf(i) });
        assert.equal(res.status, 200, `${i}: ${res.body}`);
        if (killed) return; // answered after the kill: count it as unanswered
        acked.set(i, res.body);
        if (acked.size === KILL_AFTER) {
          // A few milliseconds later, at no particular point of any request.
          setTimeout(() => {
            killed = true;
            first.child.kill('SIGKILL');
          }, 2 + Math.random() * 20);
        }
      } catch (err) {
        assert.ok(killed, `request ${i} failed before the kill: ${String(err)}`);
      }
    });
    assert.deepEqual(await first.exited, { code: null, signal: 'SIGKILL' }, first.output());
    const atKill = await expireDeadServersLeases();
    t.diagnostic(
      `run 1: ${acked.size} answered in ${Date.now() - t0} ms, then SIGKILL; ${atKill.payouts} payouts committed (${atKill.payouts - acked.size} unanswered); ` +
        `${atKill.jobsLeased} job leases and ${atKill.claimsInFlight} in-flight claims expired`,
    );
    assert.ok(atKill.payouts >= acked.size, 'every answered payout was committed');
    assert.equal(atKill.sessions, atKill.payouts, 'a session and its payout commit together');
    assert.ok(atKill.payouts < TOTAL, 'the kill came mid-run');

    // Run 2: restart, send every request again with its key and bytes.
    server = spawnServer(env);
    const second = server;
    const url2 = await listening(second);
    const t1 = Date.now();
    const answers = await pool(Array.from({ length: TOTAL }, (_, i) => i), CONCURRENCY, async (i) => {
      const res = await signedPost(url2, 'session/init/payout', bodyOf(i), { key: demoKey, idempotencyKey: keyOf(i) });
      assert.equal(res.status, 200, `${i}: ${res.body}`);
      const before = acked.get(i);
      if (before !== undefined) assert.equal(res.body, before, `request ${i} was answered before the kill: the retry must replay that answer`);
      return res.body;
    });
    const sessionOf = answers.map((body) => JSON.parse(body).session.id as string);
    assert.equal(new Set(sessionOf).size, TOTAL, 'one session per key');
    t.diagnostic(`run 2: ${TOTAL} retried in ${Date.now() - t1} ms`);

    const t3 = Date.now();
    // Once more, every key: the same answer again (checked now, while the keys are young: the clock
    // is about to move by days, and keys expire after 24 hours).
    await pool(Array.from({ length: TOTAL }, (_, i) => i), CONCURRENCY, async (i) => {
      const res = await signedPost(url2, 'session/init/payout', bodyOf(i), { key: demoKey, idempotencyKey: keyOf(i) });
      assert.equal(res.body, answers[i], `request ${i} replayed differently`);
    });

    t.diagnostic(`replayed all ${TOTAL} in ${Date.now() - t3} ms`);

    // Until every payout is final: instant rails first; then the clock moves on a day at a time
    // (bank transfers settle after a clock-day, rail timeouts are reconciled after 30 minutes).
    const pending = new Set(sessionOf);
    const t2 = Date.now();
    for (let round = 0; pending.size > 0; round++) {
      assert.ok(round < 12, `${pending.size} sessions never finished`);
      if (round > 0) {
        const adv = await adminCall(url2, dataDir, 'POST', '/clock/advance', { seconds: 25 * 3600 });
        assert.equal(adv.status, 200, adv.body);
      }
      await pool([...pending], CONCURRENCY, async (sid) => {
        const res = await signedPost(url2, 'session/status', JSON.stringify({ session_id: sid }), { key: demoKey });
        const status = JSON.parse(res.body).session.status;
        if (status === 'accepted' || status === 'cancelled') pending.delete(sid);
      });
      if (round === 0 && pending.size > 0) await new Promise((r) => setTimeout(r, 500));
    }
    t.diagnostic(`all final ${Date.now() - t2} ms later`);
    const tb = await adminCall(url2, dataDir, 'GET', '/ledger/trial-balance');
    assertTrialBalance(JSON.parse(tb.body), 'trial balance after the restart');
    await stopServer(second);
    server = undefined;

    // The database, read directly.
    await withDb(async ({ db }) => {
      const payouts = await db.selectFrom('payouts').select(['id', 'session_id', 'stage', 'amount', 'fee', 'currency', 'error_code', 'metadata']).execute();
      assert.equal(payouts.length, TOTAL, 'one payout per request, none twice');
      assert.equal((await db.selectFrom('sessions').select('id').execute()).length, TOTAL, 'no session without its payout');
      const bySession = new Map(payouts.map((p) => [p.session_id, p]));
      assert.equal(bySession.size, TOTAL, 'one payout per session');

      const spent: Record<string, number> = {};
      for (let i = 0; i < TOTAL; i++) {
        const p = bySession.get(sessionOf[i]!);
        assert.ok(p, `key ${keyOf(i)}: no payout`);
        assert.deepEqual(p.metadata, { n: i }, `key ${keyOf(i)} names the payout of request ${i}`);
        const kind = kindOf(i);
        assert.equal(Number(p.amount), amountOf(i));
        assert.equal(p.currency, kind.currency);
        assert.equal(p.stage, kind.outcome, `${keyOf(i)} (${JSON.stringify(kind.d.method).slice(0, 80)})`);
        assert.equal(p.error_code, kind.code ?? null);
        assert.equal(Number(p.fee), feeOf(amountOf(i)));
        if (p.stage === 'succeeded') spent[p.currency] = (spent[p.currency] ?? 0) + Number(p.amount) + Number(p.fee);
      }

      // No reservation leaked: every payout's reserved postings net to zero, and so does the account.
      const leaked = await sql<{ reference: string; net: string }>`
        SELECT e.reference, sum(p.amount) AS net FROM ledger_entries e
        JOIN ledger_postings p ON p.entry_id = e.id JOIN ledger_accounts a ON a.id = p.account_id
        WHERE a.kind = 'reserved' GROUP BY e.reference HAVING sum(p.amount) <> 0`.execute(db);
      assert.deepEqual(leaked.rows, []);
      const accounts = await db.selectFrom('ledger_accounts').select(['kind', 'currency', 'balance']).execute();
      const balance = (kind: string, currency: string) => Number(accounts.find((a) => a.kind === kind && a.currency === currency)?.balance ?? 0);
      for (const currency of ['usd', 'eur', 'rub']) {
        assert.equal(balance('reserved', currency), 0, `reserved ${currency}`);
        assert.equal(balance('wallet', currency), OPENING - (spent[currency] ?? 0), `wallet ${currency}`);
      }
      // Each event booked once: one reserve per payout, one settle or one void.
      const kinds = await sql<{ kind: string; n: number }>`SELECT kind, count(*)::int AS n FROM ledger_entries GROUP BY kind ORDER BY kind`.execute(db);
      const succeeded = payouts.filter((p) => p.stage === 'succeeded').length;
      assert.deepEqual(Object.fromEntries(kinds.rows.map((r) => [r.kind, r.n])), {
        payout_reserve: TOTAL,
        payout_settle: succeeded,
        payout_void: TOTAL - succeeded,
        topup: 3,
      });
      const unfinished = await db.selectFrom('jobs').select(['kind', 'last_error']).where('kind', 'like', 'payout.%').execute();
      assert.deepEqual(unfinished, [], 'no payout job left behind');
      await assertLedgerTables(db, 'after the crash');
    });
  });
});
