import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { eventually, launchChromium, noBrowser, paymentLink, startShop, type Shop } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { patchProject, statusOf } from '../helpers/payouts.js';

/**
 * The hosted payment page in real headless Chromium: a 3-D Secure card confirmed in the inline
 * frame and back to success_return_url, a declined card back to failure_return_url, the page in
 * Russian, and state that would inject script if it were written as HTML (or followed as a URL).
 */
let h: Harness;
let browser: Browser;
let context: BrowserContext;
let shop: Shop;
let base: string;

describe('payment page (browser)', { skip: noBrowser }, () => {
  before(async () => {
    [h, browser, shop] = await Promise.all([startHarness(), launchChromium(), startShop()]);
    base = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
    // auto_confirm: the page's payments go on without the partner's session/confirm after ready_to_confirm.
    await patchProject(h, 'demo', { auto_confirm: true });
    context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await shop?.close();
    await h?.close();
  });

  const text = (page: Page, testId: string) => page.locator(`[data-testid=${testId}]`).textContent();

  async function fillCard(page: Page, number: string): Promise<void> {
    await page.locator('#card-number').pressSequentially(number);
    await page.locator('#card-expiry').pressSequentially('1230');
    await page.locator('#card-csc').pressSequentially('123');
  }

  test('a 3-D Secure card: Pay, Confirm in the inline frame, back to success_return_url', async () => {
    const link = await paymentLink(h, { amount: 1250, success: `${shop.url}/return/ok?order=7`, failure: `${shop.url}/return/failed`, recurrent: true });
    const page = await context.newPage();
    const response = await page.goto(`${base}/payment/${link.token}`);
    assert.equal(response?.status(), 200);
    assert.match(response?.headers()['content-security-policy'] ?? '', /script-src 'self'/);
    assert.equal(await text(page, 'merchant'), 'demo');
    assert.equal(await text(page, 'amount'), '$12.50');
    assert.equal(await text(page, 'pay'), 'Pay $12.50');
    assert.equal(await page.locator('[data-testid=save-card]').isVisible(), true);

    // Live validation on the page too: a wrong number shows its error before anything is sent.
    await page.locator('#card-number').pressSequentially('4000000000003221');
    await eventually(async () => assert.equal(await page.locator('#card-number-error').textContent(), 'This card number is not valid'));
    await page.locator('#card-number').fill('');
    await fillCard(page, '4000 0000 0000 3220');
    assert.equal(await page.locator('#card-number-error').textContent(), '');
    await page.locator('[data-testid=save-card]').check();
    await page.locator('[data-testid=pay]').click();

    const confirm = page.frameLocator('#challenge-frame').getByRole('button', { name: 'Confirm' });
    await confirm.waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#challenge-title').textContent(), 'Confirm the payment with your bank');
    assert.equal(await page.locator('#card-form').isHidden(), true);
    // A reload mid-way comes back to the same step (the server renders the page without the form, the script polls).
    await page.reload();
    await confirm.waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#card-form').isHidden(), true);
    await confirm.click();

    await eventually(async () => assert.equal(await text(page, 'result-title'), 'Payment successful'));
    assert.equal(await text(page, 'result-text'), 'Thank you! Your payment of $12.50 was accepted.');
    await page.waitForURL(`${shop.url}/return/ok?order=7`, { timeout: 10_000 });
    const session = await statusOf(h, link.sessionId);
    assert.equal(session['status'], 'accepted', JSON.stringify(session));
    await page.close();
  });

  test('a declined card: the failure message, then failure_return_url', async () => {
    const link = await paymentLink(h, { amount: 990, success: `${shop.url}/return/ok`, failure: `${shop.url}/return/failed` });
    const page = await context.newPage();
    await page.goto(`${base}/payment/${link.token}`);
    assert.equal(await page.locator('[data-testid=save-card]').count(), 0);
    await fillCard(page, '4000000000000002');
    await page.locator('#card-csc').press('Enter');
    await eventually(async () => assert.equal(await text(page, 'result-title'), 'Payment declined'));
    assert.equal(await text(page, 'result-text'), 'Your bank declined the payment.');
    assert.equal(await text(page, 'result-detail'), 'Reason code: card_declined');
    await page.waitForURL(`${shop.url}/return/failed`, { timeout: 10_000 });
    assert.equal((await statusOf(h, link.sessionId))['status'], 'cancelled');
    await page.close();
  });

  test('in Russian: labels, errors, amount and outcome', async () => {
    const link = await paymentLink(h, { amount: 150000, currency: 'rub', locale: 'ru' });
    const page = await context.newPage();
    await page.goto(`${base}/payment/${link.token}`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'ru');
    assert.equal(await page.locator('h1').textContent(), 'Оплата');
    assert.equal(await page.locator('label[for=card-number]').textContent(), 'Номер карты');
    assert.equal(await page.locator('label[for=card-expiry]').textContent(), 'Срок действия (ММ/ГГ)');
    assert.equal(await page.locator('label[for=card-csc]').textContent(), 'Код безопасности (CVC/CVV)');
    assert.equal(await text(page, 'amount'), '1\u00a0500,00\u00a0₽');
    assert.equal(await text(page, 'pay'), 'Оплатить 1\u00a0500,00\u00a0₽');
    await page.locator('#card-number').pressSequentially('2200000000000005');
    assert.equal(await text(page, 'brand'), 'Mir');
    await eventually(async () => assert.equal(await page.locator('#card-number-error').textContent(), 'Неверный номер карты'));
    await page.locator('#card-number').fill('');
    await fillCard(page, '2200000000000004');
    await page.locator('[data-testid=pay]').click();
    await eventually(async () => assert.equal(await text(page, 'result-title'), 'Оплата прошла успешно'));
    assert.equal(await text(page, 'result-text'), 'Спасибо! Платёж на сумму 1\u00a0500,00\u00a0₽ принят.');
    assert.equal((await statusOf(h, link.sessionId))['status'], 'accepted');
    await page.close();
  });

  test('state from the server is written as text and a non-http return URL is not followed', async () => {
    const link = await paymentLink(h);
    const page = await context.newPage();
    // The payment is really requested; what the page then polls is replaced by hostile state.
    await page.route('**/payment/*/state', (route) =>
      route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({
          status: 'ok',
          page: { state: 'failed', error: { code: '<img src=x onerror="window.__pwned=1">', description: '<script>window.__pwned=2</script>' }, return_url: 'javascript:window.__pwned=3' },
        }),
      }),
    );
    await page.goto(`${base}/payment/${link.token}`);
    await fillCard(page, '4242424242424242');
    await page.locator('[data-testid=pay]').click();
    await eventually(async () => assert.equal(await text(page, 'result-detail'), 'Reason code: <img src=x onerror="window.__pwned=1">'));
    assert.equal(await text(page, 'result-text'), 'The payment did not go through.');
    assert.equal(await page.locator('#result img').count(), 0);
    assert.equal(await page.locator('#result-return').isHidden(), true);
    await new Promise((r) => setTimeout(r, 1300)); // past the moment a return URL would be followed
    assert.equal(await page.evaluate('window.__pwned'), undefined);
    assert.equal(page.url(), `${base}/payment/${link.token}`);
    await page.close();
  });

  test('an unknown payment link gets a page saying so', async () => {
    const page = await context.newPage();
    const response = await page.goto(`${base}/payment/not-a-token`);
    assert.equal(response?.status(), 404);
    assert.equal(await page.locator('h1').textContent(), 'This payment link is not valid');
    await page.close();
  });
});
