import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startHarness, TIMESTAMP, type Harness, type Reply } from './helpers/harness.js';
import { advance, assertError } from './helpers/acquiring.js';
import { dest, payoutBody, USD } from './helpers/payouts.js';

// One public token for several widgets, the self-employed widget, token/info on such tokens, and the
// hosted payment page under the real service's /en/… and /ru/… paths (spec §5.12, §5.14; issue 11 items 7, 8, 11).
let h: Harness;
before(async () => {
  h = await startHarness();
  await h.admin('PATCH', '/projects/demo', { auto_confirm: true });
});
after(() => h.close());

const issue = async (body: unknown): Promise<string> => {
  const res = await h.call('token', body);
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(Object.keys(res.json()), ['status', 'public_token']);
  assert.match(res.json().public_token, /^[0-9a-f]{64}$/);
  return res.json().public_token;
};
const info = async (token: string) => {
  const res = await h.call('token/info', { type: 'public_token', public_token: { token } });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().info;
};
const newSession = async (amount = 1500): Promise<string> => {
  const res = await h.call('session/create', { amount_details: USD(amount) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().session.id;
};
const tokenize = (token: string, number: string) =>
  h.runtime.app.inject({
    method: 'POST',
    url: '/cds/v1/tokenize/card',
    headers: { 'content-type': 'application/json', 'x-public-token': token },
    payload: JSON.stringify({ card: { number, expiration_month: '12', expiration_year: '30', security_code: '123' } }),
  });
const pay = (token: string, body: unknown) =>
  h.runtime.app.inject({ method: 'POST', url: `/payment/${token}/pay`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
const answer = (token: string, body: unknown) =>
  h.runtime.app.inject({ method: 'POST', url: `/self-employed/${token}/answer`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
const page = (url: string) => h.runtime.app.inject({ method: 'GET', url });
const envelope = (res: { body: string }) => JSON.parse(res.body);
const count = async (table: 'public_tokens' | 'public_token_widgets' | 'taxpayer_bindings') =>
  Number((await h.runtime.database.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('one public token for several widgets', () => {
  test('tokenize + acquiring: each widget accepts the token and is spent by its own operation only', async () => {
    const sessionId = await newSession();
    const token = await issue({ tokenize_widget: { access: true, locale: 'en' }, acquiring_widget: { session_id: sessionId, locale: 'ru' } });

    const fresh = await info(token);
    assert.deepEqual(fresh, {
      token,
      type: 'public_token',
      created_at: fresh.created_at,
      finished_at: fresh.finished_at,
      is_active: true,
      widgets: { acquiring_widget: { is_active: true, session_id: sessionId }, tokenize_widget: { is_active: true } },
    });
    assert.match(fresh.created_at, TIMESTAMP);
    assert.equal(Date.parse(fresh.finished_at) - Date.parse(fresh.created_at), 24 * 3600_000);

    // The tokenize widget: its first success spends it; the card is then named by token/info.
    const first = await tokenize(token, '2200000000000004');
    assert.equal(first.statusCode, 200, first.body);
    const hash = envelope(first).data.token;
    assert.deepEqual(envelope(first).data.info, { masked_card_number: '220000******0004', card_type: 'mir' });
    const afterTokenize = await info(token);
    assert.equal(afterTokenize.is_active, true);
    assert.equal(afterTokenize.widgets.tokenize_widget.is_active, false);
    assert.match(afterTokenize.widgets.tokenize_widget.used_at, TIMESTAMP);
    assert.deepEqual(afterTokenize.widgets.acquiring_widget, { is_active: true, session_id: sessionId });
    assert.equal(afterTokenize.number_hash, hash);
    assert.equal(afterTokenize.brand, 'mir');
    assert.equal(afterTokenize.last4, '0004');
    assert.equal(afterTokenize.country_iso3, 'RUS');

    // The hosted page of the acquiring widget still tokenizes (its own card form) and pays once.
    const forPage = await tokenize(token, '4242424242424242');
    assert.equal(forPage.statusCode, 200, forPage.body);
    const paid = await pay(token, { number_hash: envelope(forPage).data.token, security_code: '123' });
    assert.equal(paid.statusCode, 200, paid.body);
    const spent = await info(token);
    assert.equal(spent.is_active, false);
    assert.equal(spent.widgets.acquiring_widget.is_active, false);
    assert.equal(spent.country_iso3, 'USA'); // the card it tokenized last

    const again = await pay(token, { number_hash: hash });
    assert.equal(again.statusCode, 401);
    assert.deepEqual(envelope(again).error, { code: 'invalid_public_token', description: 'the public token was already used' });
    const tokenizeAgain = await tokenize(token, '4242424242424242');
    assert.equal(tokenizeAgain.statusCode, 401);
    assert.deepEqual(envelope(tokenizeAgain).error, { code: 'invalid_public_token', description: 'the public token was already used' });
    // The payment page shows the outcome of the payment, in the acquiring widget's language.
    const shown = await page(`/payment/${token}`);
    assert.equal(shown.statusCode, 200);
    assert.match(shown.body, /<html lang="ru">/);
  });

  test('tokenize + self-employed: the self-employed page takes the token, the payment page does not', async () => {
    const token = await issue({ tokenize_widget: { access: true }, self_employed_widget: { tax_reference: '500100732259' } });
    const notAPaymentLink = await page(`/en/payment/${token}`);
    assert.equal(notAPaymentLink.statusCode, 404);
    assert.match(notAPaymentLink.body, /This payment link is not valid/);
    const refused = await pay(token, { number_hash: 'x' });
    assert.deepEqual(envelope(refused).error, { code: 'invalid_public_token', description: 'the public token is for tokenize_widget and self_employed_widget' });
    const ok = await answer(token, { answer: 'allow' });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(envelope(ok), { status: 'ok', page: { state: 'bound' } });
    const after = await info(token);
    assert.equal(after.is_active, true); // the tokenize widget is left
    assert.deepEqual(after.widgets.tokenize_widget, { is_active: true });
    assert.equal(after.widgets.self_employed_widget.is_active, false);
    assert.equal(after.widgets.self_employed_widget.tax_reference, '500100732259');
    assert.equal(after.widgets.self_employed_widget.taxpayer_status, 'bound');
    assert.equal((await tokenize(token, '4242424242424242')).statusCode, 200);
    assert.equal((await info(token)).is_active, false);
  });

  test('wrong combinations are refused with a precise error, and nothing is written', async () => {
    const tokens = await count('public_tokens');
    const widgets = await count('public_token_widgets');
    const a = await newSession();
    const b = await newSession();

    assertError(await h.call('token', {}), 400, 'invalid_request', 'at least one widget is required: tokenize_widget, acquiring_widget, fps_no_account_widget, self_employed_widget');
    assertError(
      await h.call('token', { acquiring_widget: { session_id: a }, fps_no_account_widget: { session_id: b } }),
      400,
      'invalid_request',
      'acquiring_widget.session_id and fps_no_account_widget.session_id name different sessions; one public token serves one session',
    );
    // A payout session has no payer to pay it.
    const payout = await h.call('session/create', payoutBody('v1', dest.card(), USD(1000)));
    assert.equal(payout.statusCode, 200, payout.body);
    const payoutId = payout.json().session.id;
    assertError(
      await h.call('token', { tokenize_widget: { access: true }, acquiring_widget: { session_id: payoutId } }),
      400,
      'invalid_request',
      `session ${payoutId} is a payout session; a widget can only pay a payment session`,
    );
    // A session that has started cannot be paid by a widget any more.
    const started = await h.call('session/init/payment', {
      amount_details: USD(700),
      payment_details: { type: 'card', card: { type: 'bank_card', bank_card: { number: '4242424242424242', expiration_month: '12', expiration_year: '30', security_code: '123' } } },
      customer: { reference: 'c1' },
    });
    assert.equal(started.statusCode, 200, started.body);
    const startedRes = await h.call('token', { tokenize_widget: { access: true }, acquiring_widget: { session_id: started.json().session.id } });
    assert.equal(startedRes.statusCode, 409);
    assert.equal(startedRes.json().error.code, 'invalid_session_state');
    assertError(await h.call('token', { tokenize_widget: { access: true }, acquiring_widget: { session_id: 'ps_404' } }), 404, 'session_not_found', 'session ps_404 not found');
    assertError(await h.call('token', { self_employed_widget: { tax_reference: '12345' } }), 400, 'invalid_request', 'self_employed_widget.tax_reference must be a tax reference of 12 digits');
    assertError(await h.call('token', { self_employed_widget: {} }), 400, 'invalid_request', /self_employed_widget.*tax_reference/);
    assertError(
      await h.call('token', { tokenize_widget: { access: true }, self_employed_widget: { tax_reference: '000012345678' } }),
      400,
      'taxpayer_unknown',
      'tax reference 000012345678 is not registered as self-employed with the tax service',
    );
    assert.equal(await count('public_tokens'), tokens);
    assert.equal(await count('public_token_widgets'), widgets);
  });

  test('the same session in acquiring_widget and fps_no_account_widget is one token for both', async () => {
    const s = await newSession();
    const token = await issue({ acquiring_widget: { session_id: s }, fps_no_account_widget: { session_id: s } });
    const i = await info(token);
    assert.deepEqual(i.widgets, { acquiring_widget: { is_active: true, session_id: s }, fps_no_account_widget: { is_active: true, session_id: s } });
  });
});

describe('the self-employed widget', () => {
  test('allow binds the tax reference to the project; a second answer and a second binding are refused', async () => {
    const ref = '772012345678';
    const token = await issue({ self_employed_widget: { tax_reference: ref } });
    assert.equal((await info(token)).widgets.self_employed_widget.taxpayer_status, 'pending');

    const shown = await page(`/en/self-employed/${token}`);
    assert.equal(shown.statusCode, 200);
    assert.equal(shown.headers['x-frame-options'], 'DENY');
    assert.match(shown.body, /<html lang="en">/);
    assert.match(shown.body, /data-testid="tax-reference">77••••••5678</);
    assert.doesNotMatch(shown.body, new RegExp(ref));
    const ru = await page(`/ru/self-employed/${token}`);
    assert.match(ru.body, /<html lang="ru">/);
    assert.match(ru.body, /Разрешить/);

    assertError(await answer(token, { answer: 'maybe' }), 400, 'invalid_request', 'answer must be one of: allow, decline');
    const bound = await answer(token, { answer: 'allow' });
    assert.deepEqual(envelope(bound), { status: 'ok', page: { state: 'bound' } });
    const second = await answer(token, { answer: 'decline' });
    assert.equal(second.statusCode, 401);
    assert.deepEqual(envelope(second).error, { code: 'invalid_public_token', description: 'the public token was already used' });
    const row = await h.runtime.database.db.selectFrom('taxpayer_bindings').selectAll().where('tax_reference', '=', ref).executeTakeFirstOrThrow();
    assert.equal(row.status, 'bound');
    // The page now shows the outcome.
    assert.match((await page(`/en/self-employed/${token}`)).body, /data-state="bound"/);

    const res = await h.call('token', { self_employed_widget: { tax_reference: ref } });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'taxpayer_already_bound');
    assert.match(res.json().error.description, /^tax reference 772012345678 has been bound to this project since \d{4}-/);
  });

  test('decline is recorded; the person can be asked again with a new token', async () => {
    const ref = '381234567890';
    const token = await issue({ self_employed_widget: { tax_reference: ref } });
    assert.deepEqual(envelope(await answer(token, { answer: 'decline' })), { status: 'ok', page: { state: 'declined' } });
    assert.equal((await info(token)).widgets.self_employed_widget.taxpayer_status, 'declined');
    const again = await issue({ self_employed_widget: { tax_reference: ref } });
    assert.deepEqual(envelope(await answer(again, { answer: 'allow' })), { status: 'ok', page: { state: 'bound' } });
    // The first token's widget still reports its own (declined) answer as superseded, not as bound.
    assert.equal((await info(token)).widgets.self_employed_widget.taxpayer_status, 'pending');
    assert.equal((await info(again)).widgets.self_employed_widget.taxpayer_status, 'bound');
  });

  test('a link that cannot be used gets a page saying so, an answer gets the reason', async () => {
    const tokenizeOnly = await issue({ tokenize_widget: { access: true } });
    assertError(await answer(tokenizeOnly, { answer: 'allow' }), 401, 'invalid_public_token', 'the public token is for tokenize_widget');
    assertError(await answer('f'.repeat(64), { answer: 'allow' }), 401, 'invalid_public_token', 'the public token is not known');
    for (const url of [`/en/self-employed/${tokenizeOnly}`, `/de/self-employed/${tokenizeOnly}`, `/self-employed/${'0'.repeat(64)}`]) {
      const res = await page(url);
      assert.equal(res.statusCode, 404, url);
      assert.match(res.body, /This link is not valid/);
    }
    const expiring = await issue({ self_employed_widget: { tax_reference: '500000000001' } });
    await advance(h, 24 * 3600 + 1);
    assert.equal((await page(`/en/self-employed/${expiring}`)).statusCode, 404);
    const late = await answer(expiring, { answer: 'allow' });
    assert.equal(late.statusCode, 401);
    assert.match(envelope(late).error.description, /^the public token expired at /);
    assert.equal(await h.runtime.database.db.selectFrom('taxpayer_bindings').selectAll().where('tax_reference', '=', '500000000001').executeTakeFirst(), undefined);
  });
});

describe('the hosted payment page at /en/payment/… and /ru/payment/…', () => {
  const link = async (locale: 'en' | 'ru') => issue({ acquiring_widget: { session_id: await newSession(123450), locale } });
  const lang = (res: Reply | { body: string }) => /<html lang="(\w+)">/.exec(res.body)?.[1];

  test("the path's language chooses the page's; /payment/<token> keeps the token's", async () => {
    const token = await link('en');
    const en = await page(`/en/payment/${token}`);
    assert.equal(en.statusCode, 200);
    assert.equal(lang(en), 'en');
    assert.match(en.body, /<h1>Payment<\/h1>/);
    assert.match(en.body, /data-locale="en"/);
    const ru = await page(`/ru/payment/${token}`);
    assert.equal(ru.statusCode, 200);
    assert.equal(lang(ru), 'ru');
    assert.match(ru.body, /<h1>Оплата<\/h1>/);
    assert.match(ru.body, /Номер карты/);
    assert.match(ru.body, /data-amount="1&#32;234,50&#32;\$"|data-amount="1[\s\u00a0\u202f]234,50[\s\u00a0\u202f]\$"/);
    assert.equal(ru.headers['content-security-policy'], en.headers['content-security-policy']);
    assert.equal(lang(await page(`/payment/${token}`)), 'en');
    assert.equal(lang(await page(`/payment/${await link('ru')}`)), 'ru');
  });

  test('an unknown language or link is a 404 page, never a 500', async () => {
    const token = await link('en');
    for (const locale of ['de', 'EN', 'xx-yy', '%3Cscript%3E']) {
      const res = await page(`/${locale}/payment/${token}`);
      assert.equal(res.statusCode, 404, locale);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.match(res.body, /Page not found/);
      assert.match(res.body, /Страница не найдена/);
      assert.doesNotMatch(res.body, /<script>/);
    }
    for (const url of [`/ru/payment/${'a'.repeat(64)}`, `/en/payment/${'a'.repeat(64)}`]) {
      const res = await page(url);
      assert.equal(res.statusCode, 404);
      assert.match(res.body, /This payment link is not valid/);
    }
  });
});

describe('token/info fields the SDK reads', () => {
  test('card, recurrent_token and public_token carry token and country_iso3', async () => {
    const t = await issue({ tokenize_widget: { access: true } });
    const hash = envelope(await tokenize(t, '2200000000000004')).data.token;
    const card = await h.call('token/info', { type: 'card', card: { type: 'encrypted_card', encrypted_card: { number_hash: hash } } });
    assert.deepEqual(card.json(), { status: 'ok', info: { token: hash, number_hash: hash, brand: 'mir', last4: '0004', country_iso3: 'RUS', type: 'card' } });

    const paid = await h.call('session/init/payment', {
      amount_details: USD(990),
      payment_details: { type: 'card', card: { type: 'encrypted_card', encrypted_card: { number_hash: hash } } },
      payment_options: { recurrent: true },
      customer: { reference: 'c2' },
    });
    assert.equal(paid.statusCode, 200, paid.body);
    let recurrent: string | undefined;
    for (let i = 0; i < 100 && !recurrent; i++) {
      recurrent = (await h.call('session/status', { session_id: paid.json().session.id })).json().session.acquiring_payments?.[0]?.recurrent?.token;
      if (!recurrent) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(recurrent, 'the payment earned a recurrent token');
    const r = await h.call('token/info', { type: 'recurrent_token', recurrent_token: { token: recurrent } });
    const i = r.json().info;
    assert.deepEqual(i, {
      token: recurrent,
      created_at: i.created_at,
      finished_at: '2030-12-31T23:59:59.000000Z',
      is_active: true,
      type: 'recurrent_token',
      number_hash: hash,
      brand: 'mir',
      last4: '0004',
      country_iso3: 'RUS',
    });
    const pub = await info(t);
    assert.equal(pub.token, t);
    assert.equal(pub.country_iso3, 'RUS');
  });
});
