import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import vm from 'node:vm';
import { detectBrand, luhnValid } from '../src/domain/tokens/card-number.js';
import { CARD_FORM_JS, STRINGS, cardFields } from '../src/edge/pages/card-form.js';
import { PAYMENT_PAGE_JS, displayAmount, renderPaymentPage } from '../src/edge/pages/payment-page.html.js';
import type { PageView } from '../src/edge/pages/payment-page.service.js';
import { TOKENIZE_EMBED_JS, TOKENIZE_PAGE_JS, renderTokenizePage } from '../src/edge/pages/tokenize-widget.js';

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
