import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { eventually, launchChromium, noBrowser, publicToken, reportCspViolations } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/**
 * The self-employed widget in real headless Chromium: a person opens the link, sees who asks and
 * their masked tax reference, and allows (the project is bound: token/info says so, a second token
 * for the same tax reference is refused) or declines; in English and in Russian; under the page's
 * Content-Security-Policy without one violation; not frameable by another site.
 */
let h: Harness;
let browser: Browser;
let context: BrowserContext;
let base: string;
const cspReports: string[] = [];

describe('self-employed widget (browser)', { skip: noBrowser }, () => {
  before(async () => {
    [h, browser] = await Promise.all([startHarness(), launchChromium()]);
    base = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
    context = await browser.newContext({ viewport: { width: 800, height: 700 } });
    await reportCspViolations(context, cspReports);
  });
  beforeEach(() => void (cspReports.length = 0));
  after(async () => {
    await context?.close();
    await browser?.close();
    await h?.close();
  });

  const text = (page: Page, testId: string) => page.locator(`[data-testid=${testId}]`).textContent();
  const tokenInfo = async (token: string) => (await h.call('token/info', { type: 'public_token', public_token: { token } })).json().info;

  test('Allow binds the tax reference to the project', async () => {
    const token = await publicToken(h, { self_employed_widget: { tax_reference: '500100732259' } });
    const page = await context.newPage();
    const response = await page.goto(`${base}/en/self-employed/${token}`);
    assert.equal(response?.status(), 200);
    assert.equal(response?.headers()['x-frame-options'], 'DENY');
    assert.match(response?.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/);
    assert.equal(await page.locator('h1').textContent(), 'Self-employed tax registration');
    assert.equal(await text(page, 'merchant'), 'demo');
    assert.equal(await text(page, 'tax-reference'), '50••••••2259');
    assert.match((await text(page, 'ask')) ?? '', /^demo asks your permission to register the income/);
    assert.equal(await page.locator('[data-testid=outcome-bound]').isHidden(), true);

    await page.locator('[data-testid=allow]').click();
    await eventually(async () => assert.equal(await page.locator('[data-testid=outcome-bound]').isVisible(), true));
    assert.match((await text(page, 'outcome-bound')) ?? '', /^Permission given/);
    assert.equal(await page.locator('[data-testid=ask]').isHidden(), true);
    const info = await tokenInfo(token);
    assert.equal(info.widgets.self_employed_widget.taxpayer_status, 'bound');
    assert.equal(info.is_active, false);

    // Reloaded, the page shows the answer, not the buttons.
    await page.reload();
    assert.equal(await page.locator('[data-testid=outcome-bound]').isVisible(), true);
    assert.equal(await page.locator('[data-testid=allow]').isVisible(), false);
    const again = await h.call('token', { self_employed_widget: { tax_reference: '500100732259' } });
    assert.equal(again.json().error.code, 'taxpayer_already_bound');
    assert.deepEqual(cspReports, []);
    await page.close();
  });

  test('in Russian: Decline records the refusal', async () => {
    const token = await publicToken(h, { self_employed_widget: { tax_reference: '381234567890' } });
    const page = await context.newPage();
    await page.goto(`${base}/ru/self-employed/${token}`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'ru');
    assert.equal(await page.locator('h1').textContent(), 'Регистрация дохода самозанятого');
    assert.equal(await text(page, 'allow'), 'Разрешить');
    await page.locator('[data-testid=decline]').click();
    await eventually(async () => assert.equal(await page.locator('[data-testid=outcome-declined]').isVisible(), true));
    assert.match((await text(page, 'outcome-declined')) ?? '', /^В разрешении отказано/);
    assert.equal((await tokenInfo(token)).widgets.self_employed_widget.taxpayer_status, 'declined');
    assert.deepEqual(cspReports, []);
    await page.close();
  });

  test('an answer the server refuses shows an error and leaves the buttons usable', async () => {
    const token = await publicToken(h, { self_employed_widget: { tax_reference: '772099887766' } });
    const page = await context.newPage();
    await page.goto(`${base}/en/self-employed/${token}`);
    // Meanwhile the person answers in another tab.
    const other = await h.runtime.app.inject({ method: 'POST', url: `/self-employed/${token}/answer`, headers: { 'content-type': 'application/json' }, payload: '{"answer":"allow"}' });
    assert.equal(other.statusCode, 200);
    await page.locator('[data-testid=decline]').click();
    await eventually(async () => assert.equal(await page.locator('[data-testid=error]').isVisible(), true));
    assert.equal(await text(page, 'error'), 'Your answer could not be recorded. Reload the page to try again.');
    assert.equal(await page.locator('[data-testid=allow]').isEnabled(), true);
    assert.equal((await tokenInfo(token)).widgets.self_employed_widget.taxpayer_status, 'bound');
    await page.reload();
    assert.equal(await page.locator('[data-testid=outcome-bound]').isVisible(), true);
    assert.deepEqual(cspReports, []);
    await page.close();
  });
});
