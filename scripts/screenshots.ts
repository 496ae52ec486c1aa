/**
 * Screenshots of the payer-facing pages for docs/screenshots/, on a desktop and a phone-sized screen:
 *   node --import tsx scripts/screenshots.ts
 * Runs payrail in-process on an in-memory PGlite database (sandbox, `demo` project) and the system
 * Chromium (/usr/bin/chromium, or PAYRAIL_CHROMIUM); nothing is downloaded.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { launchChromium, noBrowser, partnerPage, paymentLink, publicToken, startShop, type Shop } from '../test/helpers/browser.js';
import { startHarness, type Harness } from '../test/helpers/harness.js';

const OUT = path.resolve('docs/screenshots');

const SCREENS: Record<'desktop' | 'phone', BrowserContextOptions> = {
  desktop: { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 },
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
};

async function fillCard(page: Page, number: string, expiry = '12/30', csc = '123'): Promise<void> {
  await page.locator('#card-number').pressSequentially(number);
  await page.locator('#card-expiry').pressSequentially(expiry);
  await page.locator('#card-csc').pressSequentially(csc);
}

async function shots(h: Harness, browser: Browser, base: string, shop: Shop, screen: 'desktop' | 'phone'): Promise<string[]> {
  const context = await browser.newContext(SCREENS[screen]);
  const saved: string[] = [];
  const snap = async (page: Page, name: string) => {
    const file = path.join(OUT, `${name}-${screen}.png`);
    await page.screenshot({ path: file, fullPage: screen === 'phone' });
    saved.push(file);
  };
  try {
    // The widget on a partner's checkout page, a Visa number on its way in.
    const widgetToken = await publicToken(h, { tokenize_widget: { access: true, locale: 'en' } });
    shop.page(`/checkout-${screen}`, partnerPage(base, widgetToken));
    let page = await context.newPage();
    await page.goto(`${shop.url}/checkout-${screen}`);
    const frame = page.frameLocator('#card iframe');
    await frame.locator('#card-number').pressSequentially('4242 4242 4242 4242');
    await frame.locator('#card-expiry').pressSequentially('01/20');
    await frame.locator('#card-csc').click();
    await frame.locator('#card-expiry-error').waitFor();
    await snap(page, 'widget');
    await page.close();

    // The payment page's form, filled in.
    let link = await paymentLink(h, { amount: 1250, recurrent: true });
    page = await context.newPage();
    await page.goto(`${base}/payment/${link.token}`);
    await fillCard(page, '4242424242424242');
    await snap(page, 'payment-form');
    // …and paid: success.
    await page.locator('[data-testid=pay]').click();
    await page.locator('[data-testid=result-title]').waitFor();
    await snap(page, 'success');
    await page.close();

    // The 3-D Secure step, inline.
    link = await paymentLink(h, { amount: 4999, currency: 'eur' });
    page = await context.newPage();
    await page.goto(`${base}/payment/${link.token}`);
    await fillCard(page, '4000000000003220');
    await page.locator('[data-testid=pay]').click();
    await page.frameLocator('#challenge-frame').getByRole('button', { name: 'Confirm' }).waitFor();
    await page.waitForFunction('document.getElementById("challenge-frame").style.height !== ""');
    await snap(page, '3ds');
    await page.close();

    // A declined card.
    link = await paymentLink(h, { amount: 1250 });
    page = await context.newPage();
    await page.goto(`${base}/payment/${link.token}`);
    await fillCard(page, '4000000000000002');
    await page.locator('[data-testid=pay]').click();
    await page.locator('[data-testid=result-title]').waitFor();
    await snap(page, 'failure');
    await page.close();

    // Russian, with a live validation error.
    link = await paymentLink(h, { amount: 150000, currency: 'rub', locale: 'ru', recurrent: true });
    page = await context.newPage();
    await page.goto(`${base}/payment/${link.token}`);
    await page.locator('#card-number').pressSequentially('2200 0000 0000 0005');
    await page.locator('#card-number-error').waitFor();
    await page.locator('#card-expiry').pressSequentially('12/30');
    await snap(page, 'ru');
    await page.close();
  } finally {
    await context.close();
  }
  return saved;
}

async function main(): Promise<void> {
  if (noBrowser) throw new Error(noBrowser);
  fs.mkdirSync(OUT, { recursive: true });
  const h = await startHarness();
  const shop = await startShop();
  const browser = await launchChromium();
  try {
    const base = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
    // The screenshots show the payer's side only: payments go through without the partner's session/confirm.
    const res = await h.admin('PATCH', '/projects/demo', { auto_confirm: true });
    if (res.statusCode !== 200) throw new Error(res.body);
    for (const screen of ['desktop', 'phone'] as const) {
      for (const file of await shots(h, browser, base, shop, screen)) console.log(path.relative(process.cwd(), file));
    }
  } finally {
    await browser.close();
    await shop.close();
    await h.close();
  }
}

await main();
