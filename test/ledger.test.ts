import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { TIMESTAMP, startHarness, type Harness } from './helpers/harness.js';
import { assertLedgerInvariants, checkLedgerAfterEach } from './helpers/ledger-invariants.js';
import {
  USD,
  accounts,
  advance,
  amountsOf,
  assertError,
  clockNow,
  createProject,
  dest,
  entriesFor,
  ok,
  payoutBody,
  payoutIn,
  statusOf,
  topUp,
  until,
  untilFinal,
  untilPending,
  untilSent,
  type Destination,
  type Json,
} from './helpers/payouts.js';

/**
 * The double-entry ledger (docs/test-payouts.md, "Money first" and "Fees"): top-ups, payout fees as
 * `amounts`, card acquiring's bookings (capture, refund, chargeback), wallet/balance as of a past
 * moment, the trial balance, and the daily payouts report (§5.19). Each part uses its own project,
 * so its balances are exactly the ones it booked. The invariants are checked after every test.
 */
let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});
checkLedgerAfterEach(() => h);

const as = (project: string, key: KeyObject) => ({ project, key });

/** init → pending → confirm → final, for a project; returns the final session. */
async function payout(opts: { project: string; key: KeyObject }, d: Destination, amount: number, extra: Json = {}): Promise<Json> {
  const init = await ok(h, 'session/init/payout', payoutBody('v1', d, USD(amount), extra), opts);
  const sid: string = init.session.id;
  await untilPending(h, sid, opts);
  await ok(h, 'session/confirm', { session_id: sid }, opts);
  return untilFinal(h, sid, opts);
}

describe('top-ups', () => {
  test('a top-up books external_topup −A, wallet +A; the admin API shows wallets and every account', async () => {
    await createProject(h, 'ledger-topup');
    const empty = await h.admin('GET', '/projects/ledger-topup/wallet');
    assert.equal(empty.statusCode, 200);
    assert.deepEqual(empty.json().wallets, []);
    assert.deepEqual(empty.json().accounts, []);

    const first = await topUp(h, 'ledger-topup', 12_345);
    assert.equal(first.status, 'ok');
    assert.match(first.topup_id, /^tu_\d{22}$/);
    assert.deepEqual(first.wallets.map((w: Json) => w.amount_details), [USD(12_345)]);
    await topUp(h, 'ledger-topup', 655);
    const eur = await topUp(h, 'ledger-topup', 5_000, 'EUR');
    assert.deepEqual(eur.wallets.map((w: Json) => w.amount_details), [{ amount: 5_000, currency: 'eur' }, USD(13_000)]);
    assert.deepEqual(await entriesFor(h.runtime.database.db, first.topup_id), [{ kind: 'topup', postings: { external_topup: -12_345, wallet: 12_345 } }]);
    assert.deepEqual(await accounts(h, 'ledger-topup'), {
      'external_topup eur': -5_000,
      'wallet eur': 5_000,
      'external_topup usd': -13_000,
      'wallet usd': 13_000,
    });
    const shown = (await h.admin('GET', '/projects/ledger-topup/wallet')).json();
    assert.match(shown.as_of, TIMESTAMP);
  });

  test('a top-up must be a positive whole amount in a known currency, for a known project', async () => {
    const before = await accounts(h, 'ledger-topup');
    for (const body of [{ amount: 0, currency: 'usd' }, { amount: -5, currency: 'usd' }, { amount: 1.5, currency: 'usd' }, { amount: 100, currency: 'usx' }, { amount: 100 }]) {
      const res = await h.admin('POST', '/projects/ledger-topup/wallet/topup', body);
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)}: ${res.body}`);
      assert.equal(res.json().error.code, 'invalid_request');
    }
    assertError(await h.admin('POST', '/projects/nope/wallet/topup', { amount: 100, currency: 'usd' }), 404, 'not_found', 'project "nope" does not exist');
    assert.deepEqual(await accounts(h, 'ledger-topup'), before);
  });
});

describe('fees', () => {
  let key: KeyObject;
  before(async () => {
    key = await createProject(h, 'ledger-fees', { allow_partial_refunds: true, fees: { payout: { percent: 1.5, fixed: 30 }, payment: { percent: 2.9, fixed: 30 } } });
    await topUp(h, 'ledger-fees', 1_000_000);
  });

  test('payouts show amounts {gross = amount + fee, net = amount, fee}, rounded half up; the fee is booked to fees', async () => {
    // 1.5 % of 1100 is 16.5 → 17; of 1030 is 15.45 → 15; of 10000 is 150. Plus 30 each.
    const cases = [
      [1100, 47],
      [1030, 45],
      [10_000, 180],
    ] as const;
    let fees = 0;
    let sent = 0;
    for (const [amount, fee] of cases) {
      const s = await payout(as('ledger-fees', key), dest.card(), amount);
      const p = payoutIn(s);
      assert.equal(p.status, 'succeeded');
      assert.deepEqual(p.amounts, amountsOf(amount, fee), `${amount}`);
      assert.deepEqual(p.amount_details, USD(amount));
      fees += fee;
      sent += amount;
    }
    assert.deepEqual(await accounts(h, 'ledger-fees'), {
      'external_bank_rails usd': sent,
      'external_topup usd': -1_000_000,
      'fees usd': fees,
      'reserved usd': 0,
      'wallet usd': 1_000_000 - sent - fees,
    });
  });

  test('card acquiring books too: capture (net to acquiring_settlement, fee to fees), refund and chargeback out of acquiring_settlement', async () => {
    const o = as('ledger-fees', key);
    const card = (number: string) => ({ type: 'card', card: { type: 'bank_card', bank_card: { number, expiration_month: '12', expiration_year: '30', security_code: '123' } } });
    const before = await accounts(h, 'ledger-fees');
    const pay = async (number: string, amount: number) => {
      const init = await ok(h, 'session/init/payment', { payment_details: card(number), amount_details: USD(amount), customer: { reference: 'payer-1' } }, o);
      const sid: string = init.session.id;
      await untilPending(h, sid, o);
      await ok(h, 'session/confirm', { session_id: sid }, o);
      const done = await untilFinal(h, sid, o);
      assert.equal(done['status'], 'accepted', JSON.stringify(done));
      return { sid, payment: done['acquiring_payments'][0] as Json };
    };

    // 2.9 % of 10000 is 290, plus 30: 320.
    const { sid, payment } = await pay('4242424242424242', 10_000);
    assert.deepEqual(payment['amounts'], { gross: USD(10_000), net: USD(9_680), fee: { merchant_fee: USD(320) } });
    assert.deepEqual(await entriesFor(h.runtime.database.db, payment['id']), [
      { kind: 'capture', postings: { external_card_network: -10_000, acquiring_settlement: 9_680, fees: 320 } },
    ]);

    const refunded = await ok(h, 'session/refund', { session_id: sid, amount_details: USD(4_000) }, o);
    const refundId: string = refunded.session['acquiring_payments'][0].refunds[0].id;
    await until(h, sid, (s) => s['status'] === 'accepted', o);
    const refundEntries = await sql<{ kind: string }>`SELECT kind FROM ledger_entries WHERE reference LIKE ${`%${refundId}%`} OR reference LIKE ${`%${payment['id']}%`} ORDER BY id`.execute(
      h.runtime.database.db,
    );
    assert.deepEqual(refundEntries.rows.map((r) => r.kind), ['capture', 'refund']);

    // 4000 0000 0000 0259 is charged back a clock-day later: the whole amount leaves acquiring_settlement.
    const cb = await pay('4000000000000259', 5_000);
    assert.deepEqual(cb.payment['amounts'], { gross: USD(5_000), net: USD(4_825), fee: { merchant_fee: USD(175) } }); // 145 + 30
    await advance(h, 86_400 + 60);
    const charged = await until(h, cb.sid, (s) => (s['acquiring_payments'][0].refunds ?? []).some((r: Json) => r.is_chargeback && r.status === 'accepted'), o);
    assert.equal(charged['status'], 'accepted');

    const now = await accounts(h, 'ledger-fees');
    const delta = (k: string) => (now[k] ?? 0) - (before[k] ?? 0);
    assert.equal(delta('external_card_network usd'), -10_000 + 4_000 - 5_000 + 5_000);
    assert.equal(delta('acquiring_settlement usd'), 9_680 - 4_000 + 4_825 - 5_000);
    assert.equal(delta('fees usd'), 320 + 175);
    assert.equal(delta('wallet usd'), 0, 'acquiring never touches the payout wallet');
  });
});

describe('wallet/balance: balances as of request_datetime', () => {
  let key: KeyObject;
  const moments: { label: string; at: Date; usd: number; eur: number }[] = [];
  const o = () => as('ledger-time', key);
  const record = async (label: string, usd: number, eur: number) => moments.push({ label, at: await clockNow(h), usd, eur });

  before(async () => {
    key = await createProject(h, 'ledger-time', { fees: { payout: { percent: 0, fixed: 100 } } });
    // A minute before: a time within 30 s of the wall clock means "now" once the clock is ahead
    // (wallet/balance, docs/decisions.md), and this moment is read after the advances below.
    moments.push({ label: 'before anything', at: new Date((await clockNow(h)).getTime() - 60_000), usd: 0, eur: 0 });
    await advance(h, 60);
    await topUp(h, 'ledger-time', 50_000);
    await record('after the top-up', 50_000, 0);
    await advance(h, 60);
    await topUp(h, 'ledger-time', 7_000, 'eur');
    await record('after the eur top-up', 50_000, 7_000);
    await advance(h, 60);
    assert.equal(payoutIn(await payout(o(), dest.card(), 10_000)).status, 'succeeded');
    await record('after a card payout of 100.00 + 1.00 fee', 39_900, 7_000);
    await advance(h, 60);
    assert.equal(payoutIn(await payout(o(), dest.iban('DE50370400440532010404'), 5_000)).status, 'failed');
    await record('after a refused payout: reserved, then voided', 39_900, 7_000);
    await advance(h, 60);
    const init = await ok(h, 'session/init/payout', payoutBody('v1', dest.iban('DE92370400440532010909'), USD(7_000)), o());
    const sid: string = init.session.id;
    await untilPending(h, sid, o());
    await ok(h, 'session/confirm', { session_id: sid }, o());
    await untilSent(h, sid, o());
    await record('a bank transfer reserved, not yet settled', 32_800, 7_000);
    await advance(h, 86_400 + 60);
    await until(h, sid, (x) => payoutIn(x).status === 'succeeded', o());
    await record('the bank transfer settled', 32_800, 7_000);
    await advance(h, 2 * 86_400);
    await until(h, sid, (s) => payoutIn(s).refunds !== undefined, o());
    await record('returned by the recipient bank: amount back, fee kept', 39_800, 7_000);
  });

  const balanceAt = async (at: string) => {
    const res = await ok(h, 'wallet/balance', { request_datetime: at }, o());
    const out: Record<string, number> = {};
    for (const w of res.wallets as Json[]) {
      assert.match(w.id, /^\d+$/);
      out[w.amount_details.currency] = w.amount_details.amount;
    }
    return out;
  };

  test('every recorded moment, asked later, gives the balance of that moment', async () => {
    assert.equal(moments.length, 8);
    for (const m of moments) assert.deepEqual(await balanceAt(m.at.toISOString()), { eur: m.eur, usd: m.usd }, m.label);
  });

  test('the same instant written with an offset (+03:00), and whole seconds', async () => {
    for (const m of moments) {
      const local = new Date(m.at.getTime() + 3 * 3600_000).toISOString().replace('Z', '+03:00');
      assert.deepEqual(await balanceAt(local), { eur: m.eur, usd: m.usd }, `${m.label} as ${local}`);
    }
    const topUpAt = moments[1]!.at;
    const wholeSecond = new Date(Math.ceil(topUpAt.getTime() / 1000) * 1000 + 1000).toISOString().replace(/\.000Z$/, 'Z');
    assert.equal((await balanceAt(wholeSecond))['usd'], 50_000);
  });

  test('exact at the boundary: a posting counts from its booking instant, not a millisecond earlier', async () => {
    const { db } = h.runtime.database;
    const rows = await sql<{ booked_at: Date; amount: string }>`
      SELECT p.booked_at, p.amount FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id JOIN projects pr ON pr.id = a.project_id
      WHERE pr.name = 'ledger-time' AND a.kind = 'wallet' AND a.currency = 'usd' ORDER BY p.id`.execute(db);
    assert.deepEqual(rows.rows.map((r) => Number(r.amount)), [50_000, -10_100, -5_100, 5_100, -7_100, 7_000]);
    let running = 0;
    for (const r of rows.rows) {
      const at = new Date(r.booked_at);
      assert.equal((await balanceAt(new Date(at.getTime() - 1).toISOString()))['usd'] ?? 0, running, `1 ms before ${at.toISOString()}`);
      running += Number(r.amount);
      assert.equal((await balanceAt(at.toISOString()))['usd'], running, `at ${at.toISOString()}`);
    }
  });

  test('request_datetime is required and must be a date-time; wallet/balance is v1 only', async () => {
    assertError(await h.call('wallet/balance', {}, o()), 400, 'invalid_request', /request_datetime/);
    assertError(await h.call('wallet/balance', { request_datetime: 'yesterday' }, o()), 400, 'invalid_request', /request_datetime must be an ISO 8601 date-time like 2024-04-10T19:53:00\+03:00/);
    const v2 = await h.call('wallet/balance', { request_datetime: new Date().toISOString() }, { ...o(), version: 'v2' });
    assert.equal(v2.statusCode, 404, v2.body);
  });
});

describe('trial balance', () => {
  test('every currency sums to zero, every entry balances, every balance is the sum of its postings', async () => {
    const res = await h.admin('GET', '/ledger/trial-balance');
    assert.equal(res.statusCode, 200);
    const tb = res.json();
    assert.deepEqual(Object.keys(tb).sort(), ['balanced', 'currencies', 'drifted_accounts', 'negative_wallets', 'status', 'unbalanced_entries']);
    assert.deepEqual(tb.currencies.map((c: Json) => c.currency).sort(), ['eur', 'rub', 'usd']);
    assert.ok(tb.currencies.every((c: Json) => c.total === 0));
    assert.equal(tb.balanced, true);
  });

  test('it notices an account whose balance drifted from its postings (tampered with here, then put back)', async () => {
    const { db } = h.runtime.database;
    const fees = await db.selectFrom('ledger_accounts').select(['id', 'balance']).where('kind', '=', 'fees').where('currency', '=', 'usd').executeTakeFirstOrThrow();
    await sql`UPDATE ledger_accounts SET balance = balance + 1 WHERE id = ${fees.id}`.execute(db);
    try {
      const tb = (await h.admin('GET', '/ledger/trial-balance')).json();
      assert.equal(tb.balanced, false);
      assert.equal(tb.drifted_accounts.length, 1);
      assert.equal(tb.drifted_accounts[0].balance, tb.drifted_accounts[0].postings + 1);
      assert.deepEqual(tb.currencies.find((c: Json) => c.currency === 'usd'), { currency: 'usd', total: 1 });
    } finally {
      await sql`UPDATE ledger_accounts SET balance = balance - 1 WHERE id = ${fees.id}`.execute(db);
    }
    await assertLedgerInvariants(h);
  });
});

/** A tiny RFC 4180 reader: rows of cells, quotes and doubled quotes handled. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  assert.equal(row.length + cell.length, 0, 'the report ends with CRLF');
  return rows;
}

describe('the daily payouts report (§5.19)', () => {
  const HEADER =
    'operationId,transactionDate,finishedAt,typeOfPayment,paymentFast,paymentSessionId,paymentSessionMerchantMetadata,paymentMethodIdentity,product,' +
    'grossLocalAmount,grossLocalCurrency,paymentLocalAmount,paymentLocalCurrency,feesLocalAmount,feesLocalCurrency,RRN';
  let key: KeyObject;
  let start: Date;
  let afterDay0: Date;
  let afterDay1: Date;
  let end: Date;
  let a: Json;
  let b: Json;
  let bSid: string;
  let aSid: string;

  const report = async (from: Date, to: Date, project = 'report') => {
    const res = await h.admin('GET', `/reports/payouts.csv?project=${project}&from=${from.toISOString()}&to=${to.toISOString()}`);
    assert.equal(res.statusCode, 200, res.body);
    return res;
  };
  const rowsOf = async (from: Date, to: Date) => {
    const rows = parseCsv((await report(from, to)).body);
    assert.equal(rows[0]!.join(','), HEADER);
    return rows.slice(1);
  };

  before(async () => {
    key = await createProject(h, 'report', { fees: { payout: { percent: 1, fixed: 25 } } });
    await topUp(h, 'report', 1_000_000);
    start = await clockNow(h);
    // A: a card payout, paid at once. 1 % of 12345 is 123.45 → 123; plus 25: 148.
    const sa = await payout(as('report', key), dest.card(), 12_345, { metadata: { order: 'A-1' } });
    aSid = sa['id'];
    a = payoutIn(sa);
    // C: refused; D: never confirmed (it times out). Neither is in any report.
    await payout(as('report', key), dest.card('4000000000000002'), 999);
    const d = await ok(h, 'session/init/payout', payoutBody('v1', dest.card(), USD(500)), as('report', key));
    await untilPending(h, d.session.id, as('report', key));
    // B: a bank transfer to an account that returns it: paid after a day, returned two days later.
    const init = await ok(h, 'session/init/payout', payoutBody('v1', dest.iban('DE92370400440532010909'), USD(20_000), { metadata: 'b' }), as('report', key));
    bSid = init.session.id;
    await untilPending(h, bSid, as('report', key));
    await ok(h, 'session/confirm', { session_id: bSid }, as('report', key));
    await untilSent(h, bSid, as('report', key));
    afterDay0 = await clockNow(h);
    await advance(h, 86_400 + 60);
    b = payoutIn(await until(h, bSid, (x) => payoutIn(x).status === 'succeeded', as('report', key)));
    afterDay1 = await clockNow(h);
    await advance(h, 2 * 86_400);
    await until(h, bSid, (s) => payoutIn(s).refunds !== undefined, as('report', key));
    assert.equal(payoutIn(await statusOf(h, d.session.id, as('report', key))).error.code, 'confirm_timeout');
    end = await clockNow(h);
  });

  const advice = (p: Json, sid: string, meta: string, identity: string, product: string, gross: string, net: string, fee: string) => [
    p.id,
    p.created_at,
    p.finished_at,
    'Advice',
    '0',
    sid,
    meta,
    identity,
    product,
    gross,
    'USD',
    net,
    'USD',
    fee,
    'USD',
    p.transaction_info.rrn,
  ];

  test('the whole window: an Advice row per paid payout and a Refund row per returned one, amounts in major units', async () => {
    const res = await report(start, end);
    assert.match(String(res.headers['content-type']), /^text\/csv/);
    assert.equal(res.headers['content-disposition'], `attachment; filename="report_${start.toISOString().slice(0, 10)}_${end.toISOString().slice(0, 10)}.csv"`);
    const rows = await rowsOf(start, end);
    const refund = (await statusOf(h, bSid, as('report', key)))['payments'][0].refunds[0];
    assert.deepEqual(rows, [
      advice(a, aSid, '{"order":"A-1"}', 'visa *4242', 'card', '124.93', '123.45', '1.48'),
      advice(b, bSid, 'b', 'DE92370400440532010909', 'bank_transfer', '202.25', '200.00', '2.25'),
      [b.id, b.created_at, refund.finished_at, 'Refund', '0', bSid, 'b', 'DE92370400440532010909', 'bank_transfer', '200.00', 'USD', '200.00', 'USD', '0.00', 'USD', b.transaction_info.rrn],
    ]);
  });

  test('a window holds what finished in it: day 0 only A, day 1 only B paid', async () => {
    assert.deepEqual((await rowsOf(start, afterDay0)).map((r) => [r[0], r[3]]), [[a.id, 'Advice']]);
    assert.deepEqual((await rowsOf(afterDay0, afterDay1)).map((r) => [r[0], r[3]]), [[b.id, 'Advice']]);
    assert.deepEqual(await rowsOf(new Date(end.getTime() + 1000), new Date(end.getTime() + 86_400_000)), []);
  });

  test(
    'a Refund row alone in its window still carries the session metadata',
    async () => {
      const rows = await rowsOf(afterDay1, end);
      assert.deepEqual(rows.map((r) => [r[0], r[3], r[6]]), [[b.id, 'Refund', 'b']]);
    },
  );

  test('errors: from must be before to, the project must exist, the dates must be date-times', async () => {
    assertError(await h.admin('GET', `/reports/payouts.csv?project=report&from=${end.toISOString()}&to=${start.toISOString()}`), 400, 'invalid_request', 'from must be before to');
    assertError(await h.admin('GET', `/reports/payouts.csv?project=nope&from=${start.toISOString()}&to=${end.toISOString()}`), 404, 'not_found', 'project "nope" does not exist');
    const bad = await h.admin('GET', `/reports/payouts.csv?project=report&from=monday&to=${end.toISOString()}`);
    assert.equal(bad.statusCode, 400, bad.body);
  });
});
