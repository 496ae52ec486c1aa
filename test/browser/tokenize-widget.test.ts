import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Browser, BrowserContext, FrameLocator, Page } from 'playwright-core';
import { eventually, launchChromium, noBrowser, partnerPage, publicToken, startShop, type Shop, reportCspViolations } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { ok, patchProject, payoutIn, untilFinal } from '../helpers/payouts.js';

/**
 * The tokenization widget in real headless Chromium: a partner page on its own loopback origin
 * embeds /widget/tokenize.js from payrail's origin; the payer types a card (live validation, brand,
 * keyboard only), the partner page gets the number_hash through postMessage (and nothing forged),
 * and the partner pays out to that card.
 */
let h: Harness;
let browser: Browser;
let context: BrowserContext;
let shop: Shop;
let base: string;
/** What the browser reported against a Content-Security-Policy, on any page or frame of `context`. */
const cspReports: string[] = [];

describe('tokenization widget (browser)', { skip: noBrowser }, () => {
  before(async () => {
    [h, browser, shop] = await Promise.all([startHarness(), launchChromium(), startShop()]);
    base = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
    // auto_confirm: the payout to the tokenized card goes through without a session/confirm from the test.
    await patchProject(h, 'demo', { auto_confirm: true });
    context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    await reportCspViolations(context, cspReports);
  });
  beforeEach(() => void (cspReports.length = 0));
  after(async () => {
    await context?.close();
    await browser?.close();
    await shop?.close();
    await h?.close();
  });

  const activeId = (frame: FrameLocator) => frame.locator(':focus').getAttribute('id');
  const received = (page: Page, name: '__tokens' | '__errors') => page.evaluate(`window.${name}`) as Promise<Record<string, unknown>[]>;

  async function openCheckout(token: string, path: string): Promise<{ page: Page; frame: FrameLocator }> {
    shop.page(path, partnerPage(base, token));
    const page = await context.newPage();
    await page.goto(`${shop.url}${path}`);
    const frame = page.frameLocator('#card iframe');
    await frame.locator('#card-number').waitFor();
    return { page, frame };
  }

  test('a card tokenized on a partner page is paid out to', async () => {
    const token = await publicToken(h, { tokenize_widget: { access: true, locale: 'en' } });
    const { page, frame } = await openCheckout(token, '/checkout');
    assert.equal(await page.locator('#card iframe').getAttribute('src'), `${base}/widget/tokenize?token=${token}&locale=en`);

    // Brand as the payer types, then live validation: a wrong last digit shows an error next to the field.
    const number = frame.locator('#card-number');
    await number.pressSequentially('5555');
    assert.equal(await frame.locator('[data-testid=brand]').textContent(), 'Mastercard');
    await number.fill('');
    await number.pressSequentially('4242424242424241');
    assert.equal(await number.inputValue(), '4242 4242 4242 4241');
    assert.equal(await frame.locator('[data-testid=brand]').textContent(), 'Visa');
    await eventually(async () => assert.equal(await frame.locator('#card-number-error').textContent(), 'This card number is not valid'));
    assert.equal(await number.getAttribute('aria-invalid'), 'true');
    assert.equal(await number.getAttribute('aria-describedby'), 'card-number-error');
    await number.press('Backspace');
    await number.pressSequentially('2');
    await eventually(async () => assert.equal(await frame.locator('#card-number-error').textContent(), ''));
    assert.equal(await number.getAttribute('aria-invalid'), null);

    // A message that does not come from the widget's frame is not a token.
    await page.evaluate(`window.postMessage({ type: 'payrail:token', token: 'forged', info: {} }, '*')`);

    // Keyboard only: Tab through expiry and code in order, Enter submits. An expired date is refused first.
    await number.focus();
    await page.keyboard.press('Tab');
    assert.equal(await activeId(frame), 'card-expiry');
    await page.keyboard.type('0120');
    assert.equal(await frame.locator('#card-expiry').inputValue(), '01/20');
    await eventually(async () => assert.equal(await frame.locator('#card-expiry-error').textContent(), 'This card has expired'));
    await page.keyboard.press('Tab');
    assert.equal(await activeId(frame), 'card-csc');
    await page.keyboard.type('123');
    await page.keyboard.press('Enter');
    await eventually(async () => assert.equal(await activeId(frame), 'card-expiry')); // the first wrong field gets the focus back
    await page.keyboard.press('Control+A');
    await page.keyboard.type('1230');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');

    await eventually(async () => assert.equal((await received(page, '__tokens')).length, 1));
    const [got] = await received(page, '__tokens');
    const info = { masked_card_number: '424242******4242', card_type: 'visa' };
    assert.deepEqual(Object.keys(got!).sort(), ['info', 'token']);
    assert.match(String(got!['token']), /^\S{16,}$/);
    assert.deepEqual(got!['info'], info);
    assert.deepEqual(await received(page, '__errors'), []);
    assert.equal(await frame.locator('#done-card').textContent(), 'Visa •••• 4242');
    // The frame grew or shrank to its content (payrail:resize), so nothing is cut off.
    const box = await page.locator('#card iframe').boundingBox();
    assert.ok(box && box.height > 20 && box.height < 200, `iframe box ${JSON.stringify(box)}`);

    // The partner pays out to the tokenized card.
    const init = await ok(h, 'session/init/payout', {
      payment_method: { type: 'card', card: { type: 'encrypted_card', encrypted_card: { number_hash: got!['token'] } } },
      participant_details: { recipient: { full_name: 'John Johnson' } },
      amount_details: { amount: 2500, currency: 'usd' },
    });
    const done = await untilFinal(h, init['session']['id']);
    assert.equal(done['status'], 'accepted', JSON.stringify(done));
    assert.equal(payoutIn(done)['status'], 'succeeded');

    // A tokenize_widget token is spent by its success: mounting it again reports that to onError.
    await page.reload();
    await eventually(async () => assert.equal((await received(page, '__errors')).length, 1));
    const [spent] = await received(page, '__errors');
    assert.deepEqual(spent, { code: 'invalid_public_token', description: 'the public token was already used' });
    assert.equal(await page.frameLocator('#card iframe').locator('[data-testid=form-error]').textContent(), 'This form is no longer valid. Reload the page to try again.');
    // The widget is framed by the partner's page on another origin under the strict policy, and nothing broke it.
    assert.deepEqual(cspReports, []);
    await page.close();
  });

  test('in Russian: labels, button and errors', async () => {
    const token = await publicToken(h, { tokenize_widget: { access: true, locale: 'ru' } });
    const page = await context.newPage();
    // No locale in the URL: the public token's locale decides.
    const response = await page.goto(`${base}/widget/tokenize?token=${token}`);
    // Meant to be framed by partners on any web origin: frame-ancestors says so, and no X-Frame-Options overrides it.
    const headers = response?.headers() ?? {};
    assert.match(headers['content-security-policy'] ?? '', /^default-src 'none'; script-src 'self'; style-src 'sha256-[A-Za-z0-9+/]+={0,2}'; connect-src 'self'; form-action 'none'; frame-ancestors https: http:; base-uri 'none'$/);
    assert.equal(headers['x-frame-options'], undefined);
    assert.equal(await page.locator('html').getAttribute('lang'), 'ru');
    assert.equal(await page.locator('label[for=card-number]').textContent(), 'Номер карты');
    assert.equal(await page.locator('label[for=card-expiry]').textContent(), 'Срок действия (ММ/ГГ)');
    assert.equal(await page.locator('[data-testid=submit]').textContent(), 'Сохранить карту');
    await page.locator('[data-testid=submit]').click();
    assert.equal(await page.locator('#card-number-error').textContent(), 'Введите номер карты');
    assert.equal(await page.locator('#card-csc-error').textContent(), 'Введите код безопасности');
    assert.equal(await page.locator(':focus').getAttribute('id'), 'card-number');
    assert.deepEqual(cspReports, []);
    await page.close();
  });
});
