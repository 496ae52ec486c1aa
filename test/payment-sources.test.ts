import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { startHarness, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { assertError, bankCard, captured, hook, listOf, maskedCard, ok, patchProject, shape, statusOf, typesFor, type Version } from './helpers/acquiring.js';
import { assertLedgerInvariants } from './helpers/ledger-invariants.js';

/**
 * Every payment source besides a plain card (issue 11 items 3, 5, 6, 7; docs/test-cards.md "Other
 * payment sources"): FPS QR payments through the sandbox bank app (pay, decline, timeout, refund),
 * internet banking and wallets through a provider page, sberpay/push, tokenized and secured
 * (Google Pay / Apple Pay) cards from the test tokens, the recurrent echo, and the refusal of what
 * is not supported, the same at session/create, init/payment and start/payment. Whole bodies, ids
 * and times as placeholders, webhooks from a real receiver that checks their signatures.
 */
let h: Harness;
let rx: Receiver;
let publicUrl: string;

before(async () => {
  h = await startHarness();
  publicUrl = h.runtime.config.publicUrl;
  rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
  await patchProject(h, 'demo', { webhook_url: rx.url });
});
after(async () => {
  await h.close();
  await rx.close();
});

const customer = { reference: 'payer-7' };
const RUB = (amount: number) => ({ amount, currency: 'rub' });
const returnUrl = 'https://shop.example/back?order=9';
const PAGE_ID = /\/sandbox\/(fps|provider)\/[A-Za-z0-9_-]{24}$/;
const PNG_DATA_URL = /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/;

/** shape() plus this file's run-to-run values: the hosted page id, the QR image, the FPS message id. */
function norm(v: unknown, key?: string): unknown {
  if (Array.isArray(v)) return v.map((x) => norm(x));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(shape(v) as object).map(([k, x]) => [k, norm(x, k)]));
  if (typeof v === 'string') {
    if (key === 'img' && PNG_DATA_URL.test(v)) return '<qr-png>';
    if (key === 'fp_message_id' && /^A[0-9A-F]{31}$/.test(v)) return '<fp>';
    return v.replace(PAGE_ID, '/sandbox/$1/<page>');
  }
  return v;
}

async function asVersion(version: Version, fn: () => Promise<void>): Promise<void> {
  if (version === 'v2') await patchProject(h, 'demo', { api_version: 'v2' });
  try {
    await fn();
  } finally {
    if (version === 'v2') await patchProject(h, 'demo', { api_version: 'v1' });
  }
}

const path = (url: string) => new URL(url).pathname;
async function page(url: string) {
  const res = await h.runtime.app.inject({ method: 'GET', url: path(url) });
  const field = (id: string) => new RegExp(`data-testid="${id}">([^<]*)<`).exec(res.body)?.[1];
  return { res, merchant: field('merchant'), amount: field('amount') };
}
const answer = (url: string, result: string) =>
  h.runtime.app.inject({ method: 'POST', url: path(url), headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `result=${result}` });

const asReply = (r: { statusCode: number; body: string; headers: Record<string, unknown> }) => ({ ...r, json: () => JSON.parse(r.body) });

/** Starts a payment of `details`, confirms it, and returns the action_required webhook with its session id. */
async function toActionRequired(details: unknown, amount: { amount: number; currency: string }, version: Version = 'v1', extra: Record<string, unknown> = {}) {
  const init = await ok(h, 'session/init/payment', { payment_details: details, amount_details: amount, customer, payment_options: { return_url: returnUrl }, ...extra }, { version });
  const sid: string = init.session.id;
  await hook(rx, sid, 1, 'ready_to_confirm');
  await ok(h, 'session/confirm', { session_id: sid }, { version });
  const ar = await hook(rx, sid, 2, 'action_required');
  return { sid, init, ar, payment: ar.session[listOf(version)][0] as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function capturePostings(paymentId: string): Promise<Record<string, number>> {
  const rows = await sql<{ kind: string; amount: string }>`
    SELECT a.kind, p.amount FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id JOIN ledger_accounts a ON a.id = p.account_id
    WHERE e.kind = 'capture' AND e.reference = ${paymentId} ORDER BY a.kind`.execute(h.runtime.database.db);
  return Object.fromEntries(rows.rows.map((r) => [r.kind, Number(r.amount)]));
}

async function processorOps(prefix: string): Promise<string[]> {
  const rows = await sql<{ kind: string }>`SELECT kind FROM sandbox_processor_ops WHERE operation_id LIKE ${`${prefix}%`} ORDER BY kind`.execute(h.runtime.database.db);
  return rows.rows.map((r) => r.kind);
}

for (const version of ['v1', 'v2'] as const) {
  const L = listOf(version);
  describe(`${version}: FPS (SBP) QR payments`, () => {
    test('init → ready_to_confirm → confirm → action_required with the QR → bank app Pay → payment_finished → refund through FPS', async () => {
      await asVersion(version, async () => {
        const base = { id: '<pm>', created_at: '<ts>', updated_at: '<ts>', customer, payment_details: { type: 'faster_payment_system' }, amount_details: RUB(150000), payment_options: { return_url: returnUrl } };
        const { sid, init, ar, payment } = await toActionRequired({ type: 'faster_payment_system' }, RUB(150000), version);
        assert.deepEqual(norm(init), { status: 'ok', session: { id: '<ps>', status: 'in_progress', created_at: '<ts>', updated_at: '<ts>', [L]: [{ ...base, status: 'in_progress' }] } });
        // FPS goes through ready_to_confirm like a card (§8: "→ ready_to_confirm → confirm → action_required").
        const interaction = { type: 'inform', inform: { type: 'qr', qr: { content: `${publicUrl}/sandbox/fps/<page>`, img: '<qr-png>' } } };
        assert.deepEqual(norm(ar.session), {
          id: '<ps>',
          status: 'in_progress',
          created_at: '<ts>',
          updated_at: '<ts>',
          [L]: [{ ...base, status: 'pending', customer_interaction: interaction, transaction_info: { fp_message_id: '<fp>' } }],
        });
        assert.deepEqual(await statusOf(h, sid, version), ar.session);
        const qr = payment.customer_interaction.inform.qr as { content: string; img: string };
        // The image is a real PNG (its signature bytes) of a QR code.
        const png = Buffer.from(qr.img.split(',')[1]!, 'base64');
        assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
        assert.ok(png.length > 200, 'a QR image, not a placeholder');

        // The QR's content is the sandbox bank app: merchant, amount, Pay and Decline, a strict CSP.
        const app = await page(qr.content);
        assert.equal(app.res.statusCode, 200);
        assert.deepEqual([app.merchant, app.amount], ['demo', '1500.00 RUB']);
        assert.match(app.res.body, /<button class="primary" type="submit" name="result" value="pay">Pay<\/button>/);
        assert.match(app.res.body, /<button type="submit" name="result" value="decline">Decline<\/button>/);
        const csp = String(app.res.headers['content-security-policy']);
        assert.match(csp, /default-src 'none'/);
        assert.match(csp, /form-action 'self' https:\/\/shop\.example/);
        assert.match(csp, /frame-ancestors 'none'/);
        assert.equal(app.res.headers['x-frame-options'], 'DENY');

        const paid = await answer(qr.content, 'pay');
        assert.equal(paid.statusCode, 303);
        assert.equal(paid.headers['location'], returnUrl);
        const fin = await hook(rx, sid, 3, 'payment_finished');
        assert.deepEqual(norm(fin.session), {
          id: '<ps>',
          status: 'accepted',
          created_at: '<ts>',
          updated_at: '<ts>',
          finished_at: '<ts>',
          [L]: [{ ...base, status: 'succeeded', finished_at: '<ts>', transaction_info: { fp_message_id: '<fp>' } }],
        });
        const done = fin.session[L][0];
        assert.equal(done.transaction_info.fp_message_id, payment.transaction_info.fp_message_id, 'the FPS message id stays the same');
        assert.deepEqual(captured(done), RUB(150000));
        assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'action_required', 'payment_finished']);
        // Booked as a card capture is: gross from the network, the partner's settlement less the fee.
        const postings = await capturePostings(done.id);
        assert.equal(postings['external_card_network'], -150000);
        assert.equal((postings['acquiring_settlement'] ?? 0) + (postings['fees'] ?? 0), 150000);

        // The bank app is closed now; a second answer is refused, nothing changes.
        const again = await page(qr.content);
        assert.match(again.res.body, /This payment is no longer waiting for you\./);
        assert.ok(!again.res.body.includes('<form'));
        const late = await answer(qr.content, 'decline');
        assertError(asReply(late), 409, 'invalid_session_state', `this payment page is no longer open: its payment ${done.id} is succeeded`);

        // The refund goes through the FPS connector, not the card processor.
        const refunding = await ok(h, 'session/refund', { session_id: sid }, { version });
        assert.equal(refunding.session.status, 'in_progress');
        const refunded = await hook(rx, sid, 4, 'payment_refunded');
        assert.equal(refunded.session.status, 'accepted');
        const refund = refunded.session[L][0].refunds[0];
        assert.deepEqual([refund.status, refund.amount_details], ['accepted', RUB(150000)]);
        assert.deepEqual(await processorOps(refund.id), ['fps_refund']);
        assert.deepEqual(await processorOps(done.id), ['fps_complete', 'fps_open']);
        await assertLedgerInvariants(h);
      });
    });

    test('Decline in the bank app fails the payment with cancelled_by_customer', async () => {
      await asVersion(version, async () => {
        const { sid, payment } = await toActionRequired({ type: 'faster_payment_system' }, RUB(9900), version);
        const declined = await answer(payment.customer_interaction.inform.qr.content, 'decline');
        assert.equal(declined.statusCode, 303);
        const fin = await hook(rx, sid, 3, 'payment_finished');
        assert.deepEqual(norm(fin.session), {
          id: '<ps>',
          status: 'cancelled',
          created_at: '<ts>',
          updated_at: '<ts>',
          finished_at: '<ts>',
          [L]: [
            {
              id: '<pm>',
              status: 'failed',
              created_at: '<ts>',
              updated_at: '<ts>',
              finished_at: '<ts>',
              customer,
              payment_details: { type: 'faster_payment_system' },
              amount_details: RUB(9900),
              payment_options: { return_url: returnUrl },
              transaction_info: { fp_message_id: '<fp>' },
              error: { code: 'cancelled_by_customer', description: 'the payer declined the FPS payment in the bank app' },
            },
          ],
        });
        assertError(await h.call('session/refund', { session_id: sid }, { version }), 409, 'invalid_session_state', `session ${sid} has no succeeded payment to refund`);
      });
    });
  });
}

describe('FPS: timeout, bad inputs', () => {
  test('a QR nobody answers expires 60 minutes after action_required (sandbox clock)', async () => {
    const { sid, payment } = await toActionRequired({ type: 'faster_payment_system' }, RUB(5000));
    await h.admin('POST', '/clock/advance', { seconds: 3540 });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await statusOf(h, sid))['acquiring_payments'][0].status, 'pending', 'still open a minute before the timeout');
    const adv = await h.admin('POST', '/clock/advance', { seconds: 61 });
    assert.equal(adv.statusCode, 200, adv.body);
    const fin = await hook(rx, sid, 3, 'payment_finished');
    const p = fin.session['acquiring_payments'][0];
    assert.equal(fin.session['status'], 'cancelled');
    assert.deepEqual([p.status, p.error], ['failed', { code: 'customer_interaction_timeout', description: 'the payer did not pay the FPS QR within 60 minutes' }]);
    assert.equal(p.customer_interaction, undefined);
    const late = await answer(payment.customer_interaction.inform.qr.content, 'pay');
    assertError(asReply(late), 409, 'invalid_session_state', `this payment page is no longer open: its payment ${p.id} is failed`);
  });

  test('refused at once, precisely, writing nothing: another currency, hold, recurrent, an unknown page, a bad answer', async () => {
    const count = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM payments`.execute(h.runtime.database.db)).rows[0]!.n);
    const before = await count();
    const fps = { type: 'faster_payment_system' };
    assertError(await h.call('session/init/payment', { payment_details: fps, amount_details: { amount: 100, currency: 'usd' }, customer }), 400, 'invalid_request', 'amount_details.currency must be RUB for a faster_payment_system payment (it is USD)');
    assertError(
      await h.call('session/init/payment', { payment_details: fps, amount_details: RUB(100), customer, payment_options: { hold: true } }),
      400,
      'invalid_request',
      'payment_options.hold is for card payments only: a faster_payment_system payment is taken at once',
    );
    assertError(
      await h.call('session/init/payment', { payment_details: { type: 'wallet', wallet: { type: 'yoomoney' } }, amount_details: RUB(100), customer, payment_options: { recurrent: true } }),
      400,
      'invalid_request',
      'payment_options.recurrent is for card and FPS payments only: an wallet yoomoney payment issues no recurrent token',
    );
    assertError(
      await h.call('session/init/payment', { payment_details: fps, amount_details: RUB(100), customer, payment_options: { subscription: { period: 'month' } } }),
      400,
      'invalid_request',
      'payment_options.subscription is for card payments only: a faster_payment_system payment cannot be charged again on a schedule',
    );
    assert.equal(await count(), before);
    const unknown = await h.runtime.app.inject({ method: 'GET', url: '/sandbox/fps/AAAAAAAAAAAAAAAAAAAAAAAA' });
    assert.deepEqual([unknown.statusCode, JSON.parse(unknown.body)], [404, { status: 'error', error: { code: 'not_found', description: 'no such payment page' } }]);
    const { sid, payment } = await toActionRequired(fps, RUB(700));
    const url = payment.customer_interaction.inform.qr.content as string;
    assertError(asReply(await answer(url, 'maybe')), 400, 'invalid_request', 'result must be "pay" or "decline"');
    // The bank app of an FPS payment is not a provider page, nor the 3-D Secure page.
    const wrongKind = await h.runtime.app.inject({ method: 'GET', url: path(url).replace('/sandbox/fps/', '/sandbox/provider/') });
    assert.equal(wrongKind.statusCode, 404);
    const as3ds = await h.runtime.app.inject({ method: 'POST', url: path(url).replace('/sandbox/fps/', '/3ds/'), headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'result=confirmed' });
    assert.deepEqual([as3ds.statusCode, JSON.parse(as3ds.body)], [404, { status: 'error', error: { code: 'not_found', description: 'no such 3-D Secure step' } }]);
    assert.equal((await statusOf(h, sid))['acquiring_payments'][0].status, 'pending', 'the 3-D Secure route changed nothing');
  });
});

describe('unsupported sources: refused at validation, with the same words at create, init and start', () => {
  const cases: [unknown, string][] = [
    [{ type: 'internet_banking', internet_banking: { type: 'klarna' } }, 'payment_details.internet_banking.type must be one of: sber_pay, tpay, alipay, pix'],
    [{ type: 'wallet', wallet: { type: 'qiwi' } }, 'payment_details.wallet.type must be one of: yoomoney, moneta, steam'],
    [{ type: 'faster_payment_system_binding' }, 'payment_details.type has an unsupported value'],
    [{ type: 'crypto_wallet', crypto_wallet: { type: 'ton' } }, 'payment_details.type has an unsupported value'],
    [{ type: 'secured_card', secured_card: { type: 'samsung_pay', samsung_pay: { token: 'x' } } }, 'payment_details.secured_card.type has an unsupported value'],
    [{ type: 'card', card: { type: 'vault_card', vault_card: { card_id: 'card_1' } } }, 'payment_details.card.type has an unsupported value'],
  ];
  for (const [details, description] of cases) {
    test(JSON.stringify(details), async () => {
      const sessions = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM sessions`.execute(h.runtime.database.db)).rows[0]!.n);
      const n = await sessions();
      assertError(await h.call('session/create', { payment_details: details }), 400, 'invalid_request', description);
      assertError(await h.call('session/init/payment', { payment_details: details, amount_details: RUB(100), customer }), 400, 'invalid_request', description);
      assertError(await h.call('session/create', { payment_details: details }, { version: 'v2' }), 400, 'invalid_request', description);
      assert.equal(await sessions(), n, 'nothing written');
      const created = await ok(h, 'session/create', {});
      assertError(await h.call('session/start/payment', { session_id: created.session.id, payment_details: details, amount_details: RUB(100), customer }), 400, 'invalid_request', description);
      assert.equal((await statusOf(h, created.session.id))['acquiring_payments'], undefined);
    });
  }
});

describe('internet banking and wallets: the provider page (redirect)', () => {
  test('sber_pay: redirect to the provider page → Pay → payment_finished; the session stores the source for a later start', async () => {
    const details = { type: 'internet_banking', internet_banking: { type: 'sber_pay', sber_pay: { channel: 'web' } } };
    const created = await ok(h, 'session/create', { payment_details: details, amount_details: RUB(25000), customer });
    const sid: string = created.session.id;
    const started = await ok(h, 'session/start/payment', { session_id: sid, payment_options: { return_url: returnUrl } });
    const echo = { type: 'internet_banking', internet_banking: { type: 'sber_pay' } };
    assert.deepEqual(started.session['acquiring_payments'][0].payment_details, echo);
    await hook(rx, sid, 1, 'ready_to_confirm');
    await ok(h, 'session/confirm', { session_id: sid });
    const ar = await hook(rx, sid, 2, 'action_required');
    const url = `${publicUrl}/sandbox/provider/<page>`;
    assert.deepEqual(norm(ar.session['acquiring_payments'][0]), {
      id: '<pm>',
      status: 'pending',
      created_at: '<ts>',
      updated_at: '<ts>',
      customer,
      payment_details: echo,
      amount_details: RUB(25000),
      payment_options: { return_url: returnUrl },
      customer_interaction: { type: 'redirect', redirect: { url, base_url: url, method: 'GET', qs: {}, params: {} } },
    });
    const redirect = ar.session['acquiring_payments'][0].customer_interaction.redirect.url as string;
    const p = await page(redirect);
    assert.match(p.res.body, /<h1>Sandbox sber_pay: internet banking<\/h1>/);
    assert.deepEqual([p.merchant, p.amount], ['demo', '250.00 RUB']);
    assert.equal((await answer(redirect, 'pay')).statusCode, 303);
    const fin = await hook(rx, sid, 3, 'payment_finished');
    assert.deepEqual([fin.session['status'], fin.session['acquiring_payments'][0].status, fin.session['acquiring_payments'][0].payment_details], ['accepted', 'succeeded', echo]);
    assert.equal(fin.session['acquiring_payments'][0].customer_interaction, undefined);
  });

  test('a wallet (yoomoney) declined on its page; a wallet payment in USD is fine (only FPS is RUB-only)', async () => {
    const { sid, payment } = await toActionRequired({ type: 'wallet', wallet: { type: 'yoomoney' } }, { amount: 1200, currency: 'usd' });
    assert.equal(payment.payment_details.type, 'wallet');
    const p = await page(payment.customer_interaction.redirect.url);
    assert.match(p.res.body, /<h1>Sandbox yoomoney wallet<\/h1>/);
    await answer(payment.customer_interaction.redirect.url, 'decline');
    const fin = await hook(rx, sid, 3, 'payment_finished');
    const failed = fin.session['acquiring_payments'][0];
    assert.deepEqual([fin.session['status'], failed.status, failed.error], ['cancelled', 'failed', { code: 'cancelled_by_customer', description: 'the payer declined the payment in the yoomoney wallet' }]);
  });

  test('a provider page unanswered for 60 minutes: customer_interaction_timeout', async () => {
    const { sid } = await toActionRequired({ type: 'internet_banking', internet_banking: { type: 'alipay' } }, { amount: 800, currency: 'cny' });
    await h.admin('POST', '/clock/advance', { seconds: 3601 });
    const fin = await hook(rx, sid, 3, 'payment_finished');
    assert.deepEqual(fin.session['acquiring_payments'][0].error, { code: 'customer_interaction_timeout', description: 'the payer did not answer on the provider page within 60 minutes' });
  });
});

describe('sberpay/push', () => {
  const sber = { type: 'internet_banking', internet_banking: { type: 'sber_pay', sber_pay: { channel: 'app', phone: '79001234567' } } };

  test('a push to the payer: paid in the app (any phone), declined in the app (a phone ending in 00)', async () => {
    for (const [phone, outcome] of [['+79001234567', 'succeeded'], ['79001234500', 'failed']] as const) {
      const { sid } = await toActionRequired(sber, RUB(3000));
      const res = await h.call('sberpay/push', { phone, session_id: sid });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { status: 'ok' });
      const fin = await hook(rx, sid, 3, 'payment_finished');
      const p = fin.session['acquiring_payments'][0];
      assert.equal(p.status, outcome);
      if (outcome === 'failed') assert.deepEqual(p.error, { code: 'cancelled_by_customer', description: 'the payer declined the payment on the sber_pay page' });
    }
  });

  test('precise errors: no session, no sber_pay payment, not waiting yet, a bad phone, v2', async () => {
    assertError(await h.call('sberpay/push', { phone: '79001234567', session_id: 'ps_404' }), 404, 'session_not_found', /ps_404/);
    const card = await ok(h, 'session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: RUB(100), customer });
    assertError(await h.call('sberpay/push', { phone: '79001234567', session_id: card.session.id }), 409, 'invalid_session_state', `session ${card.session.id} has no internet_banking sber_pay payment`);
    const early = await ok(h, 'session/init/payment', { payment_details: sber, amount_details: RUB(100), customer });
    await hook(rx, early.session.id, 1, 'ready_to_confirm');
    const pm = early.session['acquiring_payments'][0].id;
    assertError(
      await h.call('sberpay/push', { phone: '79001234567', session_id: early.session.id }),
      409,
      'invalid_session_state',
      `session ${early.session.id} has no sber_pay payment waiting for the payer: its payment ${pm} is pending`,
    );
    assertError(await h.call('sberpay/push', { phone: 'call me', session_id: early.session.id }), 400, 'invalid_request', 'phone must be a phone number of 10 to 15 digits, optionally after a +');
    assertError(await h.call('sberpay/push', { session_id: early.session.id }), 400, 'invalid_request', 'phone is required');
    const v2 = await h.call('sberpay/push', { phone: '79001234567', session_id: early.session.id }, { version: 'v2' });
    assert.equal(v2.statusCode, 404, v2.body);
  });
});

describe('tokenized and secured (Google Pay / Apple Pay) cards', () => {
  const tokenized = (token: string) => ({ type: 'card', card: { type: 'tokenized_card', tokenized_card: { token } } });
  const secured = (wallet: 'google_pay' | 'apple_pay', token: string) => ({ type: 'secured_card', secured_card: { type: wallet, [wallet]: { token } } });

  test('tokenized_card tok_sandbox_success: the test token’s card, masked, succeeds', async () => {
    const init = await ok(h, 'session/init/payment', { payment_details: tokenized('tok_sandbox_success'), amount_details: RUB(4200), customer });
    const sid: string = init.session.id;
    assert.deepEqual(init.session['acquiring_payments'][0].payment_details, maskedCard('visa', '4242'));
    await hook(rx, sid, 1, 'ready_to_confirm');
    await ok(h, 'session/confirm', { session_id: sid });
    const fin = await hook(rx, sid, 2, 'payment_finished');
    const p = fin.session['acquiring_payments'][0];
    assert.deepEqual([p.status, p.payment_details], ['succeeded', { type: 'card', card: { last4: '4242', brand: 'visa', bin: '424242', country_iso3: 'USA' } }]);
    assert.ok(!JSON.stringify(fin).includes('4242424242424242'));
  });

  test('tokenized_card tok_sandbox_decline: declined by the issuer', async () => {
    const init = await ok(h, 'session/init/payment', { payment_details: tokenized('tok_sandbox_decline'), amount_details: RUB(4200), customer });
    await hook(rx, init.session.id, 1, 'ready_to_confirm');
    await ok(h, 'session/confirm', { session_id: init.session.id });
    const fin = await hook(rx, init.session.id, 2, 'payment_finished');
    assert.deepEqual(fin.session['acquiring_payments'][0].error, { code: 'card_declined', description: 'the issuer declined the payment' });
  });

  test('google_pay tok_sandbox_3ds: 3-D Secure, then succeeded; echoed as secured_card with the masked card', async () => {
    const { sid, payment } = await toActionRequired(secured('google_pay', 'tok_sandbox_3ds'), { amount: 990, currency: 'eur' });
    const masked = { last4: '3220', brand: 'visa', bin: '400000', country_iso3: 'USA' };
    assert.deepEqual(payment.payment_details, { type: 'secured_card', secured_card: { type: 'google_pay', card: masked } });
    assert.equal(payment.customer_interaction.type, 'redirect');
    const answered = await h.runtime.app.inject({ method: 'POST', url: path(payment.customer_interaction.redirect.url), headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'result=confirmed' });
    assert.equal(answered.statusCode, 303);
    const fin = await hook(rx, sid, 3, 'payment_finished');
    assert.deepEqual([fin.session['acquiring_payments'][0].status, fin.session['acquiring_payments'][0].payment_details], ['succeeded', payment.payment_details]);
  });

  test('apple_pay: a token the sandbox cannot open is refused at start, precisely; nothing written', async () => {
    assertError(
      await h.call('session/init/payment', { payment_details: secured('apple_pay', 'eyJhbGciOi-not-a-test-token'), amount_details: RUB(100), customer }),
      400,
      'invalid_request',
      "payment_details.secured_card.apple_pay.token cannot be opened: it is not one of the sandbox's test tokens (docs/test-cards.md)",
    );
    assertError(await h.call('session/init/payment', { payment_details: secured('apple_pay', ''), amount_details: RUB(100), customer }), 400, 'invalid_request', /^payment_details\.secured_card\.apple_pay\.token /);
    const ok1 = await ok(h, 'session/init/payment', { payment_details: secured('apple_pay', 'tok_sandbox_mastercard'), amount_details: RUB(100), customer });
    assert.deepEqual(ok1.session['acquiring_payments'][0].payment_details, { type: 'secured_card', secured_card: { type: 'apple_pay', card: { last4: '4444', brand: 'mastercard' } } });
  });
});

describe('a recurrent charge echoes its token (issue 11 item 6), v1 and v2, responses and webhooks', () => {
  for (const version of ['v1', 'v2'] as const) {
    test(version, async () => {
      await asVersion(version, async () => {
        const L = listOf(version);
        const first = await ok(h, 'session/init/payment', { payment_details: bankCard('5555555555554444'), amount_details: RUB(100), customer, payment_options: { recurrent: true } }, { version });
        await hook(rx, first.session.id, 1, 'ready_to_confirm');
        await ok(h, 'session/confirm', { session_id: first.session.id }, { version });
        const fin1 = await hook(rx, first.session.id, 2, 'payment_finished');
        const token: string = fin1.session[L][0].recurrent.token;
        // The first payment stays a card, stored as the vault reference it always was.
        assert.deepEqual(fin1.session[L][0].payment_details, maskedCard('mastercard', '4444', '555555'));
        const stored = await sql<{ d: unknown }>`SELECT payment_details AS d FROM payments WHERE id = ${fin1.session[L][0].id}`.execute(h.runtime.database.db);
        const d = (typeof stored.rows[0]!.d === 'string' ? JSON.parse(stored.rows[0]!.d) : stored.rows[0]!.d) as { type: string; card: { type: string } };
        assert.deepEqual([d.type, d.card.type], ['card', 'vault_card']);

        const mit = await ok(h, 'session/init/payment', { payment_details: { type: 'recurrent', recurrent: { token, initiator: 'merchant' } }, amount_details: RUB(300), customer }, { version });
        const echo = { type: 'recurrent', recurrent: { token, initiator: 'merchant' } };
        assert.deepEqual(mit.session[L][0].payment_details, echo);
        const rtc = await hook(rx, mit.session.id, 1, 'ready_to_confirm');
        assert.deepEqual(rtc.session[L][0].payment_details, echo);
        await ok(h, 'session/confirm', { session_id: mit.session.id }, { version });
        const fin = await hook(rx, mit.session.id, 2, 'payment_finished');
        assert.deepEqual([fin.session[L][0].status, fin.session[L][0].payment_details], ['succeeded', echo]);
        assert.deepEqual((await statusOf(h, mit.session.id, version))[L][0].payment_details, echo);
      });
    });
  }
});

describe('FPS recurring binding (§8): the first FPS payment binds the payer\'s account, the merchant charges it again', () => {
  for (const version of ['v1', 'v2'] as const) {
    test(`${version}: bind in the bank app → recurrent.token; a merchant charge without the payer; its refund through the FPS rail; precise refusals`, async () => {
      await asVersion(version, async () => {
        const L = listOf(version);
        const { sid, payment } = await toActionRequired({ type: 'faster_payment_system' }, RUB(5000), version, { payment_options: { return_url: returnUrl, recurrent: true } });
        assert.equal(payment.customer_interaction.inform.type, 'qr');
        await answer(payment.customer_interaction.inform.qr.content, 'pay');
        const bound = await hook(rx, sid, 3, 'payment_finished');
        const first = bound.session[L][0];
        assert.equal(first.status, 'succeeded');
        assert.deepEqual(first.payment_details, { type: 'faster_payment_system' });
        assert.match(first.recurrent.token, /\S{16,}/);
        assert.equal(first.recurrent.is_active, true);
        const token: string = first.recurrent.token;
        const row = await sql<{ source: string; card_id: string | null }>`SELECT source, card_id FROM recurrent_tokens WHERE token = ${token}`.execute(h.runtime.database.db);
        assert.deepEqual(row.rows[0], { source: 'faster_payment_system', card_id: null }, 'an FPS binding has no card');

        const echo = { type: 'recurrent', recurrent: { token, initiator: 'merchant' } };
        const mit = await ok(h, 'session/init/payment', { payment_details: echo, amount_details: RUB(1234), customer }, { version });
        assert.deepEqual(mit.session[L][0].payment_details, echo);
        await hook(rx, mit.session.id, 1, 'ready_to_confirm');
        await ok(h, 'session/confirm', { session_id: mit.session.id }, { version });
        const fin = await hook(rx, mit.session.id, 2, 'payment_finished');
        const { amounts: _amounts, ...charged } = norm(fin.session[L][0]) as Record<string, unknown>;
        assert.deepEqual(charged, {
          id: '<pm>',
          status: 'succeeded',
          created_at: '<ts>',
          updated_at: '<ts>',
          finished_at: '<ts>',
          customer,
          payment_details: echo,
          amount_details: RUB(1234),
          transaction_info: { fp_message_id: '<fp>' },
        });
        assert.deepEqual(captured(fin.session[L][0]), RUB(1234));
        assert.deepEqual(typesFor(rx, mit.session.id), ['ready_to_confirm', 'payment_finished'], 'no payer step: no action_required');
        assert.deepEqual(await processorOps(fin.session[L][0].id), ['fps_binding_charge']);

        await ok(h, 'session/refund', { session_id: mit.session.id, amount_details: RUB(234) }, { version });
        const refunded = await hook(rx, mit.session.id, 3, 'payment_refunded');
        const refund = refunded.session[L][0].refunds[0];
        assert.deepEqual([refund.status, refund.amount_details], ['accepted', RUB(234)]);
        assert.deepEqual(await processorOps(refund.id), ['fps_refund']);

        const count = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM payments`.execute(h.runtime.database.db)).rows[0]!.n);
        const before = await count();
        assertError(
          await h.call('session/init/payment', { payment_details: { type: 'recurrent', recurrent: { token, initiator: 'client' } }, amount_details: RUB(100), customer, payment_options: { return_url: returnUrl } }, { version }),
          400,
          'invalid_request',
          'payment_details.recurrent.initiator must be "merchant" for an FPS binding: it is charged without the payer',
        );
        assertError(
          await h.call('session/init/payment', { payment_details: echo, amount_details: { amount: 100, currency: 'usd' }, customer }, { version }),
          400,
          'invalid_request',
          'amount_details.currency must be RUB for a faster_payment_system payment (it is USD)',
        );
        assertError(
          await h.call('session/init/payment', { payment_details: echo, amount_details: RUB(100), customer, payment_options: { hold: true } }, { version }),
          400,
          'invalid_request',
          'payment_options.hold is for card payments only: a charge of an FPS binding is taken at once',
        );
        assert.equal(await count(), before, 'refusals write nothing');
        await assertLedgerInvariants(h);
      });
    });
  }

  test('a binding declined in the bank app: session cancelled, payment failed, no token', async () => {
    const { sid, payment } = await toActionRequired({ type: 'faster_payment_system' }, RUB(5100), 'v1', { payment_options: { return_url: returnUrl, recurrent: true } });
    await answer(payment.customer_interaction.inform.qr.content, 'decline');
    const fin = await hook(rx, sid, 3, 'payment_finished');
    assert.equal(fin.session.status, 'cancelled');
    assert.equal(fin.session.acquiring_payments[0].status, 'failed');
    assert.equal(fin.session.acquiring_payments[0].recurrent, undefined);
    const tokens = await sql<{ n: string }>`SELECT count(*) AS n FROM recurrent_tokens WHERE payment_id = ${fin.session.acquiring_payments[0].id}`.execute(h.runtime.database.db);
    assert.equal(Number(tokens.rows[0]!.n), 0);
  });
});
