import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { bankCard } from '../helpers/acquiring.js';
import { eventually, launchChromium, noBrowser, paymentLink, publicToken, startShop, type Shop, reportCspViolations } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { ok, patchProject, statusOf, until } from '../helpers/payouts.js';

/**
 * The hosted payment page in real headless Chromium: a 3-D Secure card confirmed in the inline
 * frame and back to success_return_url, a declined card back to failure_return_url, the page in
 * Russian, and state that would inject script if it were written as HTML (or followed as a URL).
 * Every flow runs under the pages' Content-Security-Policy without one violation reported; another
 * site cannot frame the payment page or the 3-D Secure page.
 */
let h: Harness;
let browser: Browser;
let context: BrowserContext;
let shop: Shop;
let base: string;
/** What the browser reported against a Content-Security-Policy, on any page or frame of `context`. */
const cspReports: string[] = [];

describe('payment page (browser)', { skip: noBrowser }, () => {
  before(async () => {
    [h, browser, shop] = await Promise.all([startHarness(), launchChromium(), startShop()]);
    base = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
    // auto_confirm: the page's payments go on without the partner's session/confirm after ready_to_confirm.
    await patchProject(h, 'demo', { auto_confirm: true });
    context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    await reportCspViolations(context, cspReports);
  });
  beforeEach(() => void (cspReports.length = 0));
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
    const response = await page.goto(`${base}/en/payment/${link.token}`);
    assert.equal(response?.status(), 200);
    const headers = response?.headers() ?? {};
    assert.match(headers['content-security-policy'] ?? '', /script-src 'self'/);
    assert.match(headers['content-security-policy'] ?? '', /frame-ancestors 'none'/);
    assert.equal(headers['x-frame-options'], 'DENY');
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
    assert.deepEqual(cspReports, []);
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
    assert.deepEqual(cspReports, []);
    await page.close();
  });

  test('in Russian at /ru/payment/<token> (the path chooses the language, whatever the token says): labels, errors, amount and outcome', async () => {
    const link = await paymentLink(h, { amount: 150000, currency: 'rub', locale: 'en' });
    const page = await context.newPage();
    await page.goto(`${base}/ru/payment/${link.token}`);
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
    assert.deepEqual(cspReports, []);
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
    assert.deepEqual(cspReports, []);
    await page.close();
  });

  test('an unknown payment link gets a page saying so', async () => {
    const page = await context.newPage();
    const response = await page.goto(`${base}/payment/not-a-token`);
    assert.equal(response?.status(), 404);
    assert.equal(await page.locator('h1').textContent(), 'This payment link is not valid');
    assert.equal(response?.headers()['x-frame-options'], 'DENY');
    assert.deepEqual(cspReports, []);
    await page.close();
  });

  /** A card payment through the API that waits on 3-D Secure: the path of its page on payrail. */
  async function threeDsStep(returnUrl?: string): Promise<{ sessionId: string; path: string }> {
    const init = await ok(h, 'session/init/payment', {
      payment_details: bankCard('4000000000003220'),
      amount_details: { amount: 4200, currency: 'usd' },
      customer: { reference: 'browser-3ds' },
      ...(returnUrl ? { payment_options: { return_url: returnUrl } } : {}),
    });
    const sessionId: string = init['session']['id'];
    const waiting = await until(h, sessionId, (x) => x['acquiring_payments']?.[0]?.['customer_interaction'] !== undefined);
    return { sessionId, path: new URL(waiting['acquiring_payments'][0]['customer_interaction']['redirect']['url']).pathname };
  }

  test('a partner sends the payer to the 3-D Secure page: Confirm posts and follows the redirect to return_url', async () => {
    const step = await threeDsStep(`${shop.url}/return/3ds?order=9`);
    const page = await context.newPage();
    const response = await page.goto(`${base}${step.path}`);
    const headers = response?.headers() ?? {};
    const csp = headers['content-security-policy'] ?? '';
    assert.match(csp, /frame-ancestors 'self'/);
    // The form may go to payrail and to the return URL's origin only (a form's redirect is checked too).
    assert.match(csp, new RegExp(`form-action 'self' ${shop.url.replace(/[.]/g, '\\.')};`));
    assert.doesNotMatch(csp, /script-src/); // no script at all: default-src 'none'
    assert.equal(headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(headers['referrer-policy'], 'no-referrer');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(`${shop.url}/return/3ds?order=9`, { timeout: 10_000 });
    assert.equal((await until(h, step.sessionId, (x) => x['status'] !== 'in_progress'))['status'], 'accepted');
    assert.deepEqual(cspReports, []);
    await page.close();
  });

  test('inline, the 3-D Secure answer does not take the frame to payment_options.return_url: the page returns the payer', async () => {
    const created = await ok(h, 'session/create', { amount_details: { amount: 777, currency: 'usd' }, payment_options: { return_url: `${shop.url}/return/in-frame` } });
    const token = await publicToken(h, { acquiring_widget: { session_id: created['session']['id'], locale: 'en', success_return_url: `${shop.url}/return/done` } });
    const page = await context.newPage();
    await page.goto(`${base}/payment/${token}`);
    await fillCard(page, '4000000000003220');
    await page.locator('[data-testid=pay]').click();
    const challenge = page.frameLocator('#challenge-frame');
    await challenge.getByRole('button', { name: 'Confirm' }).click({ timeout: 10_000 });
    await eventually(async () => assert.equal(await text(page, 'result-title'), 'Payment successful'));
    await page.waitForURL(`${shop.url}/return/done`, { timeout: 10_000 });
    assert.ok(!shop.visits.some((v) => v.startsWith('/return/in-frame')), shop.visits.join(' '));
    assert.deepEqual(cspReports, []);
    await page.close();
  });

  test('another site cannot frame the 3-D Secure page or the payment page (the widget it may)', async () => {
    const step = await threeDsStep();
    const link = await paymentLink(h);
    const widget = await publicToken(h, { tokenize_widget: { access: true, locale: 'en' } });
    shop.page(
      '/framing',
      `<!doctype html><meta charset="utf-8"><title>Not payrail</title>
<iframe id="tds" src="${base}${step.path}"></iframe>
<iframe id="pay" src="${base}/payment/${link.token}"></iframe>
<iframe id="widget" src="${base}/widget/tokenize?token=${widget}"></iframe>`,
    );
    const page = await context.newPage();
    await page.goto(`${shop.url}/framing`, { waitUntil: 'load' });
    const child = async (id: string): Promise<Frame> => {
      const frame = await (await page.locator(`#${id}`).elementHandle())?.contentFrame();
      assert.ok(frame, id);
      return frame;
    };
    // The widget renders: framing as such works in this page.
    await (await child('widget')).locator('#card-number').waitFor({ timeout: 10_000 });
    for (const id of ['tds', 'pay']) {
      const frame = await child(id);
      await eventually(async () => assert.doesNotMatch(frame.url(), /^http:\/\/127\.0\.0\.1/, id));
      assert.equal(await frame.locator('button, form, input').count(), 0, id);
    }
    assert.equal((await page.content()).includes('Confirm'), false);
    // Refused by the pages' own policy, not by chance: Chromium names the directive for each.
    await eventually(async () => {
      assert.equal(cspReports.filter((r) => r.includes(`frame-ancestors 'self'`)).length, 1, cspReports.join('\n'));
      assert.equal(cspReports.filter((r) => r.includes(`frame-ancestors 'none'`)).length, 1, cspReports.join('\n'));
    });
    assert.equal(cspReports.length, 2, cspReports.join('\n'));
    // The 3-D Secure step is still open: nothing was answered through the frame.
    assert.equal((await statusOf(h, step.sessionId))['status'], 'in_progress');
    await page.close();
  });
});
