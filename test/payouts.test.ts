import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { enqueueJob } from '../src/platform/jobs/job.repo.js';
import { FPS_BANKS } from '../src/domain/payouts/fps-banks.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { checkLedgerAfterEach } from './helpers/ledger-invariants.js';
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
  ok,
  patchProject,
  payoutBody,
  payoutIn,
  payoutsOf,
  shape,
  signedGet,
  statusOf,
  topUp,
  typesFor,
  untilFinal,
  untilPending,
  untilSent,
  type Json,
  type Version,
  refundAmounts,
} from './helpers/payouts.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';

/**
 * Payouts end to end (docs/test-payouts.md): session/init/payout, session/start/payout,
 * session/confirm, session/cancel and session/status in v1 and v2, the webhooks a real receiver gets
 * (signatures checked), the 240-minute confirm timeout on the job clock, auto_confirm, a wallet that
 * cannot cover amount plus fee, every outcome of the sandbox rails, and FPS customer verification.
 * The ledger's invariants are checked after every test.
 */
let h: Harness;
let rx: Receiver;

/** The demo project's payout fee in these tests: 1.5 % + 0.30. */
const feeOf = (amount: number) => Math.floor((amount * 150 + 5000) / 10000) + 30;

before(async () => {
  h = await startHarness();
  rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
  await patchProject(h, 'demo', { webhook_url: rx.url, fees: { payout: { percent: 1.5, fixed: 30 } } });
});
after(async () => {
  await h?.close();
  await rx?.close();
});
checkLedgerAfterEach(() => h);

/** Runs `fn` with the demo project's webhooks rendered in `version`, then puts v1 back. */
async function asVersion(version: Version, fn: () => Promise<void>): Promise<void> {
  if (version === 'v2') await patchProject(h, 'demo', { api_version: 'v2' });
  try {
    await fn();
  } finally {
    if (version === 'v2') await patchProject(h, 'demo', { api_version: 'v1' });
  }
}

const recipient = { recipient: { full_name: 'John Johnson' } };
const customer = { reference: 'user123', contacts: [{ email: 'user@example.com' }] };

/** Waits until the jobs whose unique key is like `pattern` have run to completion (a finished job is deleted). */
async function jobsDone(pattern: string): Promise<void> {
  const db = h.runtime.database.db;
  for (let i = 0; ; i++) {
    const left = await db.selectFrom('jobs').select(['kind', 'attempts', 'last_error']).where('unique_key', 'like', pattern).execute();
    if (left.length === 0) return;
    assert.ok(i < 500 && left.every((j) => j.last_error === null), `jobs left: ${JSON.stringify(left)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

for (const version of ['v1', 'v2'] as const) {
  const L = payoutsOf(version);
  const D = destOf(version);
  const other = { list: version === 'v1' ? 'payout_list' : 'payments', dest: version === 'v1' ? 'payout_details' : 'payment_method' };

  describe(`${version}: the payout lifecycle`, () => {
    test('card: init → in_progress → ready_to_confirm (pending) → confirm → in_progress → succeeded, payment_finished, session accepted', async () => {
      await asVersion(version, async () => {
        const amount = 10000;
        const fee = feeOf(amount);
        const init = await ok(h, 'session/init/payout', payoutBody(version, dest.card(), USD(amount), { customer, metadata: { order: 7 } }), { version });
        const sid: string = init.session.id;
        const base = {
          id: '<po>',
          created_at: '<ts>',
          updated_at: '<ts>',
          customer,
          [D]: { type: 'card', card: { last4: '4242', brand: 'visa', country_iso3: 'USA' } },
          amount_details: USD(amount),
          participant_details: recipient,
          metadata: { order: 7 },
        };
        assert.deepEqual(shape(init.session), { id: '<ps>', status: 'in_progress', created_at: '<ts>', updated_at: '<ts>', [L]: [{ ...base, status: 'in_progress' }] });
        const po: string = init.session[L][0].id;
        assert.match(po, /^po_\d{22}$/);

        const rtc = await hook(rx, sid, 1, 'ready_to_confirm');
        const pending = { id: '<ps>', status: 'in_progress', created_at: '<ts>', updated_at: '<ts>', next_action: 'confirm', [L]: [{ ...base, status: 'pending' }] };
        assert.deepEqual(shape(rtc.session), pending);
        assert.equal(rtc.session[L][0].id, po);
        assert.equal(rtc.session[other.list], undefined);
        assert.deepEqual(await statusOf(h, sid, { version }), rtc.session, 'session/status shows what the webhook showed');
        assert.deepEqual(await entriesFor(h.runtime.database.db, po), [], 'nothing is reserved before the confirm');

        const confirmed = await ok(h, 'session/confirm', { session_id: sid }, { version });
        assert.deepEqual(shape(confirmed.session), {
          id: '<ps>',
          status: 'in_progress',
          created_at: '<ts>',
          updated_at: '<ts>',
          [L]: [{ ...base, status: 'in_progress', amounts: amountsOf(amount, fee) }],
        });

        const fin = await hook(rx, sid, 2, 'payment_finished');
        assert.deepEqual(shape(fin.session), {
          id: '<ps>',
          status: 'accepted',
          created_at: '<ts>',
          updated_at: '<ts>',
          finished_at: '<ts>',
          [L]: [{ ...base, status: 'succeeded', finished_at: '<ts>', amounts: amountsOf(amount, fee), transaction_info: { rrn: '<rrn>', auth_code: '<auth_code>' } }],
        });
        assert.equal(fin.session[L][0][other.dest], undefined);
        assert.deepEqual(await statusOf(h, sid, { version }), fin.session);
        assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'payment_finished']);
        assert.deepEqual(await entriesFor(h.runtime.database.db, po), [
          { kind: 'payout_reserve', postings: { wallet: -(amount + fee), reserved: amount + fee } },
          { kind: 'payout_settle', postings: { reserved: -(amount + fee), external_bank_rails: amount, fees: fee } },
        ]);
        // The other version sees the same session under its own names.
        const otherVersion = version === 'v1' ? 'v2' : 'v1';
        const seen = await statusOf(h, sid, { version: otherVersion });
        assert.equal(seen[payoutsOf(otherVersion)][0].id, po);
        assert.deepEqual(seen[payoutsOf(otherVersion)][0][destOf(otherVersion)], { type: 'card', card: { last4: '4242', brand: 'visa', country_iso3: 'USA' } });
      });
    });

    test('session/create with the destination, then session/start/payout: the create params are used; start can change the amount', async () => {
      await asVersion(version, async () => {
        const iban = dest.iban('BE71096123456769', 'BEL');
        const created = await ok(h, 'session/create', { [D]: iban.method, amount_details: USD(2000), participant_details: iban.participants, metadata: 'from create' }, { version });
        const sid: string = created.session.id;
        assert.equal(created.session.status, 'created');
        const started = await ok(h, 'session/start/payout', { session_id: sid, amount_details: USD(2500) }, { version });
        assert.deepEqual(shape(started.session), {
          id: '<ps>',
          status: 'in_progress',
          created_at: '<ts>',
          updated_at: '<ts>',
          [L]: [{ id: '<po>', status: 'in_progress', created_at: '<ts>', updated_at: '<ts>', [D]: iban.method, amount_details: USD(2500), participant_details: iban.participants, metadata: 'from create' }],
        });
        await hook(rx, sid, 1, 'ready_to_confirm');
        const cancelled = await ok(h, 'session/cancel', { session_id: sid }, { version });
        assert.equal(cancelled.session.status, 'cancelled');
      });
    });

    test(
      'a card destination given to session/create is used by session/start/payout',
      async () => {
        const created = await ok(h, 'session/create', { [D]: dest.card().method, amount_details: USD(1000), participant_details: recipient }, { version });
        const sid: string = created.session.id;
        const started = await ok(h, 'session/start/payout', { session_id: sid }, { version });
        assert.deepEqual(payoutIn(started.session)[D], { type: 'card', card: { last4: '4242', brand: 'visa', country_iso3: 'USA' } });
        await untilPending(h, sid, { version });
        await ok(h, 'session/cancel', { session_id: sid }, { version });
      },
    );

    test(`the destination under the other version's name`, async () => {
      const res = await h.call('session/init/payout', { [other.dest]: dest.wallet().method, amount_details: { amount: 100, currency: 'rub' } }, { version });
      if (version === 'v2') {
        // v2 takes the v1 name too (the SDK moves payout_details to payment_method), and answers in v2's.
        assert.equal(res.statusCode, 200, res.body);
        const payout = payoutIn(res.json().session);
        assert.deepEqual(payout[D], dest.wallet().method);
        assert.equal(payout[other.dest], undefined);
        await untilPending(h, res.json().session.id, { version });
        await ok(h, 'session/cancel', { session_id: res.json().session.id }, { version });
      } else {
        assertError(res, 400, 'invalid_request', 'payment_method is required (it was given neither to session/create nor here)');
      }
    });

    test('session/start/payout without a destination anywhere names the missing field', async () => {
      const created = await ok(h, 'session/create', { amount_details: USD(2000) }, { version });
      const before = await statusOf(h, created.session.id, { version });
      assertError(
        await h.call('session/start/payout', { session_id: created.session.id }, { version }),
        400,
        'invalid_request',
        `${D} is required (it was given neither to session/create nor here)`,
      );
      const noAmount = await ok(h, 'session/create', {}, { version });
      assertError(
        await h.call('session/start/payout', { session_id: noAmount.session.id, [D]: dest.fps().method }, { version }),
        400,
        'invalid_request',
        'amount_details is required (it was given neither to session/create nor here)',
      );
      assert.deepEqual(await statusOf(h, created.session.id, { version }), before);
      assertError(await h.call('session/start/payout', { session_id: 'ps_404' }, { version }), 404, 'session_not_found', 'session ps_404 not found');
    });

    test('session/cancel while pending: failed cancelled_by_partner, session cancelled, payment_finished; nothing reserved; confirm and cancel are then refused', async () => {
      await asVersion(version, async () => {
        const init = await ok(h, 'session/init/payout', payoutBody(version, dest.iban(), USD(3000)), { version });
        const sid: string = init.session.id;
        const po: string = init.session[L][0].id;
        await hook(rx, sid, 1, 'ready_to_confirm');
        const cancelled = await ok(h, 'session/cancel', { session_id: sid }, { version });
        assert.equal(cancelled.session.status, 'cancelled');
        assert.ok(cancelled.session.finished_at);
        assert.equal(cancelled.session.next_action, undefined);
        const payout = cancelled.session[L][0];
        assert.equal(payout.status, 'failed');
        assert.deepEqual(payout.error, { code: 'cancelled_by_partner', description: 'the partner cancelled the payout (session/cancel)' });
        assert.equal(payout.amounts, undefined, 'nothing was confirmed, so no amounts');
        const fin = await hook(rx, sid, 2, 'payment_finished');
        assert.deepEqual(fin.session, cancelled.session);
        assert.deepEqual(await entriesFor(h.runtime.database.db, po), []);
        assertError(await h.call('session/confirm', { session_id: sid }, { version }), 409, 'invalid_session_state', `session ${sid} is not waiting for confirmation: its payout ${po} is failed`);
        assertError(await h.call('session/cancel', { session_id: sid }, { version }), 409, 'invalid_session_state', `session ${sid} cannot be cancelled now: its payout ${po} is failed`);
        await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'payment_finished']);
      });
    });

    test('after the confirm, a second confirm and a cancel are refused; the payout goes on', async () => {
      const init = await ok(h, 'session/init/payout', payoutBody(version, dest.uk(), USD(1200)), { version });
      const sid: string = init.session.id;
      const po: string = init.session[L][0].id;
      await untilPending(h, sid, { version });
      await ok(h, 'session/confirm', { session_id: sid }, { version });
      await untilSent(h, sid, { version });
      // A bank transfer settles after a clock-day: until then the payout is in_progress.
      assertError(await h.call('session/confirm', { session_id: sid }, { version }), 409, 'invalid_session_state', `session ${sid} is not waiting for confirmation: its payout ${po} is in_progress`);
      assertError(await h.call('session/cancel', { session_id: sid }, { version }), 409, 'invalid_session_state', `session ${sid} cannot be cancelled now: its payout ${po} is in_progress`);
      await advance(h, 86_400 + 60);
      const done = await untilFinal(h, sid, { version });
      assert.equal(payoutIn(done).status, 'succeeded');
    });
  });
}

describe('auto_confirm', () => {
  let key: KeyObject;
  before(async () => {
    key = await createProject(h, 'auto', { webhook_url: rx.url, auto_confirm: true, fees: { payout: { percent: 0, fixed: 50 } } });
    await topUp(h, 'auto', 100_000);
  });

  test('no ready_to_confirm, no confirm: amount plus fee reserved at once, then succeeded with payment_finished', async () => {
    const init = await ok(h, 'session/init/payout', payoutBody('v1', dest.wallet('qiwi', '79210010203'), USD(4000)), { project: 'auto', key });
    const sid: string = init.session.id;
    const fin = await hook(rx, sid, 1, 'payment_finished');
    assert.equal(fin.session['status'], 'accepted');
    assert.equal(fin.session['next_action'], undefined);
    const payout = payoutIn(fin.session);
    assert.equal(payout.status, 'succeeded');
    assert.deepEqual(payout.amounts, amountsOf(4000, 50));
    assertError(await h.call('session/confirm', { session_id: sid }, { project: 'auto', key }), 409, 'invalid_session_state', `session ${sid} is not waiting for confirmation: its payout ${payout.id} is succeeded`);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(typesFor(rx, sid), ['payment_finished']);
    assert.deepEqual(await accounts(h, 'auto'), {
      'external_bank_rails usd': 4000,
      'external_topup usd': -100_000,
      'fees usd': 50,
      'reserved usd': 0,
      'wallet usd': 100_000 - 4050,
    });
  });

  test('a wallet that cannot cover amount plus fee: failed insufficient_funds with payment_finished, nothing reserved', async () => {
    const before = await accounts(h, 'auto');
    const wallet = before['wallet usd']!;
    const init = await ok(h, 'session/init/payout', payoutBody('v1', dest.card(), USD(wallet - 49)), { project: 'auto', key });
    const sid: string = init.session.id;
    const fin = await hook(rx, sid, 1, 'payment_finished');
    assert.equal(fin.session['status'], 'cancelled');
    const payout = payoutIn(fin.session);
    assert.equal(payout.status, 'failed');
    assert.deepEqual(payout.error, {
      code: 'insufficient_funds',
      description: `the usd wallet holds ${wallet} and the payout needs ${wallet + 1} (amount ${wallet - 49} + fee 50); top it up and start a new payout`,
    });
    assert.equal(payout.amounts, undefined);
    assert.deepEqual(await accounts(h, 'auto'), before);
    assert.deepEqual(await entriesFor(h.runtime.database.db, payout.id), []);
  });
});

describe('the 240-minute confirm timeout runs on the job clock', () => {
  test('pending at 239 minutes; failed confirm_timeout at 240, session cancelled, payment_finished; a late confirm is refused', async () => {
    const init = await ok(h, 'session/init/payout', payoutBody('v1', dest.au(), USD(5000)));
    const sid: string = init.session.id;
    const po: string = init.session.payments[0].id;
    await hook(rx, sid, 1, 'ready_to_confirm');
    await advance(h, 239 * 60);
    const still = await statusOf(h, sid);
    assert.equal(still['next_action'], 'confirm');
    assert.equal(payoutIn(still).status, 'pending');
    assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm']);
    await advance(h, 90);
    const fin = await hook(rx, sid, 2, 'payment_finished');
    assert.equal(fin.session['status'], 'cancelled');
    assert.equal(fin.session['next_action'], undefined);
    const payout = payoutIn(fin.session);
    assert.equal(payout.status, 'failed');
    assert.deepEqual(payout.error, { code: 'confirm_timeout', description: 'session/confirm did not come within 240 minutes of ready_to_confirm' });
    const waited = Date.parse(payout.finished_at) - Date.parse(payout.created_at);
    assert.ok(waited >= 240 * 60_000 && waited < 240 * 60_000 + 30_000, `failed ${waited} ms after it was created`);
    assertError(await h.call('session/confirm', { session_id: sid }), 409, 'invalid_session_state', `session ${sid} is not waiting for confirmation: its payout ${po} is failed`);
    assert.deepEqual(await entriesFor(h.runtime.database.db, po), []);
  });

  test('a confirm in time cancels the timeout: nothing happens at minute 240', async () => {
    const init = await ok(h, 'session/init/payout', payoutBody('v1', dest.card('5555555555554444'), USD(700)));
    const sid: string = init.session.id;
    await hook(rx, sid, 1, 'ready_to_confirm');
    await advance(h, 200 * 60);
    await ok(h, 'session/confirm', { session_id: sid });
    const fin = await hook(rx, sid, 2, 'payment_finished');
    assert.equal(payoutIn(fin.session).status, 'succeeded');
    await advance(h, 60 * 60);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'payment_finished']);
    assert.equal(payoutIn(await statusOf(h, sid)).status, 'succeeded');
  });
});

describe('a wallet that cannot cover amount plus fee at confirm', () => {
  let key: KeyObject;
  const call = (method: string, body: unknown) => ok(h, method, body, { project: 'short', key });
  before(async () => {
    key = await createProject(h, 'short', { webhook_url: rx.url, fees: { payout: { percent: 0, fixed: 30 } } });
    await topUp(h, 'short', 5000);
  });

  async function pending(amount: number): Promise<{ sid: string; po: string }> {
    const init = await call('session/init/payout', payoutBody('v1', dest.card(), USD(amount)));
    const sid: string = init.session.id;
    await hook(rx, sid, 1, 'ready_to_confirm');
    return { sid, po: init.session.payments[0].id };
  }

  test('one minor unit short: failed insufficient_funds, session cancelled, payment_finished; the wallet is untouched', async () => {
    const { sid, po } = await pending(4971); // 4971 + 30 = 5001 > 5000
    const res = await call('session/confirm', { session_id: sid });
    assert.equal(res.session.status, 'cancelled');
    const payout = payoutIn(res.session);
    assert.equal(payout.status, 'failed');
    assert.deepEqual(payout.error, {
      code: 'insufficient_funds',
      description: 'the usd wallet holds 5000 and the payout needs 5001 (amount 4971 + fee 30); top it up and start a new payout',
    });
    assert.equal(payout.amounts, undefined);
    const fin = await hook(rx, sid, 2, 'payment_finished');
    assert.deepEqual(fin.session, res.session);
    const acc = await accounts(h, 'short');
    assert.equal(acc['wallet usd'], 5000);
    assert.equal(acc['reserved usd'] ?? 0, 0);
    assert.deepEqual(await entriesFor(h.runtime.database.db, po), []);
  });

  test('exactly enough: paid, and the wallet is at zero; the next payout fails; it never goes negative', async () => {
    const a = await pending(4970);
    await call('session/confirm', { session_id: a.sid });
    assert.equal(payoutIn((await hook(rx, a.sid, 2, 'payment_finished')).session).status, 'succeeded');
    assert.equal((await accounts(h, 'short'))['wallet usd'], 0);
    const balance = await call('wallet/balance', { request_datetime: h.runtime.clock.now().toISOString() });
    assert.deepEqual(balance.wallets.map((w: Json) => w.amount_details), [USD(0)]);

    const b = await pending(1);
    const res = await call('session/confirm', { session_id: b.sid });
    assert.deepEqual(payoutIn(res.session).error, {
      code: 'insufficient_funds',
      description: 'the usd wallet holds 0 and the payout needs 31 (amount 1 + fee 30); top it up and start a new payout',
    });
    await hook(rx, b.sid, 2, 'payment_finished');
    assert.deepEqual(await accounts(h, 'short'), { 'external_bank_rails usd': 4970, 'external_topup usd': -5000, 'fees usd': 30, 'reserved usd': 0, 'wallet usd': 0 });
  });

  test('a payout in another currency needs a wallet in that currency', async () => {
    const init = await call('session/init/payout', payoutBody('v1', dest.card(), { amount: 100, currency: 'EUR' }));
    const sid: string = init.session.id;
    assert.deepEqual(init.session.payments[0].amount_details, { amount: 100, currency: 'eur' });
    await hook(rx, sid, 1, 'ready_to_confirm');
    const res = await call('session/confirm', { session_id: sid });
    assert.equal(payoutIn(res.session).error.code, 'insufficient_funds');
    assert.equal(payoutIn(res.session).error.description, 'the eur wallet holds 0 and the payout needs 130 (amount 100 + fee 30); top it up and start a new payout');
    await hook(rx, sid, 2, 'payment_finished');
  });
});

describe('sandbox rails outcomes', () => {
  /** init + ready_to_confirm + confirm on the demo project; returns ids and the confirm answer. */
  async function confirmed(d: ReturnType<typeof dest.iban>, amount: number): Promise<{ sid: string; po: string; res: Json }> {
    const init = await ok(h, 'session/init/payout', payoutBody('v1', d, USD(amount)));
    const sid: string = init.session.id;
    await hook(rx, sid, 1, 'ready_to_confirm');
    const res = await ok(h, 'session/confirm', { session_id: sid });
    return { sid, po: init.session.payments[0].id, res };
  }

  test('an account ending in 0404: refused account_not_found, the reservation goes back to the wallet, fee included', async () => {
    const amount = 2222;
    const { sid, po } = await confirmed(dest.iban('DE50370400440532010404'), amount);
    const fin = await hook(rx, sid, 2, 'payment_finished');
    assert.equal(fin.session['status'], 'cancelled');
    const payout = payoutIn(fin.session);
    assert.equal(payout.status, 'failed');
    assert.deepEqual(payout.error, { code: 'account_not_found', description: "the recipient's bank has no account DE50…0404" });
    assert.equal(payout.transaction_info, undefined);
    const total = amount + feeOf(amount);
    assert.deepEqual(await entriesFor(h.runtime.database.db, po), [
      { kind: 'payout_reserve', postings: { wallet: -total, reserved: total } },
      { kind: 'payout_void', postings: { reserved: -total, wallet: total } },
    ]);
  });

  test('0404 refuses any kind of account: a US or UK account number, a wallet account', async () => {
    const cases: [ReturnType<typeof dest.iban>, string][] = [
      [dest.us({ bank_account_number: '1234560404' }), '1234…0404'],
      [dest.uk({ account_number: '31920404' }), '3192…0404'],
      [dest.wallet('yoomoney', '410012411720404'), '4100…0404'],
    ];
    for (const [d, masked] of cases) {
      const { sid } = await confirmed(d, 1000);
      const payout = payoutIn((await hook(rx, sid, 2, 'payment_finished')).session);
      assert.deepEqual(payout.error, { code: 'account_not_found', description: `the recipient's bank has no account ${masked}` });
    }
  });

  test('card 4000 0000 0000 0002: refused card_declined, the reservation goes back', async () => {
    const amount = 1500;
    const { sid, po } = await confirmed(dest.card('4000000000000002'), amount);
    const payout = payoutIn((await hook(rx, sid, 2, 'payment_finished')).session);
    assert.equal(payout.status, 'failed');
    assert.deepEqual(payout.error, { code: 'card_declined', description: 'the issuer declined the payment' });
    assert.deepEqual((await entriesFor(h.runtime.database.db, po)).map((e) => e.kind), ['payout_reserve', 'payout_void']);
  });

  test('a bank transfer settles after one clock-day (in_progress with an rrn until then); a card at once', async () => {
    const card = await confirmed(dest.card(), 800);
    assert.equal(payoutIn((await hook(rx, card.sid, 2, 'payment_finished')).session).status, 'succeeded', 'a card payout is paid without the clock moving');

    const { sid, po, res } = await confirmed(dest.iban('GB29NWBK60161331926819', 'GBR', { swift_bic_code: 'NWBKGB2L' }), 900);
    assert.equal(payoutIn(res.session).status, 'in_progress');
    const settling = await untilSent(h, sid);
    assert.equal(settling['status'], 'in_progress');
    assert.equal(payoutIn(settling).status, 'in_progress');
    assert.match(payoutIn(settling).transaction_info.rrn, /^\d{12}$/);
    assert.deepEqual((await entriesFor(h.runtime.database.db, po)).map((e) => e.kind), ['payout_reserve']);
    await advance(h, 86_400 - 120);
    assert.equal(payoutIn(await statusOf(h, sid)).status, 'in_progress');
    assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm']);
    await advance(h, 240);
    const fin = await hook(rx, sid, 2, 'payment_finished');
    const payout = payoutIn(fin.session);
    assert.equal(payout.status, 'succeeded');
    assert.equal(payout.transaction_info.rrn, payoutIn(settling).transaction_info.rrn, 'the rail reference is kept');
    const took = Date.parse(payout.finished_at) - Date.parse(payout.created_at);
    assert.ok(took >= 86_400_000 && took < 86_400_000 + 60_000, `settled ${took} ms after creation`);
    assert.deepEqual((await entriesFor(h.runtime.database.db, po)).map((e) => e.kind), ['payout_reserve', 'payout_settle']);
  });

  test('an account ending in 0909: paid, then returned two clock-days later — a refund on the payout, payment_refunded, the wallet credited (fee kept)', async () => {
    const amount = 3333;
    const fee = feeOf(amount);
    const { sid, po } = await confirmed(dest.iban('DE92370400440532010909'), amount);
    await untilSent(h, sid);
    await advance(h, 86_400 + 60);
    const fin = await hook(rx, sid, 2, 'payment_finished');
    const paid = payoutIn(fin.session);
    assert.equal(paid.status, 'succeeded');
    assert.equal(paid.refunds, undefined);
    await advance(h, 2 * 86_400 - 180);
    assert.equal(payoutIn(await statusOf(h, sid)).refunds, undefined, 'not returned before two clock-days');
    assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'payment_finished']);
    await advance(h, 240);
    const returned = await hook(rx, sid, 3, 'payment_refunded');
    assert.equal(returned.session['status'], 'accepted');
    const payout = payoutIn(returned.session);
    assert.equal(payout.status, 'succeeded', 'a returned payout stays succeeded');
    assert.deepEqual(shape(payout.refunds), [{ id: '<rf>', status: 'accepted', created_at: '<ts>', finished_at: '<ts>', is_chargeback: false, amount_details: USD(amount), amounts: refundAmounts(USD(amount)) }]);
    const after = Date.parse(payout.refunds[0].created_at) - Date.parse(paid.finished_at);
    assert.ok(after >= 2 * 86_400_000 && after < 2 * 86_400_000 + 60_000, `returned ${after} ms after it was paid`);
    assert.deepEqual({ ...payout, refunds: undefined }, { ...paid, refunds: undefined }, 'the payout itself is unchanged');
    assert.deepEqual(await statusOf(h, sid), returned.session);
    assert.deepEqual(await entriesFor(h.runtime.database.db, po), [
      { kind: 'payout_reserve', postings: { wallet: -(amount + fee), reserved: amount + fee } },
      { kind: 'payout_settle', postings: { reserved: -(amount + fee), external_bank_rails: amount, fees: fee } },
      { kind: 'payout_return', postings: { external_bank_rails: -amount, wallet: amount } },
    ]);
    // A duplicated return job changes nothing: one refund, one return entry, one webhook.
    const now = h.runtime.clock.now();
    await enqueueJob(h.runtime.database.db, { kind: 'payout.return', payload: { payoutId: po }, runAt: now, uniqueKey: `${po}:return:again` }, now);
    await advance(h, 3 * 86_400);
    await jobsDone(`${po}:return:again`);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'payment_finished', 'payment_refunded'], 'returned once');
    assert.deepEqual(await statusOf(h, sid), returned.session);
    assert.deepEqual((await entriesFor(h.runtime.database.db, po)).map((e) => e.kind), ['payout_reserve', 'payout_settle', 'payout_return']);
  });

  test('an account ending in 0408: the rail times out, the payout stays in_progress, and reconciliation 30 clock-minutes later settles it exactly once', async () => {
    const amount = 4444;
    const fee = feeOf(amount);
    const { sid, po } = await confirmed(dest.iban('DE39370400440532010408'), amount);
    const db = h.runtime.database.db;
    const stageOf = async () => (await db.selectFrom('payouts').select('stage').where('id', '=', po).executeTakeFirstOrThrow()).stage;
    for (let i = 0; (await stageOf()) !== 'unknown'; i++) {
      assert.ok(i < 500, `the payout never reached the rail: ${await stageOf()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const unknown = await statusOf(h, sid);
    assert.equal(unknown['status'], 'in_progress');
    assert.equal(payoutIn(unknown).status, 'in_progress');
    assert.equal(payoutIn(unknown).transaction_info, undefined);
    await advance(h, 29 * 60);
    assert.equal(payoutIn(await statusOf(h, sid)).status, 'in_progress');
    assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm']);
    await advance(h, 90);
    const fin = await hook(rx, sid, 2, 'payment_finished');
    const payout = payoutIn(fin.session);
    assert.equal(payout.status, 'succeeded');
    assert.match(payout.transaction_info.rrn, /^\d{12}$/);
    const expected = [
      { kind: 'payout_reserve', postings: { wallet: -(amount + fee), reserved: amount + fee } },
      { kind: 'payout_settle', postings: { reserved: -(amount + fee), external_bank_rails: amount, fees: fee } },
    ];
    assert.deepEqual(await entriesFor(db, po), expected);

    // The same steps once more (a duplicated or resumed job): nothing is booked or sent twice.
    const now = h.runtime.clock.now();
    for (const kind of ['payout.reconcile', 'payout.send', 'payout.settle', 'payout.check'] as const) {
      await enqueueJob(db, { kind, payload: { payoutId: po, reference: '999999999999', returnAfterMs: null }, runAt: now, uniqueKey: `${po}:${kind}:again` }, now);
    }
    await advance(h, 60);
    await jobsDone(`${po}:%:again`);
    assert.deepEqual(await entriesFor(db, po), expected);
    assert.deepEqual(await statusOf(h, sid), fin.session);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'payment_finished']);
  });
});

describe('FPS', () => {
  const verification = (phone: string, bankId = '100000000069') => ({
    type: 'bank_account',
    bank_account: { system_type: 'faster_payment_system_verification', faster_payment_system_verification: { phone, bank_id: bankId } },
  });
  const names = { recipient: { first_name: 'Ivan', last_name: 'Ivanov', middle_name: 'Ivanovich' } };

  test('customer verification, registered phone (last digit even): no ready_to_confirm, payout succeeded, session accepted; no money moves', async () => {
    const sid: string = (await ok(h, 'session/create', {})).session.id;
    const res = await ok(h, 'fps/customer_verification', { session_id: sid, payment_method: verification('79000000002'), participant_details: names });
    assert.deepEqual(shape(res.session), {
      id: '<ps>',
      status: 'in_progress',
      created_at: '<ts>',
      updated_at: '<ts>',
      payments: [{ id: '<po>', status: 'in_progress', created_at: '<ts>', updated_at: '<ts>', payment_method: verification('79000000002'), participant_details: names }],
    });
    const fin = await hook(rx, sid, 1, 'payment_finished');
    assert.equal(fin.session['status'], 'accepted');
    const payout = payoutIn(fin.session);
    assert.equal(payout.status, 'succeeded');
    assert.equal(payout.error, undefined);
    assert.equal(payout.amount_details, undefined, 'a verification has no amount');
    assert.deepEqual(await entriesFor(h.runtime.database.db, payout.id), []);
    assert.deepEqual(typesFor(rx, sid), ['payment_finished']);
  });

  test(
    'a customer verification moves no money, so it shows no amounts',
    async () => {
      const sid: string = (await ok(h, 'session/create', {})).session.id;
      await ok(h, 'fps/customer_verification', { session_id: sid, payment_method: verification('79000000006'), participant_details: names });
      const payout = payoutIn((await hook(rx, sid, 1, 'payment_finished')).session);
      assert.equal(payout.status, 'succeeded');
      assert.equal(payout.amounts, undefined);
    },
  );

  test('customer verification, unregistered phone (last digit odd): failed account_not_found, session cancelled', async () => {
    const sid: string = (await ok(h, 'session/create', {})).session.id;
    await ok(h, 'fps/customer_verification', { session_id: sid, payment_method: verification('79000000001'), participant_details: names });
    const fin = await hook(rx, sid, 1, 'payment_finished');
    assert.equal(fin.session['status'], 'cancelled');
    const payout = payoutIn(fin.session);
    assert.equal(payout.status, 'failed');
    assert.deepEqual(payout.error, { code: 'account_not_found', description: 'phone 79000000001 is not registered in the Faster Payment System at bank 100000000069' });
  });

  test('customer verification refuses a bad phone, an unknown bank, missing names, and a session already used', async () => {
    const sid: string = (await ok(h, 'session/create', {})).session.id;
    const before = await statusOf(h, sid);
    const call = (method: unknown, participants: unknown = names) => h.call('fps/customer_verification', { session_id: sid, payment_method: method, participant_details: participants });
    const field = 'payment_method.bank_account.faster_payment_system_verification';
    assertError(await call(verification('89000000002')), 400, 'invalid_request', `${field}.phone must be a Russian mobile number like 79001234567`);
    assertError(await call(verification('79000000002', '100000000999')), 400, 'invalid_request', `${field}.bank_id is not a bank of the Faster Payment System (see GET /api/v1/fps/banks)`);
    assertError(await call(verification('79000000002'), { recipient: { first_name: 'Ivan' } }), 400, 'invalid_request', 'participant_details.recipient.last_name is required');
    assertError(await call(dest.fps().method), 400, 'invalid_request', 'payment_method.bank_account.system_type must be faster_payment_system_verification');
    assert.deepEqual(await statusOf(h, sid), before);
    await ok(h, 'fps/customer_verification', { session_id: sid, payment_method: verification('79000000004'), participant_details: names });
    await hook(rx, sid, 1, 'payment_finished');
    // An accepted session takes further operations; a cancelled one takes none.
    const cancelled: string = (await ok(h, 'session/create', {})).session.id;
    await ok(h, 'session/cancel', { session_id: cancelled });
    assertError(
      await h.call('fps/customer_verification', { session_id: cancelled, payment_method: verification('79000000004'), participant_details: names }),
      409,
      'invalid_session_state',
      `session ${cancelled} cannot start a verification: it is cancelled`,
    );
  });

  test('a payout to faster_payment_system_verification is refused: that system is for fps/customer_verification', async () => {
    assertError(
      await h.call('session/init/payout', { payment_method: verification('79000000002'), amount_details: { amount: 100, currency: 'rub' } }),
      400,
      'invalid_request',
      'payment_method.bank_account.system_type faster_payment_system_verification is for fps/customer_verification, not for a payout',
    );
  });

  test('GET /api/v1/fps/banks, signed over the empty body, lists the sandbox banks', async () => {
    const res = await signedGet(h, '/api/v1/fps/banks');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.status, 'ok');
    assert.deepEqual(body.banks, FPS_BANKS);
    assert.ok(body.banks.some((b: Json) => b.id === '100000000069' && b.eng_name === 'SDM-Bank' && b.ru_name === 'СДМ-Банк'));
    for (const b of body.banks) assert.deepEqual(Object.keys(b).sort(), ['eng_name', 'id', 'ru_name']);

    const unsigned = await h.runtime.app.inject({ method: 'GET', url: '/api/v1/fps/banks', headers: { 'x-partner-project': 'demo', 'x-partner-sign': 'AAAA' } });
    assertError(unsigned, 401, 'authentication_error', 'X-PARTNER-SIGN does not verify the request body with any active key of project "demo"');
    // v2 too, as the SDK's FpsApi defaults to it (test/fps-methods.test.ts covers bodies and POST).
    const v2 = await signedGet(h, '/api/v2/fps/banks');
    assert.equal(v2.statusCode, 200, v2.body);
    assert.deepEqual(v2.json(), body);
  });
});

describe('webhooks of one payout arrive in order and once', () => {
  test('every webhook of this file verified, and no session got a webhook type twice', async () => {
    await new Promise((r) => setTimeout(r, 100));
    const bySession = new Map<string, string[]>();
    for (const r of rx.received) {
      assert.equal(r.verified, true);
      const sid = String(r.json.session['id']);
      bySession.set(sid, [...(bySession.get(sid) ?? []), r.json.type]);
    }
    assert.ok(bySession.size > 20);
    for (const [sid, types] of bySession) assert.equal(new Set(types).size, types.length, `${sid}: ${types.join(', ')}`);
  });
});
