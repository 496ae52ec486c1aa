import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import vm from 'node:vm';
import { detectBrand, luhnValid } from '../src/domain/tokens/card-number.js';
import { CARD_FORM_JS, STRINGS, cardFields } from '../src/edge/pages/card-form.js';
import { PAYMENT_PAGE_JS, displayAmount, renderPaymentPage } from '../src/edge/pages/payment-page.html.js';
import type { PageView } from '../src/edge/pages/payment-page.service.js';
import { TOKENIZE_EMBED_JS, TOKENIZE_PAGE_JS, renderTokenizePage } from '../src/edge/pages/tokenize-widget.js';
import { formTarget } from '../src/edge/pages/html.js';
import { bankCard } from './helpers/acquiring.js';
import { paymentLink, publicToken } from './helpers/browser.js';
import { startHarness, type Harness, type Reply } from './helpers/harness.js';
import { ok, patchProject, until } from './helpers/payouts.js';

/**
 * The payer pages' renderers and scripts without a browser: whatever data reaches the HTML is
 * escaped (project names cannot carry markup today, so the renderer is fed hostile values directly),
 * the client scripts parse, and the client's brand and Luhn checks agree with the server's.
 */
const HOSTILE = `x"><script>alert(1)</script><img src=x onerror=alert(2)>'`;

const view = (over: Partial<PageView> = {}): PageView => ({
  merchant: 'demo',
  amount: 1250,
  currency: 'usd',
  amount_text: '12.50 USD',
  locale: 'en',
  show_recurrent_checkbox: false,
  state: 'form',
  ...over,
});

function assertNoMarkupFrom(html: string): void {
  assert.doesNotMatch(html, /<script>alert/);
  assert.doesNotMatch(html, /<img src=x/);
  assert.doesNotMatch(html, /"><script/);
  // The only scripts are the page's own, from this origin.
  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
  for (const s of scripts) assert.match(s, /^<script src="\/widget\/[a-z-]+\.js" defer>$/, s);
}

describe('payment page renderer', () => {
  test('escapes the merchant, the token and the amount text', () => {
    const html = renderPaymentPage(HOSTILE, view({ merchant: HOSTILE, amount: null, currency: null, amount_text: HOSTILE }));
    assertNoMarkupFrom(html);
    assert.ok(html.includes('<dd data-testid="merchant">x&#34;&#62;&#60;script&#62;alert(1)&#60;&#47;script&#62;'));
    assert.ok(html.includes('data-token="x&#34;&#62;&#60;script&#62;'));
    assert.ok(html.includes(`<title>Payment: x&#34;&#62;&#60;script&#62;`));
  });

  test('the form, the save-card box only when asked for, and the busy state otherwise', () => {
    const plain = renderPaymentPage('tok', view());
    assert.ok(plain.includes('<form id="card-form" class="card-form" novalidate>'));
    assert.ok(!plain.includes('save-card'));
    assert.ok(renderPaymentPage('tok', view({ show_recurrent_checkbox: true })).includes('id="save-card"'));
    const busy = renderPaymentPage('tok', view({ state: 'processing' }));
    assert.ok(busy.includes('<form id="card-form" class="card-form" novalidate hidden>'));
    assert.ok(busy.includes('data-state="processing"'));
  });

  test('amounts in the page language', () => {
    assert.equal(displayAmount(view()), '$12.50');
    assert.equal(displayAmount(view({ locale: 'ru', amount: 150000, currency: 'rub' })), '1\u00a0500,00\u00a0₽');
    assert.equal(displayAmount(view({ amount: 500, currency: 'jpy' })), '¥500');
    assert.equal(displayAmount(view({ amount: null, currency: null, amount_text: null })), '');
  });

  test('card inputs have no name: without the script, a submitted form carries no card data', () => {
    const inputs = [...cardFields(STRINGS.en).matchAll(/<input\b[^>]*>/g)].map((m) => m[0]);
    assert.equal(inputs.length, 3);
    for (const input of inputs) assert.doesNotMatch(input, /\bname=/, input);
  });

  test('English and Russian have the same strings', () => {
    assert.deepEqual(Object.keys(STRINGS.ru).sort(), Object.keys(STRINGS.en).sort());
    for (const [k, v] of Object.entries(STRINGS.ru)) assert.ok(v.length > 0, k);
  });
});

describe('tokenization widget renderer', () => {
  test('escapes the token and the reason a token cannot be used', () => {
    assertNoMarkupFrom(renderTokenizePage({ token: HOSTILE, locale: 'en' }));
    const refused = renderTokenizePage({ token: 't', locale: 'ru', problem: HOSTILE });
    assertNoMarkupFrom(refused);
    assert.ok(refused.includes('<html lang="ru">'));
    assert.ok(!refused.includes('<form'));
  });
});

describe('client scripts', () => {
  test('parse as plain scripts', () => {
    for (const [name, source] of Object.entries({ CARD_FORM_JS, TOKENIZE_EMBED_JS, TOKENIZE_PAGE_JS, PAYMENT_PAGE_JS })) {
      assert.doesNotThrow(() => new vm.Script(source, { filename: name }), name);
    }
  });

  test('brand detection and Luhn agree with the server', () => {
    const sandbox: { window: Record<string, unknown> } = { window: {} };
    vm.runInNewContext(CARD_FORM_JS, sandbox);
    const client = sandbox.window['PayrailCardForm'] as { detectBrand(d: string): string; luhn(d: string): boolean };
    const numbers = [
      '4242424242424242', '5555555555554444', '2221000000000009', '2720999999999996', '378282246310005', '371449635398431',
      '6011111111111117', '6445644564456445', '6221260000000000', '3530111333300000', '30569309025904', '36227206271667',
      '3095000000000000', '2200000000000004', '2204999999999999', '6200000000000005', '9999999999999995', '4000000000003220',
      '4000000000000002', '1234567812345670', '123456789012', '4242424242424241',
    ];
    for (const n of numbers) {
      const server = detectBrand(n);
      assert.equal(client.detectBrand(n) || 'unknown', server, n);
      assert.equal(client.luhn(n), luhnValid(n), n);
    }
  });
});

/** A policy's directives by name. */
function directives(csp: string): Map<string, string> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...sources]) => [name!, sources.join(' ')]));
}

/**
 * The strict policy every hosted page has, checked against the very markup it came with: its one
 * <style> element allowed by its hash (and nothing else), scripts only as files from this origin
 * (script-src 'self' exactly when there are any), no inline handler or style attribute, no <base>.
 */
function assertStrictPage(res: Reply, framing: 'DENY' | 'SAMEORIGIN' | 'partners', formAction: string): Map<string, string> {
  const where = `${res.statusCode} ${res.body.slice(0, 200)}`;
  assert.equal(res.headers['content-type'], 'text/html; charset=utf-8', where);
  assert.equal(res.headers['cache-control'], 'no-store', where);
  assert.equal(res.headers['x-content-type-options'], 'nosniff', where);
  assert.equal(res.headers['referrer-policy'], 'no-referrer', where);
  const csp = directives(String(res.headers['content-security-policy'] ?? ''));
  assert.equal(csp.get('default-src'), "'none'", where);
  assert.equal(csp.get('base-uri'), "'none'", where);
  assert.equal(csp.get('form-action'), formAction, where);
  if (framing === 'partners') {
    assert.equal(csp.get('frame-ancestors'), 'https: http:', where);
    assert.equal(res.headers['x-frame-options'], undefined, where);
  } else {
    assert.equal(csp.get('frame-ancestors'), framing === 'DENY' ? "'none'" : "'self'", where);
    assert.equal(res.headers['x-frame-options'], framing, where);
  }
  const styles = [...res.body.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
  assert.equal(styles.length, 1, where);
  assert.equal(csp.get('style-src'), `'sha256-${createHash('sha256').update(styles[0]!, 'utf8').digest('base64')}'`, where);
  const scripts = [...res.body.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
  for (const tag of scripts) assert.match(tag, /^<script src="\/widget\/[a-z-]+\.js" defer>$/, tag);
  assert.equal(csp.get('script-src'), scripts.length > 0 ? "'self'" : undefined, where);
  assert.doesNotMatch(res.body, /<[^>]+\s(style|on[a-z]+)=/i, where);
  assert.doesNotMatch(res.body, /<base\b/i, where);
  for (const name of csp.keys()) assert.ok(['default-src', 'script-src', 'style-src', 'connect-src', 'frame-src', 'form-action', 'frame-ancestors', 'base-uri'].includes(name), name);
  return csp;
}

describe('hosted pages: the security headers', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    await patchProject(h, 'demo', { auto_confirm: true });
  });
  after(async () => h?.close());

  const get = (url: string, headers: Record<string, string> = {}) => h.runtime.app.inject({ method: 'GET', url, headers });
  const answer = (path: string, result: string, headers: Record<string, string> = {}) =>
    h.runtime.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: `result=${result}` });

  /** A payment through the API that waits on 3-D Secure: its page's path. */
  async function threeDs(returnUrl?: string): Promise<string> {
    const init = await ok(h, 'session/init/payment', {
      payment_details: bankCard('4000000000003220'),
      amount_details: { amount: 1000, currency: 'usd' },
      customer: { reference: 'pages' },
      ...(returnUrl ? { payment_options: { return_url: returnUrl } } : {}),
    });
    const waiting = await until(h, init['session']['id'], (x) => x['acquiring_payments']?.[0]?.['customer_interaction'] !== undefined);
    return new URL(waiting['acquiring_payments'][0]['customer_interaction']['redirect']['url']).pathname;
  }

  test('the payment page and its link-problem page: never framed, no form, scripts and fetch to payrail only, frames only payrail', async () => {
    const link = await paymentLink(h);
    const page = assertStrictPage(await get(`/payment/${link.token}`), 'DENY', "'none'");
    assert.equal(page.get('connect-src'), "'self'");
    assert.equal(page.get('frame-src'), "'self'");
    const problem = await get('/payment/not-a-token');
    assert.equal(problem.statusCode, 404);
    const csp = assertStrictPage(problem, 'DENY', "'none'");
    assert.equal(csp.get('connect-src'), undefined);
    assert.equal(csp.get('frame-src'), undefined);
  });

  test('the tokenization widget: framed by partners on any web origin, frames nothing', async () => {
    const token = await publicToken(h, { tokenize_widget: { access: true, locale: 'en' } });
    for (const url of [`/widget/tokenize?token=${token}`, '/widget/tokenize?token=nope', '/widget/tokenize']) {
      const csp = assertStrictPage(await get(url), 'partners', "'none'");
      assert.equal(csp.get('connect-src'), "'self'");
      assert.equal(csp.get('frame-src'), undefined);
    }
  });

  test('the 3-D Secure page: framed by payrail only, no script, its form posts here and may be redirected to the return URL only', async () => {
    const shop = 'https://shop.example:8443/back?order=1';
    const path = await threeDs(shop);
    assertStrictPage(await get(path), 'SAMEORIGIN', "'self' https://shop.example:8443");
    // Inside the payment page's frame the answer does not redirect, so the form needs payrail only.
    assertStrictPage(await get(path, { 'sec-fetch-dest': 'iframe' }), 'SAMEORIGIN', "'self'");
    // A return URL that CSP cannot name as a host is allowed by its scheme; one that is not a web URL, not at all.
    assertStrictPage(await get(await threeDs('http://[::1]:9/back')), 'SAMEORIGIN', "'self' http:");
    assertStrictPage(await get(await threeDs('dummy:/url')), 'SAMEORIGIN', "'self'");
    const bare = await threeDs();
    assertStrictPage(await get(bare), 'SAMEORIGIN', "'self'");

    // Answered in a frame: the page that says so, not a redirect of the frame; top-level: the redirect.
    const framedPath = await threeDs(shop);
    const framed = await answer(framedPath, 'confirmed', { 'sec-fetch-dest': 'iframe' });
    assert.equal(framed.statusCode, 200);
    assert.match(framed.body, /<h1>Verification complete<\/h1>/);
    assertStrictPage(framed, 'SAMEORIGIN', "'none'");
    assertStrictPage(await get(framedPath), 'SAMEORIGIN', "'none'"); // done: no form any more
    const top = await answer(path, 'failed', { 'sec-fetch-dest': 'document' });
    assert.equal(top.statusCode, 303);
    assert.equal(top.headers['location'], shop);
    const plain = await answer(bare, 'confirmed');
    assert.equal(plain.statusCode, 200);
    assertStrictPage(plain, 'SAMEORIGIN', "'none'");
  });

  test('formTarget: the origin of a web URL, the scheme where CSP cannot name the host, nothing otherwise', () => {
    assert.equal(formTarget('https://shop.example/back?x=1#y'), 'https://shop.example');
    assert.equal(formTarget('http://127.0.0.1:3000/back'), 'http://127.0.0.1:3000');
    assert.equal(formTarget('HTTPS://Shop.Example:443/'), 'https://shop.example');
    assert.equal(formTarget('https://xn--80ak6aa92e.com/'), 'https://xn--80ak6aa92e.com');
    assert.equal(formTarget('https://пример.рф/'), 'https://xn--e1afmkfd.xn--p1ai');
    assert.equal(formTarget('http://[::1]:8080/'), 'http:');
    assert.equal(formTarget('https://under_score.example/'), 'https:');
    assert.equal(formTarget("https://a.example/'; script-src *"), 'https://a.example');
    assert.equal(formTarget('javascript:alert(1)'), undefined);
    assert.equal(formTarget('dummy:/url'), undefined);
    assert.equal(formTarget('not a url'), undefined);
  });
});
