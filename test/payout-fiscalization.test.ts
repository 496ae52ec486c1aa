import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startHarness, type CallOptions, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { checkLedgerAfterEach } from './helpers/ledger-invariants.js';
import { assertError, createProject, dest, entriesFor, hook, maskedPayoutCard, money, ok, payoutBody, rowCounts, shape, statusOf, topUp, typesFor, type Json } from './helpers/payouts.js';

/**
 * Payouts to the self-employed with fiscalization (Bank 131's session/init/payout/fiscalization and
 * session/start/payout/fiscalization, v1 and v2; the SDK's FiscalizationDetails request shape): the
 * taxpayer is checked before ready_to_confirm: known to the sandbox tax service (taxpayer_unknown for
 * a tax reference starting with 0000), bound to the project through the self-employed widget
 * (taxpayer_not_bound), within the yearly income limit (taxpayer_income_exceeds_amount_limit),
 * and once the payout is paid registers the income, whose receipt the payout keeps. Every malformed
 * request is refused precisely, writing nothing. Real HTTP, real webhooks, the ledger checked after
 * each test.
 */
let h: Harness;
let rx: Receiver;
let key: KeyObject;
const P = 'npd';
let o: CallOptions;

before(async () => {
  h = await startHarness();
  rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
  key = await createProject(h, P, { webhook_url: rx.url });
  o = { project: P, key };
  await topUp(h, P, 100_000_000, 'rub');
  // The self-employed people allow the project to register their income: the self-employed widget.
  for (const ref of ['500100732259', '770708389324', '770000000300']) await bind(ref);
});

/** token with self_employed_widget, then Allow on its page: the project's binding for `ref`. */
async function bind(ref: string): Promise<void> {
  const issued = await h.call('token', { self_employed_widget: { tax_reference: ref } }, o);
  assert.equal(issued.statusCode, 200, issued.body);
  const token: string = issued.json().public_token;
  const res = await h.runtime.app.inject({ method: 'POST', url: `/self-employed/${token}/answer`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ answer: 'allow' }) });
  assert.deepEqual(JSON.parse(res.body), { status: 'ok', page: { state: 'bound' } });
}
after(async () => {
  await h?.close();
  await rx?.close();
});
checkLedgerAfterEach(() => h);

const RUB = (amount: number) => money(amount, 'rub');
const recipient = { recipient: { full_name: 'Иванов Иван Иванович' } };
const taxpayer = (taxReference: string, services: Json[] = [{ name: 'Logo design', amount_details: RUB(150_000), quantity: 1 }], extra: Json = {}) => ({
  professional_income_taxpayer: { services, tax_reference: taxReference, ...extra },
});
const card = dest.card('4242424242424242', 'Иванов Иван Иванович');

/**
 * A session's JSON without its payouts' fiscalization_details: the echo is asserted on its own, in
 * the last test of this file.
 */
function withoutEcho(session: Json): Json {
  const strip = (list: unknown) => (Array.isArray(list) ? list.map(({ fiscalization_details: _, ...p }: Json) => p) : list);
  return { ...session, ...(session['payments'] ? { payments: strip(session['payments']) } : {}), ...(session['payout_list'] ? { payout_list: strip(session['payout_list']) } : {}) };
}

/** The payout's fiscalization as stored (the wire echo is asserted separately below). */
async function storedFiscalization(po: string): Promise<Json> {
  const row = await h.runtime.database.db.selectFrom('payouts').select('fiscalization_details').where('id', '=', po).executeTakeFirstOrThrow();
  return row.fiscalization_details as Json;
}

for (const version of ['v1', 'v2'] as const) {
  const L = version === 'v1' ? 'payments' : 'payout_list';
  const D = version === 'v1' ? 'payment_method' : 'payout_details';
  const v = () => ({ ...o, version });

  describe(`${version}: a payout to a self-employed person`, () => {
    test('init/payout/fiscalization: taxpayer checked → ready_to_confirm → confirm → paid, the income registered with a receipt', async () => {
      const details = taxpayer('500100732259', [
        { name: 'Logo design', amount_details: RUB(100_000), quantity: 1 },
        { name: 'Icons', amount_details: RUB(25_000), quantity: 2 },
      ], { payer_type: 'legal', payer_tax_number: '7707083893', payer_name: 'ООО Ромашка' });
      const init = await ok(h, 'session/init/payout/fiscalization', { ...payoutBody(version, card, RUB(150_000)), participant_details: recipient, fiscalization_details: details }, v());
      const sid: string = init.session.id;
      const po: string = init.session[L][0].id;
      const base = { id: '<po>', created_at: '<ts>', updated_at: '<ts>', [D]: maskedPayoutCard('visa', '4242'), amount_details: RUB(150_000), participant_details: recipient };
      assert.deepEqual(shape(withoutEcho(init.session)[L][0]), { ...base, status: 'in_progress' });

      const rtc = await hook(rx, sid, 1, 'ready_to_confirm');
      assert.equal(rtc.session['next_action'], 'confirm');
      await ok(h, 'session/confirm', { session_id: sid }, v());
      const fin = await hook(rx, sid, 2, 'payment_finished');
      assert.equal(fin.session['status'], 'accepted');
      // A session's webhooks are rendered in the version it was created with (docs/decisions.md).
      const paid = fin.session[L][0];
      assert.equal(paid.status, 'succeeded');
      assert.match(paid.transaction_info.auth_code, /^\d{6}$/);
      assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'payment_finished']);
      assert.deepEqual((await entriesFor(h.runtime.database.db, po)).map((e) => e.kind), ['payout_reserve', 'payout_settle']);

      const stored = await storedFiscalization(po);
      assert.match(stored['receipt'].id, /^[0-9a-z]{10}$/);
      assert.deepEqual(stored, {
        taxReference: '500100732259',
        services: [
          { name: 'Logo design', amount: 100_000, currency: 'rub', quantity: 1 },
          { name: 'Icons', amount: 25_000, currency: 'rub', quantity: 2 },
        ],
        payerType: 'legal',
        payerTaxNumber: '7707083893',
        payerName: 'ООО Ромашка',
        receipt: { id: stored['receipt'].id },
      });
    });

    test('session/create with the destination, then start/payout/fiscalization with only session_id and fiscalization_details (the SDK request)', async () => {
      const created = await ok(h, 'session/create', { [D]: card.method, amount_details: RUB(50_000), participant_details: recipient }, v());
      const sid: string = created.session.id;
      const started = await ok(h, 'session/start/payout/fiscalization', { session_id: sid, fiscalization_details: taxpayer('770708389324', [{ name: 'Translation', amount_details: RUB(50_000), quantity: 1 }]) }, v());
      assert.equal(started.session[L][0].status, 'in_progress');
      await hook(rx, sid, 1, 'ready_to_confirm');
      await ok(h, 'session/confirm', { session_id: sid }, v());
      const fin = await hook(rx, sid, 2, 'payment_finished');
      assert.equal(fin.session['status'], 'accepted');
      assert.match((await storedFiscalization(started.session[L][0].id))['receipt'].id, /^[0-9a-z]{10}$/);
    });
  });
}

describe('the sandbox tax service: test tax references', () => {
  const refusals: [string, number, string, string][] = [
    ['000012345678', 150_000, 'taxpayer_unknown', 'taxpayer 000012345678 is not registered as self-employed (professional income tax)'],
    ['770000000220', 150_000, 'taxpayer_not_bound', 'taxpayer 770000000220 has not bound this project in the tax service: send them the self_employed_widget to allow it'],
    [
      '770000000300',
      500_001,
      'taxpayer_income_exceeds_amount_limit',
      'taxpayer 770000000300 has earned 239500000 this year; 500001 more would pass the yearly limit of 240000000 (minor units of RUB)',
    ],
  ];
  for (const [inn, amount, code, description] of refusals) {
    test(`${inn}: failed with ${code} before ready_to_confirm; nothing reserved`, async () => {
      const init = await ok(h, 'session/init/payout/fiscalization', {
        ...payoutBody('v1', card, RUB(amount)),
        fiscalization_details: taxpayer(inn, [{ name: 'Consulting', amount_details: RUB(amount), quantity: 1 }]),
      }, o);
      const sid: string = init.session.id;
      const po: string = init.session.payments[0].id;
      const fin = await hook(rx, sid, 1, 'payment_finished');
      assert.deepEqual(shape(withoutEcho(fin.session)), {
        id: '<ps>',
        status: 'cancelled',
        created_at: '<ts>',
        updated_at: '<ts>',
        finished_at: '<ts>',
        payments: [
          {
            id: '<po>',
            status: 'failed',
            created_at: '<ts>',
            updated_at: '<ts>',
            finished_at: '<ts>',
            payment_method: maskedPayoutCard('visa', '4242'),
            amount_details: RUB(amount),
            participant_details: card.participants,
            error: { code, description },
          },
        ],
      });
      assert.deepEqual(await statusOf(h, sid, o), fin.session);
      assert.deepEqual(typesFor(rx, sid), ['payment_finished']);
      assert.deepEqual(await entriesFor(h.runtime.database.db, po), []);
    });
  }

  test('a person who pressed Decline on the self-employed page is not bound: taxpayer_not_bound', async () => {
    const ref = '770000000477';
    const issued = await h.call('token', { self_employed_widget: { tax_reference: ref } }, o);
    const token: string = issued.json().public_token;
    const res = await h.runtime.app.inject({ method: 'POST', url: `/self-employed/${token}/answer`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ answer: 'decline' }) });
    assert.deepEqual(JSON.parse(res.body), { status: 'ok', page: { state: 'declined' } });
    const init = await ok(h, 'session/init/payout/fiscalization', { ...payoutBody('v1', card, RUB(10_000)), fiscalization_details: taxpayer(ref, [{ name: 'Copywriting', amount_details: RUB(10_000), quantity: 1 }]) }, o);
    const fin = await hook(rx, init.session.id, 1, 'payment_finished');
    assert.deepEqual(fin.session['payments'][0].error, { code: 'taxpayer_not_bound', description: `taxpayer ${ref} has not bound this project in the tax service: send them the self_employed_widget to allow it` });
  });

  test('770000000300 may still earn 5,000.00 RUB this year: exactly that is paid', async () => {
    const init = await ok(h, 'session/init/payout/fiscalization', { ...payoutBody('v1', card, RUB(500_000)), fiscalization_details: taxpayer('770000000300', [{ name: 'Consulting', amount_details: RUB(500_000), quantity: 1 }]) }, o);
    await hook(rx, init.session.id, 1, 'ready_to_confirm');
  });
});

describe('malformed requests: precise refusals, nothing written', () => {
  const FD = 'fiscalization_details.professional_income_taxpayer';
  const body = (over: Json = {}, details: unknown = taxpayer('500100732259')) => ({ ...payoutBody('v1', card, RUB(150_000)), fiscalization_details: details, ...over });
  const cases: [string, unknown, string][] = [
    ['no fiscalization_details', { ...payoutBody('v1', card, RUB(150_000)) }, 'fiscalization_details is required'],
    ['no professional_income_taxpayer', body({}, {}), 'fiscalization_details.professional_income_taxpayer is required'],
    ['tax_reference of 11 digits', body({}, taxpayer('50010073225')), `${FD}.tax_reference must be the 12-digit INN of the self-employed recipient`],
    ['tax_reference with a letter', body({}, taxpayer('50010073225x')), `${FD}.tax_reference must be the 12-digit INN of the self-employed recipient`],
    ['no services', body({}, taxpayer('500100732259', [])), `${FD}.services must list from 1 to 100 services`],
    ['a service without a name', body({}, taxpayer('500100732259', [{ name: '', amount_details: RUB(150_000), quantity: 1 }])), `${FD}.services[0].name must be a non-empty string of at most 256 characters`],
    ['quantity 0', body({}, taxpayer('500100732259', [{ name: 'x', amount_details: RUB(150_000), quantity: 0 }])), `${FD}.services[0].quantity must be a whole number from 1 to 1000000`],
    [
      'services that do not add up',
      body({}, taxpayer('500100732259', [{ name: 'x', amount_details: RUB(100_000), quantity: 1 }])),
      `${FD}.services must add up to the payout: the sum of amount_details.amount × quantity is 100000, amount_details.amount is 150000`,
    ],
    ['a service in another currency', body({}, taxpayer('500100732259', [{ name: 'x', amount_details: money(150_000, 'usd'), quantity: 1 }])), `${FD}.services[0].amount_details.currency must be the payout's currency (RUB)`],
    ['payer_type unknown', body({}, taxpayer('500100732259', undefined, { payer_type: 'company' })), `${FD}.payer_type must be one of: legal, individual, foreign`],
    ['a legal payer without its INN', body({}, taxpayer('500100732259', undefined, { payer_type: 'legal' })), `${FD}.payer_tax_number is required when payer_type is legal`],
    ['a payout in USD', { ...payoutBody('v1', card, money(150_000, 'usd')), fiscalization_details: taxpayer('500100732259', [{ name: 'x', amount_details: money(150_000, 'usd'), quantity: 1 }]) }, 'a payout with fiscalization is paid in RUB (professional income tax is Russian); amount_details.currency is USD'],
    ['to a wallet', { ...payoutBody('v1', dest.wallet(), RUB(150_000)), participant_details: recipient, fiscalization_details: taxpayer('500100732259') }, 'a payout with fiscalization goes to a card, a Russian bank account (system_type ru) or the Faster Payment System'],
    ['no recipient full name', { ...payoutBody('v1', dest.fps(), RUB(150_000)), fiscalization_details: taxpayer('500100732259') }, 'participant_details.recipient.full_name is required for a payout with fiscalization (the receipt names the recipient)'],
  ];
  for (const [label, b, description] of cases) {
    test(label, async () => {
      const before = await rowCounts(h.runtime.database.db);
      assertError(await h.call('session/init/payout/fiscalization', b, o), 400, 'invalid_request', description);
      assert.deepEqual(await rowCounts(h.runtime.database.db), before, 'nothing written');
    });
  }

  test('start/payout/fiscalization: an unknown session; a session without a destination', async () => {
    assertError(await h.call('session/start/payout/fiscalization', { session_id: 'ps_1', fiscalization_details: taxpayer('500100732259') }, o), 404, 'session_not_found', 'session ps_1 not found');
    const created = await ok(h, 'session/create', {}, o);
    assertError(
      await h.call('session/start/payout/fiscalization', { session_id: created.session.id, fiscalization_details: taxpayer('500100732259') }, o),
      400,
      'invalid_request',
      'payment_method is required (it was given neither to session/create nor here)',
    );
  });
});

describe('the payout echoes fiscalization_details with its receipt', () => {
  // Needs one line in src/edge/wire/payout.wire.ts (Helper W's file) that renders
  // renderFiscalizationDetails(p.fiscalization) from src/edge/wire/fiscalization.wire.ts.
  test('payment_finished shows fiscalization_details.professional_income_taxpayer with receipt.id', async () => {
    const details = taxpayer('500100732259', undefined, { payer_type: 'individual' });
    const init = await ok(h, 'session/init/payout/fiscalization', { ...payoutBody('v1', card, RUB(150_000)), fiscalization_details: details }, o);
    const sid: string = init.session.id;
    assert.deepEqual(init.session.payments[0].fiscalization_details, details);
    await hook(rx, sid, 1, 'ready_to_confirm');
    await ok(h, 'session/confirm', { session_id: sid }, o);
    const fin = await hook(rx, sid, 2, 'payment_finished');
    const echoed = fin.session['payments'][0].fiscalization_details;
    assert.match(echoed.professional_income_taxpayer.receipt.id, /^[0-9a-z]{10}$/);
    assert.deepEqual(echoed, { professional_income_taxpayer: { ...details.professional_income_taxpayer, receipt: { id: echoed.professional_income_taxpayer.receipt.id } } });
  });
});
