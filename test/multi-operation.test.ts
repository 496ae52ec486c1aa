import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { startHarness, type Harness } from './helpers/harness.js';
import { assertLedgerInvariants, checkLedgerAfterEach } from './helpers/ledger-invariants.js';
import { postSigned, type HttpReply } from './helpers/peer.js';
import { startReceiver, type Received, type Receiver } from './helpers/receiver.js';
import { bankCard, captured, listOf, maskedCard, shape as shapeAcquiring } from './helpers/acquiring.js';
import {
  USD,
  accounts,
  advance,
  amountsOf,
  assertError,
  createProject,
  dest,
  destOf,
  entriesFor,
  hook,
  hooksFor,
  money,
  ok,
  patchProject,
  payoutBody,
  payoutsOf,
  rowCounts,
  shape as shapePayouts,
  statusOf,
  topUp,
  typesFor,
  until,
  type Json,
  type Version,
  refundAmounts,
} from './helpers/payouts.js';

/**
 * Several operations in one session (docs/decisions.md, "Several operations in one session" and
 * "Refunds and split payments"): two payouts confirmed by one session/confirm, a payment followed
 * by a payout, partial / declined / failed refunds, session/multi/init (and its SDK alias) with
 * idempotency and all-or-nothing validation, split payments booked per contractor, starts racing
 * on one session over real sockets, and the refusals of a cancelled session and of a partial
 * capture with two holds. Webhooks come from a real receiver (signatures checked); the ledger's
 * invariants are checked after every test.
 */
let h: Harness;
let rx: Receiver;
let baseUrl: string;

/** The demo project's fees in these tests: payouts 1.5 % + 0.30, payments 2.9 % + 0.30 (rounded half up). */
const FEES = { payout: { percent: 1.5, fixed: 30 }, payment: { percent: 2.9, fixed: 30 } };
const payoutFee = (amount: number) => Math.floor((amount * 150 + 5000) / 10000) + 30;
const paymentFee = (amount: number) => Math.floor((amount * 290 + 5000) / 10000) + 30;

before(async () => {
  h = await startHarness();
  rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
  await patchProject(h, 'demo', { webhook_url: rx.url, fees: FEES });
  baseUrl = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  await h?.close();
  await rx?.close();
});
checkLedgerAfterEach(() => h);

/** Both helpers' placeholders: ps/pm/rf ids, rrn and auth_code (acquiring), then po ids (payouts). */
const shape = (v: unknown): unknown => shapePayouts(shapeAcquiring(v));

const customer = { reference: 'multi', contacts: [{ email: 'multi@example.com' }] };
const recipient = { recipient: { full_name: 'John Johnson' } };
const visaCard = { type: 'card', card: { last4: '4242', brand: 'visa', country_iso3: 'USA' } };
const mcCard = { type: 'card', card: { last4: '4444', brand: 'mastercard', country_iso3: 'USA' } };

/** Runs `fn` with the demo project's webhooks rendered in `version`, then puts v1 back. */
async function asVersion(version: Version, fn: () => Promise<void>): Promise<void> {
  if (version === 'v2') await patchProject(h, 'demo', { api_version: 'v2' });
  try {
    await fn();
  } finally {
    if (version === 'v2') await patchProject(h, 'demo', { api_version: 'v1' });
  }
}

/** The ids a rendered session lists, per list, in order. */
function idsIn(s: Json, version: Version): { payments: string[]; payouts: string[] } {
  const ids = (list: unknown) => ((list as { id: string }[] | undefined) ?? []).map((o) => o.id);
  return { payments: ids(s[listOf(version)]), payouts: ids(s[payoutsOf(version)]) };
}

/**
 * Every webhook of the session is signed and carries the whole session: its id, and every
 * operation that existed when it was sent (a prefix of each final list, in order; all of them once
 * `allFrom` webhooks have passed), in `version`'s names and never in the other's.
 */
function assertWholeSessions(received: Received[], sid: string, version: Version, final: { payments: string[]; payouts: string[] }, allFrom = 0): void {
  const other = version === 'v1' ? ['payment_list', 'payout_list', 'payout_details'] : ['acquiring_payments', 'payments', 'payment_method'];
  for (const [i, r] of received.entries()) {
    assert.equal(r.verified, true, `webhook ${i + 1} of ${sid} must verify`);
    assert.deepEqual(Object.keys(r.json).sort(), ['session', 'type'], r.body);
    const s = r.json.session as Json;
    assert.equal(s['id'], sid);
    const ids = idsIn(s, version);
    if (i >= allFrom) assert.deepEqual(ids, final, `webhook ${i + 1} (${r.json.type}) must list every operation of the session`);
    else {
      assert.deepEqual(ids.payments, final.payments.slice(0, ids.payments.length), `webhook ${i + 1}: payments in order`);
      assert.deepEqual(ids.payouts, final.payouts.slice(0, ids.payouts.length), `webhook ${i + 1}: payouts in order`);
    }
    for (const name of other) assert.ok(!r.body.includes(`"${name}"`), `webhook ${i + 1} uses ${name}, a name of the other version: ${r.body}`);
  }
}

/** Rows of the tables a session start writes to (the payouts helper's set, plus payments). */
async function counts(): Promise<Record<string, number>> {
  const db = h.runtime.database.db;
  const payments = await sql<{ n: number }>`SELECT count(*)::int AS n FROM payments`.execute(db);
  return { ...(await rowCounts(db)), payments: payments.rows[0]!.n };
}

/**
 * Waits until no job is due on the sandbox clock (the worker has nothing left to do now), so that
 * row counts taken before and after a refused call are not moved by earlier operations' jobs.
 */
async function idle(timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    const due = await h.runtime.database.db
      .selectFrom('jobs')
      .select(['kind', 'unique_key', 'last_error'])
      .where('kind', '<>', 'purge_idempotency_keys')
      .where('run_at', '<=', h.clock.now())
      .execute();
    if (due.length === 0) return;
    assert.ok(Date.now() - started < timeoutMs, `jobs still due: ${JSON.stringify(due)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The postings of every entry booked for `reference`, contractor accounts named by holder. */
async function postingsFor(reference: string): Promise<{ kind: string; postings: Record<string, number> }[]> {
  const rows = await sql<{ id: string; kind: string; account: string; holder: string; amount: string }>`
    SELECT e.id, e.kind, a.kind AS account, a.holder, p.amount
    FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id JOIN ledger_accounts a ON a.id = p.account_id
    WHERE e.reference = ${reference} ORDER BY e.id, p.id`.execute(h.runtime.database.db);
  const byEntry = new Map<string, { kind: string; postings: Record<string, number> }>();
  for (const r of rows.rows) {
    const e = byEntry.get(String(r.id)) ?? { kind: r.kind, postings: {} };
    e.postings[r.holder ? `${r.account}:${r.holder}` : r.account] = Number(r.amount);
    byEntry.set(String(r.id), e);
  }
  return [...byEntry.values()];
}

/** The demo project's ledger accounts of `kind` in usd, by holder ('' for the project's own). */
async function demoAccounts(kind: string): Promise<Record<string, number>> {
  const rows = await sql<{ holder: string; balance: string }>`
    SELECT a.holder, a.balance FROM ledger_accounts a JOIN projects p ON p.id = a.project_id
    WHERE p.name = 'demo' AND a.kind = ${kind} AND a.currency = 'usd' ORDER BY a.holder`.execute(h.runtime.database.db);
  return Object.fromEntries(rows.rows.map((r) => [r.holder, Number(r.balance)]));
}

/** Waits `ms` of real time (only to see that nothing more arrives). */
const quiet = (ms = 150) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// 1. Two payouts in one session
// ---------------------------------------------------------------------------------------------
for (const version of ['v1', 'v2'] as const) {
  const L = payoutsOf(version);
  const D = destOf(version);

  describe(`${version}: two payouts in one session`, () => {
    test('create, start/payout ×2, two ready_to_confirm, one confirm confirms both, two payment_finished, accepted; wallet debited by both plus fees', { timeout: 30_000 }, async () => {
      await asVersion(version, async () => {
        const iban = dest.iban();
        const walletBefore = (await accounts(h, 'demo'))['wallet usd']!;
        const created = await ok(h, 'session/create', { customer }, { version });
        const sid: string = created.session.id;
        assert.deepEqual(shape(created.session), { id: '<ps>', status: 'created', created_at: '<ts>', updated_at: '<ts>' });

        const a = await ok(h, 'session/start/payout', { session_id: sid, ...payoutBody(version, dest.card(), USD(10_000), { metadata: 'A' }) }, { version });
        const A = { id: '<po>', created_at: '<ts>', updated_at: '<ts>', customer, [D]: visaCard, amount_details: USD(10_000), participant_details: recipient, metadata: 'A' };
        assert.deepEqual(shape(a.session), { id: '<ps>', status: 'in_progress', created_at: '<ts>', updated_at: '<ts>', [L]: [{ ...A, status: 'in_progress' }] });
        const poA: string = a.session[L][0].id;

        const b = await ok(h, 'session/start/payout', { session_id: sid, ...payoutBody(version, iban, USD(20_000), { metadata: 'B' }) }, { version });
        const B = { id: '<po>', created_at: '<ts>', updated_at: '<ts>', customer, [D]: iban.method, amount_details: USD(20_000), participant_details: iban.participants, metadata: 'B' };
        const sb = shape(b.session) as Json;
        assert.equal(sb['status'], 'in_progress');
        assert.equal(b.session[L].length, 2);
        assert.equal(b.session[L][0].id, poA);
        const poB: string = b.session[L][1].id;
        assert.notEqual(poA, poB);
        // A may already have been checked (pending) when B starts; B is just in.
        assert.ok(['in_progress', 'pending'].includes(sb[L][0].status), JSON.stringify(sb));
        assert.deepEqual(sb[L][1], { ...B, status: 'in_progress' });
        const final = { payments: [], payouts: [poA, poB] };

        // Each payout sends its own ready_to_confirm; the later one shows both waiting.
        const rtc = await hooksFor(rx, sid, 2);
        assert.deepEqual(rtc.map((r) => r.json.type), ['ready_to_confirm', 'ready_to_confirm']);
        assertWholeSessions(rtc, sid, version, final, 1);
        const both = rtc.map((r) => r.json.session as Json).find((s) => s[L].length === 2 && s[L].every((p: Json) => p.status === 'pending'));
        assert.ok(both, `one ready_to_confirm shows both payouts pending: ${rtc.map((r) => r.body).join('\n')}`);
        assert.deepEqual(shape(both), {
          id: '<ps>',
          status: 'in_progress',
          created_at: '<ts>',
          updated_at: '<ts>',
          next_action: 'confirm',
          [L]: [
            { ...A, status: 'pending' },
            { ...B, status: 'pending' },
          ],
        });
        assert.deepEqual(await statusOf(h, sid, { version }), both, 'session/status shows what the last webhook showed');

        // One confirm confirms both: amount plus fee of each is reserved.
        const feeA = payoutFee(10_000);
        const feeB = payoutFee(20_000);
        const confirmed = await ok(h, 'session/confirm', { session_id: sid }, { version });
        assert.deepEqual(shape(confirmed.session), {
          id: '<ps>',
          status: 'in_progress',
          created_at: '<ts>',
          updated_at: '<ts>',
          [L]: [
            { ...A, status: 'in_progress', amounts: amountsOf(10_000, feeA) },
            { ...B, status: 'in_progress', amounts: amountsOf(20_000, feeB) },
          ],
        });
        assertError(await h.call('session/confirm', { session_id: sid }, { version }), 409, 'invalid_session_state', new RegExp(`^session ${sid} is not waiting for confirmation: its payout ${poA} is (in_progress|succeeded), payout ${poB} is in_progress$`));

        // The card is paid at once; the bank transfer after a clock-day (move the clock once the rail has it).
        const finA = await hook(rx, sid, 3, 'payment_finished');
        assert.deepEqual(shape(finA.session), {
          id: '<ps>',
          status: 'in_progress',
          created_at: '<ts>',
          updated_at: '<ts>',
          [L]: [
            { ...A, status: 'succeeded', finished_at: '<ts>', amounts: amountsOf(10_000, feeA), transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' } },
            { ...B, status: 'in_progress', amounts: amountsOf(20_000, feeB), ...(finA.session[L][1].transaction_info ? { transaction_info: { rrn: '<rrn>' } } : {}) },
          ],
        });
        await until(h, sid, (s) => s[L][1].transaction_info !== undefined, { version });
        await advance(h, 86_400 + 60);
        const finB = await hook(rx, sid, 4, 'payment_finished');
        const done = {
          id: '<ps>',
          status: 'accepted',
          created_at: '<ts>',
          updated_at: '<ts>',
          finished_at: '<ts>',
          [L]: [
            { ...A, status: 'succeeded', finished_at: '<ts>', amounts: amountsOf(10_000, feeA), transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' } },
            { ...B, status: 'succeeded', finished_at: '<ts>', amounts: amountsOf(20_000, feeB), transaction_info: { rrn: '<rrn>' } },
          ],
        };
        assert.deepEqual(shape(finB.session), done);
        assert.deepEqual(await statusOf(h, sid, { version }), finB.session);
        await quiet();
        assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'ready_to_confirm', 'payment_finished', 'payment_finished']);
        assertWholeSessions(await hooksFor(rx, sid, 4), sid, version, final, 1);

        // The money: each payout reserved at the confirm and settled to the rail.
        for (const [po, amount, fee] of [[poA, 10_000, feeA], [poB, 20_000, feeB]] as const) {
          assert.deepEqual(await entriesFor(h.runtime.database.db, po), [
            { kind: 'payout_reserve', postings: { wallet: -(amount + fee), reserved: amount + fee } },
            { kind: 'payout_settle', postings: { reserved: -(amount + fee), external_bank_rails: amount, fees: fee } },
          ]);
        }
        assert.equal((await accounts(h, 'demo'))['wallet usd'], walletBefore - (10_000 + feeA) - (20_000 + feeB));
        await assertLedgerInvariants(h, 'two payouts');
      });
    });
  });
}

describe('one confirm, a wallet that covers only the older payout', () => {
  test('the older payout is paid, the younger fails with insufficient_funds (its own payment_finished); the session is accepted', { timeout: 30_000 }, async () => {
    const key = await createProject(h, 'thin', { webhook_url: rx.url, fees: { payout: { percent: 0, fixed: 30 } } });
    await topUp(h, 'thin', 2000);
    const opts = { project: 'thin', key };
    const created = await ok(h, 'session/create', {}, opts);
    const sid: string = created.session.id;
    await ok(h, 'session/start/payout', { session_id: sid, ...payoutBody('v1', dest.card(), USD(1500)) }, opts);
    const second = await ok(h, 'session/start/payout', { session_id: sid, ...payoutBody('v1', dest.card('5555555555554444'), USD(1000)) }, opts);
    const [poA, poB] = second.session.payments.map((p: Json) => p.id as string);
    await hooksFor(rx, sid, 2);
    const confirmed = await ok(h, 'session/confirm', { session_id: sid }, opts);
    // Oldest first: A takes 1530 of the 2000; B needs 1030 of the 470 left.
    assert.deepEqual(
      confirmed.session.payments.map((p: Json) => [p.id, p.status, p.error]),
      [
        [poA, 'in_progress', undefined],
        [poB, 'failed', { code: 'insufficient_funds', description: 'the usd wallet holds 470 and the payout needs 1030 (amount 1000 + fee 30); top it up and start a new payout' }],
      ],
    );
    const hooks = await hooksFor(rx, sid, 4);
    const done = await until(h, sid, (s) => s['status'] === 'accepted', opts);
    assert.deepEqual(done['payments'].map((p: Json) => p.status), ['succeeded', 'failed']);
    await quiet();
    assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'ready_to_confirm', 'payment_finished', 'payment_finished']);
    assertWholeSessions(hooks, sid, 'v1', { payments: [], payouts: [poA, poB] }, 1);
    assert.deepEqual(hooks.at(-1)!.json.session, done);
    assert.deepEqual(await accounts(h, 'thin'), { 'external_bank_rails usd': 1500, 'external_topup usd': -2000, 'fees usd': 30, 'reserved usd': 0, 'wallet usd': 470 });
    assert.deepEqual(await entriesFor(h.runtime.database.db, poB), []);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. A payment, then a payout, in one session
// ---------------------------------------------------------------------------------------------
for (const version of ['v1', 'v2'] as const) {
  const PL = listOf(version);
  const L = payoutsOf(version);
  const D = destOf(version);

  describe(`${version}: a payment and then a payout in one session`, () => {
    test('init/payment → confirm → accepted; start/payout re-opens it (in_progress) → ready_to_confirm → confirm → accepted', { timeout: 30_000 }, async () => {
      await asVersion(version, async () => {
        const init = await ok(h, 'session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(5000), customer }, { version });
        const sid: string = init.session.id;
        const pm: string = init.session[PL][0].id;
        await hook(rx, sid, 1, 'ready_to_confirm');
        await ok(h, 'session/confirm', { session_id: sid }, { version });
        const paid = await hook(rx, sid, 2, 'payment_finished');
        const payment = {
          id: '<pm>',
          status: 'succeeded',
          created_at: '<ts>',
          updated_at: '<ts>',
          finished_at: '<ts>',
          customer,
          payment_details: maskedCard('visa', '4242', '424242'),
          amount_details: USD(5000),
          transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' },
        };
        assert.deepEqual(shape(paid.session), { id: '<ps>', status: 'accepted', created_at: '<ts>', updated_at: '<ts>', finished_at: '<ts>', [PL]: [payment] });
        assert.deepEqual(paid.session[PL][0].amounts, { gross: USD(5000), net: USD(5000 - paymentFee(5000)), fee: { merchant_fee: USD(paymentFee(5000)) } });
        assert.deepEqual(captured(paid.session[PL][0]), USD(5000));

        // A payout on the same session: the accepted session goes back to in_progress.
        const started = await ok(h, 'session/start/payout', { session_id: sid, ...payoutBody(version, dest.card('5555555555554444'), USD(3000)) }, { version });
        const payout = { id: '<po>', created_at: '<ts>', updated_at: '<ts>', customer, [D]: mcCard, amount_details: USD(3000), participant_details: recipient };
        assert.deepEqual(shape(started.session), { id: '<ps>', status: 'in_progress', created_at: '<ts>', updated_at: '<ts>', [PL]: [payment], [L]: [{ ...payout, status: 'in_progress' }] });
        const po: string = started.session[L][0].id;

        const rtc = await hook(rx, sid, 3, 'ready_to_confirm');
        assert.deepEqual(shape(rtc.session), {
          id: '<ps>',
          status: 'in_progress',
          created_at: '<ts>',
          updated_at: '<ts>',
          next_action: 'confirm',
          [PL]: [payment],
          [L]: [{ ...payout, status: 'pending' }],
        });
        const fee = payoutFee(3000);
        const confirmed = await ok(h, 'session/confirm', { session_id: sid }, { version });
        assert.deepEqual(shape(confirmed.session), {
          id: '<ps>',
          status: 'in_progress',
          created_at: '<ts>',
          updated_at: '<ts>',
          [PL]: [payment],
          [L]: [{ ...payout, status: 'in_progress', amounts: amountsOf(3000, fee) }],
        });
        const fin = await hook(rx, sid, 4, 'payment_finished');
        assert.deepEqual(shape(fin.session), {
          id: '<ps>',
          status: 'accepted',
          created_at: '<ts>',
          updated_at: '<ts>',
          finished_at: '<ts>',
          [PL]: [payment],
          [L]: [{ ...payout, status: 'succeeded', finished_at: '<ts>', amounts: amountsOf(3000, fee), transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' } }],
        });
        assert.ok(fin.session['finished_at'] > paid.session['finished_at'], 'finished_at is the payout’s, not the payment’s');
        assert.deepEqual(await statusOf(h, sid, { version }), fin.session);
        await quiet();
        assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'payment_finished', 'ready_to_confirm', 'payment_finished']);
        assertWholeSessions(await hooksFor(rx, sid, 4), sid, version, { payments: [pm], payouts: [po] }, 2);
        assert.deepEqual(await entriesFor(h.runtime.database.db, pm), [
          { kind: 'capture', postings: { external_card_network: -5000, acquiring_settlement: 5000 - paymentFee(5000), fees: paymentFee(5000) } },
        ]);
        assert.deepEqual(await entriesFor(h.runtime.database.db, po), [
          { kind: 'payout_reserve', postings: { wallet: -(3000 + fee), reserved: 3000 + fee } },
          { kind: 'payout_settle', postings: { reserved: -(3000 + fee), external_bank_rails: 3000, fees: fee } },
        ]);
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// 3. Partial refunds, a declined refund, a refund above what is left, a refund in error
// ---------------------------------------------------------------------------------------------
describe('refunds of one payment', () => {
  test('3000 accepted, 2051 declined, 1000 accepted; 6001 exceeds the 6000 left; 1052 ends in error and so does the session; no more starts', { timeout: 30_000 }, async () => {
    const init = await ok(h, 'session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(10_000), customer });
    const sid: string = init.session.id;
    const pm: string = init.session['acquiring_payments'][0].id;
    await hook(rx, sid, 1, 'ready_to_confirm');
    await ok(h, 'session/confirm', { session_id: sid });
    await hook(rx, sid, 2, 'payment_finished');
    const payment = {
      id: '<pm>',
      status: 'succeeded',
      created_at: '<ts>',
      updated_at: '<ts>',
      finished_at: '<ts>',
      customer,
      payment_details: maskedCard('visa', '4242', '424242'),
      amount_details: USD(10_000),
      transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' },
    };
    const accepted = (amount: number) => ({ id: '<rf>', status: 'accepted', created_at: '<ts>', finished_at: '<ts>', is_chargeback: false, amount_details: USD(amount), amounts: refundAmounts(USD(amount)) });
    const declined = {
      id: '<rf>',
      status: 'declined',
      created_at: '<ts>',
      finished_at: '<ts>',
      is_chargeback: false,
      amount_details: USD(2051),
      amounts: refundAmounts(USD(2051)),
      error: { code: 'refund_declined', description: 'the issuer refused the refund' },
    };
    const session = (status: string, refunds: unknown[], finished = true) => ({
      id: '<ps>',
      status,
      created_at: '<ts>',
      updated_at: '<ts>',
      ...(finished ? { finished_at: '<ts>' } : {}),
      acquiring_payments: [{ ...payment, refunds }],
    });

    const r1 = await ok(h, 'session/refund', { session_id: sid, amount_details: USD(3000) });
    assert.deepEqual(shape(r1.session), session('in_progress', [{ id: '<rf>', status: 'in_progress', created_at: '<ts>', is_chargeback: false, amount_details: USD(3000), amounts: refundAmounts(USD(3000)) }], false));
    const rf1: string = r1.session['acquiring_payments'][0].refunds[0].id;
    assert.deepEqual(shape((await hook(rx, sid, 3, 'payment_refunded')).session), session('accepted', [accepted(3000)]));

    const r2 = await ok(h, 'session/refund', { session_id: sid, amount_details: USD(2051) });
    const rf2: string = r2.session['acquiring_payments'][0].refunds[1].id;
    assert.deepEqual(shape((await hook(rx, sid, 4, 'payment_refunded')).session), session('accepted', [accepted(3000), declined]));

    const r3 = await ok(h, 'session/refund', { session_id: sid, amount_details: USD(1000) });
    const rf3: string = r3.session['acquiring_payments'][0].refunds[2].id;
    const after3 = await hook(rx, sid, 5, 'payment_refunded');
    assert.deepEqual(shape(after3.session), session('accepted', [accepted(3000), declined, accepted(1000)]));
    assert.deepEqual(after3.session['acquiring_payments'][0].refunds.map((r: Json) => r.id), [rf1, rf2, rf3]);
    assert.deepEqual(await statusOf(h, sid), after3.session);

    // The declined refund freed its amount: 10000 − 3000 − 1000 = 6000 left.
    await idle();
    const before = await counts();
    assertError(await h.call('session/refund', { session_id: sid, amount_details: USD(6001) }), 400, 'amount_exceeds_limit', 'amount_details.amount 6001 exceeds what can still be refunded (6000 usd)');
    assert.deepEqual(await counts(), before);
    assert.deepEqual(await statusOf(h, sid), after3.session);

    // An amount ending in 52: the processor fails, the refund and its session are in error.
    const r4 = await ok(h, 'session/refund', { session_id: sid, amount_details: USD(1052) });
    assert.equal(r4.session['status'], 'in_progress');
    const inError = await hook(rx, sid, 6, 'payment_refunded');
    const errored = { id: '<rf>', status: 'error', created_at: '<ts>', is_chargeback: false, amount_details: USD(1052), amounts: refundAmounts(USD(1052)), error: { code: 'provider_internal_error', description: 'the processor failed while refunding; the outcome is being investigated' } };
    assert.deepEqual(shape(inError.session), session('error', [accepted(3000), declined, accepted(1000), errored], false));
    assert.deepEqual(await statusOf(h, sid), inError.session);

    // A session in error takes no new operation, and nothing is written.
    await idle();
    const beforeStart = await counts();
    assertError(
      await h.call('session/start/payment', { session_id: sid, payment_details: bankCard('4242424242424242'), amount_details: USD(100) }),
      409,
      'invalid_session_state',
      `session ${sid} cannot start a payment: it is in error and waits for resolution by support`,
    );
    assertError(
      await h.call('session/start/payout', { session_id: sid, ...payoutBody('v1', dest.card(), USD(100)) }),
      409,
      'invalid_session_state',
      `session ${sid} cannot start a payout: it is in error and waits for resolution by support`,
    );
    assert.deepEqual(await counts(), beforeStart);
    assert.deepEqual(await statusOf(h, sid), inError.session);
    await quiet();
    assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'payment_finished', 'payment_refunded', 'payment_refunded', 'payment_refunded', 'payment_refunded']);
    assertWholeSessions(await hooksFor(rx, sid, 6), sid, 'v1', { payments: [pm], payouts: [] });

    // Only the accepted refunds moved money.
    const fee = paymentFee(10_000);
    assert.deepEqual(await entriesFor(h.runtime.database.db, pm), [{ kind: 'capture', postings: { external_card_network: -10_000, acquiring_settlement: 10_000 - fee, fees: fee } }]);
    assert.deepEqual(await entriesFor(h.runtime.database.db, rf1), [{ kind: 'refund', postings: { acquiring_settlement: -3000, external_card_network: 3000 } }]);
    assert.deepEqual(await entriesFor(h.runtime.database.db, rf2), []);
    assert.deepEqual(await entriesFor(h.runtime.database.db, rf3), [{ kind: 'refund', postings: { acquiring_settlement: -1000, external_card_network: 1000 } }]);
    assert.deepEqual(await entriesFor(h.runtime.database.db, inError.session['acquiring_payments'][0].refunds[3].id), []);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. session/multi/init
// ---------------------------------------------------------------------------------------------
describe('session/multi/init', () => {
  const pay = (number: string, amount: number, n: number) => ({ payment_details: bankCard(number), amount_details: USD(amount), customer: { reference: `payer-${n}` }, metadata: { item: n } });
  const out = (d: ReturnType<typeof dest.card>, amount: Json, n: number) => payoutBody('v2', d, amount, { customer: { reference: `payee-${n}` }, metadata: { item: n } });

  test('v2, with an idempotency key: 2 payments and 3 payouts in the order sent, one ready_to_confirm each, one confirm for all; a replay returns the same bytes', { timeout: 40_000 }, async () => {
    await asVersion('v2', async () => {
      const body = {
        payment_list: [pay('4242424242424242', 1100, 1), pay('5555555555554444', 1200, 2)],
        payout_list: [out(dest.card(), USD(2100), 3), out(dest.card('5555555555554444'), USD(2200), 4), out(dest.wallet(), money(2300, 'rub'), 5)],
      };
      const key = `multi-${Date.now()}`;
      const first = await h.call('session/multi/init', body, { version: 'v2', idempotencyKey: key });
      assert.equal(first.statusCode, 200, first.body);
      const init = first.json();
      const sid: string = init.session.id;
      const P = (n: number, number: string, amount: number) => ({
        id: '<pm>',
        created_at: '<ts>',
        updated_at: '<ts>',
        customer: { reference: `payer-${n}` },
        amount_details: USD(amount),
        metadata: { item: n },
        payment_details: maskedCard(number === '4242424242424242' ? 'visa' : 'mastercard', number.slice(-4)),
      });
      const O = (n: number, details: Json, amount: Json, participants: Json = recipient) => ({
        id: '<po>',
        created_at: '<ts>',
        updated_at: '<ts>',
        customer: { reference: `payee-${n}` },
        payout_details: details,
        amount_details: amount,
        ...(Object.keys(participants).length ? { participant_details: participants } : {}),
        metadata: { item: n },
      });
      const payments = [P(1, '4242424242424242', 1100), P(2, '5555555555554444', 1200)];
      const payouts = [O(3, visaCard, USD(2100)), O(4, mcCard, USD(2200)), O(5, dest.wallet().method, money(2300, 'rub'), {})];
      assert.deepEqual(shape(init), {
        status: 'ok',
        session: {
          id: '<ps>',
          status: 'in_progress',
          created_at: '<ts>',
          updated_at: '<ts>',
          payment_list: payments.map((p) => ({ ...p, status: 'in_progress' })),
          payout_list: payouts.map((p) => ({ ...p, status: 'in_progress' })),
        },
      });
      assert.equal(init.session['acquiring_payments'], undefined);
      assert.equal(init.session['payments'], undefined);
      // Stamped a millisecond apart in list order, payments first.
      const stamps = [...init.session.payment_list, ...init.session.payout_list].map((o: Json) => Date.parse(o.created_at));
      assert.deepEqual(stamps.map((t) => t - stamps[0]!), [0, 1, 2, 3, 4]);
      const final = idsIn(init.session, 'v2');
      assert.equal(new Set([...final.payments, ...final.payouts]).size, 5);

      // The replay: the same bytes, and nothing new.
      // (The first call's own jobs and webhooks go on meanwhile: count what a second call would create.)
      const created = async () => {
        const { sessions, payments: p, payouts: o, cards } = await counts();
        return { sessions, payments: p, payouts: o, cards };
      };
      const countsAfterFirst = await created();
      const replay = await h.call('session/multi/init', body, { version: 'v2', idempotencyKey: key });
      assert.equal(replay.statusCode, 200, replay.body);
      assert.equal(replay.body, first.body, 'the stored answer, byte for byte');
      assert.deepEqual(await created(), countsAfterFirst, 'the replay created nothing');

      // Five operations, five ready_to_confirm; the last shows all five pending.
      const rtc = await hooksFor(rx, sid, 5);
      assert.deepEqual(rtc.map((r) => r.json.type), Array(5).fill('ready_to_confirm'));
      assertWholeSessions(rtc, sid, 'v2', final);
      const all = rtc.map((r) => r.json.session as Json).find((s) => [...s['payment_list'], ...s['payout_list']].every((o: Json) => o.status === 'pending'));
      assert.ok(all, 'one ready_to_confirm shows every operation pending');
      const seenPayments = [P(1, '4242424242424242', 1100), P(2, '5555555555554444', 1200)].map((p, i) => ({ ...p, payment_details: maskedCard(i === 0 ? 'visa' : 'mastercard', i === 0 ? '4242' : '4444', i === 0 ? '424242' : '555555') }));
      assert.deepEqual(shape(all), {
        id: '<ps>',
        status: 'in_progress',
        created_at: '<ts>',
        updated_at: '<ts>',
        next_action: 'confirm',
        payment_list: seenPayments.map((p) => ({ ...p, status: 'pending' })),
        payout_list: payouts.map((p) => ({ ...p, status: 'pending' })),
      });

      // One confirm confirms every one of them.
      const fees = [payoutFee(2100), payoutFee(2200), payoutFee(2300)];
      const confirmed = await ok(h, 'session/confirm', { session_id: sid }, { version: 'v2' });
      assert.deepEqual(shape(confirmed.session), {
        id: '<ps>',
        status: 'in_progress',
        created_at: '<ts>',
        updated_at: '<ts>',
        payment_list: seenPayments.map((p) => ({ ...p, status: 'in_progress' })),
        payout_list: payouts.map((p, i) => ({ ...p, status: 'in_progress', amounts: amountsOf(p.amount_details.amount, fees[i]!, p.amount_details.currency) })),
      });
      const hooks = await hooksFor(rx, sid, 10, 20_000);
      const done = await until(h, sid, (s) => s['status'] === 'accepted', { version: 'v2' });
      assert.deepEqual(shape(done), {
        id: '<ps>',
        status: 'accepted',
        created_at: '<ts>',
        updated_at: '<ts>',
        finished_at: '<ts>',
        payment_list: seenPayments.map((p) => ({ ...p, status: 'succeeded', finished_at: '<ts>', transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' } })),
        payout_list: payouts.map((p, i) => ({
          ...p,
          status: 'succeeded',
          finished_at: '<ts>',
          amounts: amountsOf(p.amount_details.amount, fees[i]!, p.amount_details.currency),
          // Card payouts carry the network's auth code; the wallet payout only a reference.
          transaction_info: (p.payout_details as { type?: string }).type === 'card' ? { rrn: '<rrn>', auth_code: '<auth_code>' } : { rrn: '<rrn>' },
        })),
      });
      await quiet();
      assert.deepEqual(typesFor(rx, sid), [...Array(5).fill('ready_to_confirm'), ...Array(5).fill('payment_finished')]);
      assertWholeSessions(hooks, sid, 'v2', final);
      const lastFinished = hooks.filter((r) => r.json.type === 'payment_finished').find((r) => (r.json.session as Json)['status'] === 'accepted');
      assert.ok(lastFinished, 'the last payment_finished shows the session accepted');
      assert.deepEqual(lastFinished.json.session, done);
      for (const [i, pm] of final.payments.entries()) {
        const amount = [1100, 1200][i]!;
        assert.deepEqual(await entriesFor(h.runtime.database.db, pm), [
          { kind: 'capture', postings: { external_card_network: -amount, acquiring_settlement: amount - paymentFee(amount), fees: paymentFee(amount) } },
        ]);
      }
      // A replay after all that is still the first answer, and still creates nothing.
      const late = await h.call('session/multi/init', body, { version: 'v2', idempotencyKey: key });
      assert.equal(late.statusCode, 200, late.body);
      assert.equal(late.body, first.body);
      assert.deepEqual(await created(), countsAfterFirst);
    });
  });

  test('the SDK path session/init/session does the same (v1 names)', { timeout: 30_000 }, async () => {
    const body = { payment_list: [pay('4242424242424242', 700, 1)], payout_list: [payoutBody('v1', dest.card(), USD(800), { customer: { reference: 'payee-2' } })] };
    const init = await ok(h, 'session/init/session', body);
    const sid: string = init.session.id;
    assert.deepEqual(shape(init.session), {
      id: '<ps>',
      status: 'in_progress',
      created_at: '<ts>',
      updated_at: '<ts>',
      acquiring_payments: [
        { id: '<pm>', status: 'in_progress', created_at: '<ts>', updated_at: '<ts>', customer: { reference: 'payer-1' }, payment_details: maskedCard('visa', '4242'), amount_details: USD(700), metadata: { item: 1 } },
      ],
      payments: [{ id: '<po>', status: 'in_progress', created_at: '<ts>', updated_at: '<ts>', customer: { reference: 'payee-2' }, payment_method: visaCard, amount_details: USD(800), participant_details: recipient }],
    });
    const rtc = await hooksFor(rx, sid, 2);
    assert.deepEqual(rtc.map((r) => r.json.type), ['ready_to_confirm', 'ready_to_confirm']);
    // Cancel both at once: each fails with cancelled_by_partner and sends its payment_finished.
    const cancelled = await ok(h, 'session/cancel', { session_id: sid });
    assert.equal(cancelled.session.status, 'cancelled');
    assert.deepEqual(
      [...cancelled.session.acquiring_payments, ...cancelled.session.payments].map((o: Json) => [o.status, o.error.code]),
      [
        ['failed', 'cancelled_by_partner'],
        ['failed', 'cancelled_by_partner'],
      ],
    );
    const hooks = await hooksFor(rx, sid, 4);
    await quiet();
    assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'ready_to_confirm', 'payment_finished', 'payment_finished']);
    for (const r of hooks.slice(2)) assert.deepEqual(r.json.session, cancelled.session, 'each payment_finished carries the session as it is after the cancel');
    assertWholeSessions(hooks, sid, 'v1', idsIn(init.session, 'v1'));
  });

  describe('all or nothing: one refused item refuses the call and creates nothing', () => {
    const good = () => ({
      payment_list: [pay('4242424242424242', 1000, 1)],
      payout_list: [out(dest.card(), USD(1000), 2), out(dest.wallet(), money(1000, 'rub'), 3), out(dest.card('5555555555554444'), USD(1000), 4)],
    });
    const cases: [string, (b: Json) => void, RegExp][] = [
      [
        'payout_list[2] without amount_details',
        (b) => {
          delete b['payout_list'][2].amount_details;
        },
        /^payout_list\[2\]\.amount_details is required$/,
      ],
      [
        'payout_list[2] with amount 0',
        (b) => {
          b['payout_list'][2].amount_details = USD(0);
        },
        /^payout_list\[2\]\.amount_details\.amount must be a positive integer$/,
      ],
      [
        'payout_list[2] with a card number failing Luhn',
        (b) => {
          b['payout_list'][2].payout_details = dest.card('4242424242424241').method;
        },
        /^payout_list\[2\]\.payout_details\.card\.bank_card\.number is not a valid card number \(Luhn check failed\)$/,
      ],
      [
        // Checked by the payout's own start, after the payment and two payouts are already in the transaction.
        'payout_list[2] with an IBAN failing its checksum',
        (b) => {
          b['payout_list'][2].payout_details = dest.iban('DE89370400440532013001').method;
          b['payout_list'][2].participant_details = dest.iban().participants;
        },
        /^payout_list\[2\]: payout_details\.bank_account\.global\.iban is not a valid IBAN \(checksum failed\)$/,
      ],
      [
        'payout_list[2] without a destination',
        (b) => {
          delete b['payout_list'][2].payout_details;
        },
        /^payout_list\[2\]: payout_details is required \(it was given neither to session\/create nor here\)$/,
      ],
      [
        'payment_list[0] without customer (given nowhere)',
        (b) => {
          delete b['payment_list'][0].customer;
        },
        /^payment_list\[0\]\.customer is required$/,
      ],
    ];
    for (const [name, spoil, description] of cases) {
      test(`${name}: 400 invalid_request naming the item; no session, payment or payout is written`, async () => {
        const body = good();
        spoil(body);
        await idle();
        const before = await counts();
        const res = await h.call('session/multi/init', body, { version: 'v2' });
        assertError(res, 400, 'invalid_request', description);
        assert.deepEqual(await counts(), before);
      });
    }

    test('51 payments (more than 50 in a list): 400, nothing written', async () => {
      await idle();
      const before = await counts();
      const res = await h.call('session/multi/init', { payment_list: Array.from({ length: 51 }, (_, i) => pay('4242424242424242', 100 + i, i)) }, { version: 'v2' });
      assertError(res, 400, 'invalid_request', 'payment_list must NOT have more than 50 items');
      assert.deepEqual(await counts(), before);
    });

    test('both lists empty or absent: 400, nothing written', async () => {
      await idle();
      const before = await counts();
      assertError(await h.call('session/multi/init', { payment_list: [], payout_list: [] }, { version: 'v2' }), 400, 'invalid_request', 'payment_list and payout_list are both empty: give at least one operation');
      assertError(await h.call('session/init/session', {}), 400, 'invalid_request', 'payment_list and payout_list are both empty: give at least one operation');
      assert.deepEqual(await counts(), before);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Split payments
// ---------------------------------------------------------------------------------------------
describe('a split payment booked per contractor', () => {
  before(async () => {
    const res = await h.admin('PATCH', '/projects/demo', { contractors: ['supplier_a', 'supplier_b'] });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().project.settings.contractors, ['supplier_a', 'supplier_b']);
    assert.deepEqual(res.json().project.settings.fees, FEES);
    assert.deepEqual((await h.admin('GET', '/projects/demo')).json().project.settings.contractors, ['supplier_a', 'supplier_b']);
  });

  const split = [
    { contractor_alias: 'supplier_a', percent: '30' },
    { contractor_alias: 'supplier_b', remains: true },
  ];

  test('10000 with 30 % to supplier_a and the remains to supplier_b: resolved at start, booked at capture, taken back in proportion by a refund', { timeout: 30_000 }, async () => {
    const fee = paymentFee(10_000); // 2.9 % of 10000 = 290, + 30
    assert.equal(fee, 320);
    const shareA = 3000;
    const shareB = 10_000 - fee - shareA; // 6680
    const echo = [
      { contractor_alias: 'supplier_a', percent: '30', amount: USD(shareA) },
      { contractor_alias: 'supplier_b', remains: true, amount: USD(shareB) },
    ];
    const acquiringBefore = (await demoAccounts('acquiring_settlement'))[''] ?? 0;
    const feesBefore = (await demoAccounts('fees'))[''] ?? 0;
    assert.deepEqual(await demoAccounts('contractor_settlement'), {});

    const init = await ok(h, 'session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(10_000), customer, revenue_split_info: split });
    const sid: string = init.session.id;
    const pm: string = init.session['acquiring_payments'][0].id;
    const payment = { id: '<pm>', created_at: '<ts>', updated_at: '<ts>', customer, amount_details: USD(10_000), revenue_split_info: echo };
    assert.deepEqual(shape(init.session['acquiring_payments']), [{ ...payment, status: 'in_progress', payment_details: maskedCard('visa', '4242') }]);
    await hook(rx, sid, 1, 'ready_to_confirm');
    await ok(h, 'session/confirm', { session_id: sid });
    const fin = await hook(rx, sid, 2, 'payment_finished');
    const done = { ...payment, status: 'succeeded', finished_at: '<ts>', payment_details: maskedCard('visa', '4242', '424242'), transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' } };
    assert.deepEqual(shape(fin.session), { id: '<ps>', status: 'accepted', created_at: '<ts>', updated_at: '<ts>', finished_at: '<ts>', acquiring_payments: [done] });
    assert.deepEqual(fin.session['acquiring_payments'][0].amounts, { gross: USD(10_000), net: USD(10_000 - fee), fee: { merchant_fee: USD(fee) } });

    // Booked: gross from the card network, each share to its contractor, the fee, the partner the rest (0 here).
    assert.deepEqual(await postingsFor(pm), [
      {
        kind: 'capture',
        postings: {
          external_card_network: -10_000,
          // The partner's own part, 10000 − fee − shares, is 0 here: a zero posting is not booked.
          ...(10_000 - fee - shareA - shareB !== 0 ? { acquiring_settlement: 10_000 - fee - shareA - shareB } : {}),
          'contractor_settlement:supplier_a': shareA,
          'contractor_settlement:supplier_b': shareB,
          fees: fee,
        },
      },
    ]);
    assert.deepEqual(await demoAccounts('contractor_settlement'), { supplier_a: shareA, supplier_b: shareB });
    assert.equal((await demoAccounts('acquiring_settlement'))[''], acquiringBefore + 0);
    assert.equal((await demoAccounts('fees'))[''], feesBefore + fee);

    // A refund of half: each contractor gives back its share in proportion (rounded down), the partner the rest.
    const backA = Math.floor((shareA * 5000) / 10_000); // 1500
    const backB = Math.floor((shareB * 5000) / 10_000); // 3340
    const refundEcho = [
      { contractor_alias: 'supplier_a', percent: '30', amount: USD(backA) },
      { contractor_alias: 'supplier_b', remains: true, amount: USD(backB) },
    ];
    const r = await ok(h, 'session/refund', { session_id: sid, amount_details: USD(5000) });
    assert.deepEqual(shape(r.session['acquiring_payments'][0].refunds), [{ id: '<rf>', status: 'in_progress', created_at: '<ts>', is_chargeback: false, amount_details: USD(5000), amounts: refundAmounts(USD(5000)), revenue_split_info: refundEcho }]);
    const rf: string = r.session['acquiring_payments'][0].refunds[0].id;
    const refunded = await hook(rx, sid, 3, 'payment_refunded');
    assert.deepEqual(shape(refunded.session), {
      id: '<ps>',
      status: 'accepted',
      created_at: '<ts>',
      updated_at: '<ts>',
      finished_at: '<ts>',
      acquiring_payments: [{ ...done, refunds: [{ id: '<rf>', status: 'accepted', created_at: '<ts>', finished_at: '<ts>', is_chargeback: false, amount_details: USD(5000), amounts: refundAmounts(USD(5000)), revenue_split_info: refundEcho }] }],
    });
    assert.deepEqual(await statusOf(h, sid), refunded.session);
    assert.deepEqual(await postingsFor(rf), [
      {
        kind: 'refund',
        postings: {
          acquiring_settlement: -(5000 - backA - backB),
          'contractor_settlement:supplier_a': -backA,
          'contractor_settlement:supplier_b': -backB,
          external_card_network: 5000,
        },
      },
    ]);
    assert.deepEqual(await demoAccounts('contractor_settlement'), { supplier_a: shareA - backA, supplier_b: shareB - backB });
    assert.equal((await demoAccounts('acquiring_settlement'))[''], acquiringBefore - (5000 - backA - backB));
    assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'payment_finished', 'payment_refunded']);
    await assertLedgerInvariants(h, 'split payment');
  });

  const refusals: [string, Json[], RegExp][] = [
    ['an unknown alias', [{ contractor_alias: 'supplier_x', percent: '10' }], /^revenue_split_info\[0\]\.contractor_alias "supplier_x" is not a contractor of this project \(known: supplier_a, supplier_b\)$/],
    [
      'two remains',
      [
        { contractor_alias: 'supplier_a', remains: true },
        { contractor_alias: 'supplier_b', remains: true },
      ],
      /^revenue_split_info\[1\]\.remains: only one item may take what remains \(item 0 already does\)$/,
    ],
    [
      // 60 % (6000) + 3700 = 9700 > 10000 − 320 = 9680. docs/decisions.md: "Shares plus fee above the
      // amount … invalid_request naming revenue_split_info[i]" (which item is not fixed there).
      'shares above the amount less the fee',
      [
        { contractor_alias: 'supplier_a', percent: '60' },
        { contractor_alias: 'supplier_b', amount: USD(3700) },
      ],
      /revenue_split_info\[\d+\]/,
    ],
    ['an item with both percent and amount', [{ contractor_alias: 'supplier_a', percent: '10', amount: USD(1000) }], /^revenue_split_info\[0\] needs exactly one of percent, amount or remains: true$/],
    ['an item with none of the three', [{ contractor_alias: 'supplier_a' }], /^revenue_split_info\[0\] needs exactly one of percent, amount or remains: true$/],
    ['a negative percent', [{ contractor_alias: 'supplier_a', percent: -5 }], /^revenue_split_info\[0\]\.percent must be a number above 0 and at most 100 with at most two decimals, like "12\.5"$/],
    ['a percent with three decimals', [{ contractor_alias: 'supplier_a', percent: '33.333' }], /^revenue_split_info\[0\]\.percent must be a number above 0 and at most 100/],
    [
      'a repeated alias',
      [
        { contractor_alias: 'supplier_a', percent: '10' },
        { contractor_alias: 'supplier_a', percent: '20' },
      ],
      /^revenue_split_info\[1\]\.contractor_alias "supplier_a" appears twice$/,
    ],
  ];
  for (const [name, items, description] of refusals) {
    test(`refused: ${name} → 400 invalid_request naming revenue_split_info[i]; nothing written`, async () => {
      await idle();
      const before = await counts();
      const res = await h.call('session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(10_000), customer, revenue_split_info: items });
      assertError(res, 400, 'invalid_request', description);
      assert.deepEqual(await counts(), before);
    });
  }

  test('refused: a split payment cannot be a hold', async () => {
    await idle();
    const before = await counts();
    const res = await h.call('session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(10_000), customer, payment_options: { hold: true }, revenue_split_info: split });
    assertError(res, 400, 'invalid_request', 'revenue_split_info cannot be combined with payment_options.hold: a split payment is captured in full at once');
    assert.deepEqual(await counts(), before);
  });
});

// ---------------------------------------------------------------------------------------------
// 6. Racing starts on one session
// ---------------------------------------------------------------------------------------------
describe('racing starts on one session, over real sockets', () => {
  test('10 start/payout and 10 start/payment at once: every reply 200, each operation exactly once; one confirm for all 20', { timeout: 40_000 }, async () => {
    const N = 10;
    const amount = 700;
    const walletBefore = (await accounts(h, 'demo'))['wallet usd']!;
    const created = await ok(h, 'session/create', { amount_details: USD(amount), customer });
    const sid: string = created.session.id;
    const call = async (method: string, body: Json): Promise<HttpReply & { json: Json }> => {
      const res = await postSigned(baseUrl, method, body, { key: h.demoKey });
      return { ...res, json: JSON.parse(res.body) };
    };
    const calls = Array.from({ length: 2 * N }, (_, i) =>
      i % 2 === 0
        ? call('session/start/payout', { session_id: sid, ...payoutBody('v1', dest.card(), USD(amount)) })
        : call('session/start/payment', { session_id: sid, payment_details: bankCard('5555555555554444') }),
    );
    const replies = await Promise.all(calls);
    assert.deepEqual(replies.map((r) => r.status), Array(2 * N).fill(200), replies.filter((r) => r.status !== 200).map((r) => r.body).join('\n'));
    // Serialised by the session lock: each reply shows one operation more than the one before it.
    const total = (s: Json) => ((s['acquiring_payments'] as unknown[] | undefined)?.length ?? 0) + ((s['payments'] as unknown[] | undefined)?.length ?? 0);
    assert.deepEqual(replies.map((r) => total(r.json.session)).sort((a, b) => a - b), Array.from({ length: 2 * N }, (_, i) => i + 1));
    const db = h.runtime.database.db;
    const payoutRows = await db.selectFrom('payouts').select('id').where('session_id', '=', sid).execute();
    const paymentRows = await db.selectFrom('payments').select('id').where('session_id', '=', sid).execute();
    assert.equal(payoutRows.length, N, 'ten payouts, none lost, none doubled');
    assert.equal(paymentRows.length, N, 'ten payments, none lost, none doubled');
    // Each reply's newest operation of its kind is its own: 20 distinct ids, the same as the rows.
    const answered = new Set(replies.map((r, i) => ((r.json.session[i % 2 === 0 ? 'payments' : 'acquiring_payments'] as { id: string }[]).at(-1)!.id)));
    assert.deepEqual(answered, new Set([...payoutRows, ...paymentRows].map((r) => r.id)));

    const rtc = await hooksFor(rx, sid, 2 * N, 20_000);
    assert.ok(rtc.every((r) => r.json.type === 'ready_to_confirm'), rtc.map((r) => r.json.type).join(','));
    const waiting = await statusOf(h, sid);
    assert.equal(waiting['next_action'], 'confirm');
    assert.equal(waiting['payments'].length + waiting['acquiring_payments'].length, 2 * N);
    assert.ok([...waiting['payments'], ...waiting['acquiring_payments']].every((o: Json) => o.status === 'pending'));

    const confirmed = await ok(h, 'session/confirm', { session_id: sid });
    assert.ok([...confirmed.session.payments, ...confirmed.session.acquiring_payments].every((o: Json) => o.status === 'in_progress'));
    await hooksFor(rx, sid, 4 * N, 30_000);
    const done = await until(h, sid, (s) => s['status'] === 'accepted');
    assert.ok([...done['payments'], ...done['acquiring_payments']].every((o: Json) => o.status === 'succeeded'), JSON.stringify(done));
    await quiet(300);
    const types = typesFor(rx, sid);
    assert.deepEqual(types, [...Array(2 * N).fill('ready_to_confirm'), ...Array(2 * N).fill('payment_finished')]);
    assertWholeSessions(await hooksFor(rx, sid, 4 * N), sid, 'v1', idsIn(done, 'v1'), 2 * N);
    const fee = payoutFee(amount);
    assert.equal((await accounts(h, 'demo'))['wallet usd'], walletBefore - N * (amount + fee));
    await assertLedgerInvariants(h, 'racing starts');
  });
});

describe('starts racing confirms on one session, over real sockets', () => {
  test('a payout waiting for confirm, then 10 confirms and 10 start/payout at once: the waiting payout is reserved once, every new payout is there once', { timeout: 40_000 }, async () => {
    const N = 10;
    const amount = 500;
    const walletBefore = (await accounts(h, 'demo'))['wallet usd']!;
    const init = await ok(h, 'session/init/payout', payoutBody('v1', dest.card(), USD(amount)));
    const sid: string = init.session.id;
    const first: string = init.session['payments'][0].id;
    await hook(rx, sid, 1, 'ready_to_confirm');
    const call = async (method: string, body: Json): Promise<HttpReply & { json: Json }> => {
      const res = await postSigned(baseUrl, method, body, { key: h.demoKey });
      return { ...res, json: JSON.parse(res.body) };
    };
    const replies = await Promise.all(
      Array.from({ length: 2 * N }, (_, i) =>
        i % 2 === 0 ? call('session/confirm', { session_id: sid }) : call('session/start/payout', { session_id: sid, ...payoutBody('v1', dest.card(), USD(amount)) }),
      ),
    );
    const confirms = replies.filter((_, i) => i % 2 === 0);
    const starts = replies.filter((_, i) => i % 2 === 1);
    assert.deepEqual(starts.map((r) => r.status), Array(N).fill(200), 'every start is taken, whatever the confirms do');
    // The first confirm to get the lock confirms the waiting payout; later ones find nothing waiting
    // (new payouts are still being checked) and are refused, naming what the session holds.
    const taken = confirms.filter((r) => r.status === 200);
    assert.ok(taken.length >= 1, confirms.map((r) => r.body).join('\n'));
    for (const r of confirms.filter((x) => x.status !== 200)) {
      assert.equal(r.status, 409, r.body);
      assert.match(r.json.error.description, new RegExp(`^session ${sid} is not waiting for confirmation: its payout ${first} is (in_progress|succeeded)`));
    }
    const db = h.runtime.database.db;
    const rows = await db.selectFrom('payouts').select('id').where('session_id', '=', sid).execute();
    assert.equal(rows.length, N + 1, 'the first payout and ten new ones, none lost, none doubled');
    const reserves = await db.selectFrom('ledger_entries').select('reference').where('kind', '=', 'payout_reserve').where('reference', '=', first).execute();
    assert.equal(reserves.length, 1, 'the waiting payout is reserved exactly once');
    // A new payout whose check finished while confirms were still arriving was confirmed by one of
    // them; the rest wait: once none is still being checked, one confirm takes those that wait.
    const settled = await until(h, sid, (s) => (s['payments'] as Json[]).every((p) => p['status'] === 'pending' || p['status'] === 'succeeded'), { timeoutMs: 20_000 });
    if ((settled['payments'] as Json[]).some((p) => p['status'] === 'pending')) await ok(h, 'session/confirm', { session_id: sid });
    const done = await until(h, sid, (s) => s['status'] === 'accepted');
    assert.ok((done['payments'] as Json[]).every((p) => p['status'] === 'succeeded'), JSON.stringify(done));
    assert.equal((await accounts(h, 'demo'))['wallet usd'], walletBefore - (N + 1) * (amount + payoutFee(amount)));
    await assertLedgerInvariants(h, 'starts racing confirms');
  });
});

// ---------------------------------------------------------------------------------------------
// 7. A cancelled session; capture with two holds
// ---------------------------------------------------------------------------------------------
describe('refusals on a session of several operations', () => {
  test('a cancelled session (its only payment cancelled at ready_to_confirm) takes no new operation; nothing is written', async () => {
    const init = await ok(h, 'session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(900), customer });
    const sid: string = init.session.id;
    await hook(rx, sid, 1, 'ready_to_confirm');
    const cancelled = await ok(h, 'session/cancel', { session_id: sid });
    assert.equal(cancelled.session.status, 'cancelled');
    await hook(rx, sid, 2, 'payment_finished');
    await idle();
    const before = await counts();
    assertError(await h.call('session/start/payment', { session_id: sid }), 409, 'invalid_session_state', `session ${sid} cannot start a payment: it is cancelled`);
    assertError(
      await h.call('session/start/payout', { session_id: sid, ...payoutBody('v2', dest.card(), USD(900)) }, { version: 'v2' }),
      409,
      'invalid_session_state',
      `session ${sid} cannot start a payout: it is cancelled`,
    );
    assert.deepEqual(await counts(), before);
    assert.deepEqual(await statusOf(h, sid), cancelled.session);
    await quiet();
    assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'payment_finished']);
  });

  test('two holds waiting: capture with amount_details is invalid_request; without it both are captured in full', { timeout: 30_000 }, async () => {
    const created = await ok(h, 'session/create', { customer, payment_options: { hold: true } });
    const sid: string = created.session.id;
    const s1 = await ok(h, 'session/start/payment', { session_id: sid, payment_details: bankCard('4242424242424242'), amount_details: USD(4000) });
    const s2 = await ok(h, 'session/start/payment', { session_id: sid, payment_details: bankCard('5555555555554444'), amount_details: USD(4500) });
    const pm1: string = s1.session.acquiring_payments[0].id;
    const pm2: string = s2.session.acquiring_payments[1].id;
    await hooksFor(rx, sid, 2);
    await ok(h, 'session/confirm', { session_id: sid });
    await hooksFor(rx, sid, 4);
    const held = await statusOf(h, sid);
    assert.equal(held['next_action'], 'capture');
    assert.deepEqual(held['acquiring_payments'].map((p: Json) => [p.id, p.status, p.payment_options]), [
      [pm1, 'pending', { hold: true }],
      [pm2, 'pending', { hold: true }],
    ]);

    await idle();
    const before = await counts();
    assertError(
      await h.call('session/capture', { session_id: sid, amount_details: USD(1000) }),
      400,
      'invalid_request',
      `amount_details captures one hold, and session ${sid} has 2 waiting (${pm1}, ${pm2}); omit amount_details to capture them all in full`,
    );
    assert.deepEqual(await counts(), before);
    assert.deepEqual(await statusOf(h, sid), held);

    const capture = await ok(h, 'session/capture', { session_id: sid });
    assert.deepEqual(capture.session.acquiring_payments.map((p: Json) => p.status), ['in_progress', 'in_progress']);
    await hooksFor(rx, sid, 6);
    const done = await until(h, sid, (s) => s['status'] === 'accepted');
    assert.deepEqual(
      done['acquiring_payments'].map((p: Json) => [p.status, captured(p as Parameters<typeof captured>[0])]),
      [
        ['succeeded', USD(4000)],
        ['succeeded', USD(4500)],
      ],
    );
    await quiet();
    assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'ready_to_confirm', 'ready_to_capture', 'ready_to_capture', 'payment_finished', 'payment_finished']);
    assertWholeSessions(await hooksFor(rx, sid, 6), sid, 'v1', { payments: [pm1, pm2], payouts: [] }, 1);
  });
});
