import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { hook } from '../helpers/acquiring.js';
import { eventually, launchChromium, noBrowser, startShop, type Shop, reportCspViolations } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { ok, patchProject } from '../helpers/payouts.js';

/**
 * An FPS (SBP) QR payment in real headless Chromium: the partner's checkout shows the QR image from
 * action_required (it must load as an image), the payer opens the QR's content (the sandbox bank
 * app) and pays, and lands back on return_url while payment_finished reaches the partner; a second
 * payer declines. No Content-Security-Policy violation on the way.
 */
let h: Harness;
let browser: Browser;
let context: BrowserContext;
let shop: Shop;
let rx: Receiver;
let base: string;
const cspReports: string[] = [];

describe('FPS bank app (browser)', { skip: noBrowser }, () => {
  before(async () => {
    [h, browser, shop] = await Promise.all([startHarness(), launchChromium(), startShop()]);
    base = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
    rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
    await patchProject(h, 'demo', { webhook_url: rx.url, auto_confirm: true });
    context = await browser.newContext({ viewport: { width: 420, height: 800 } });
    await reportCspViolations(context, cspReports);
  });
  beforeEach(() => void (cspReports.length = 0));
  after(async () => {
    await context?.close();
    await browser?.close();
    await shop?.close();
    await rx?.close();
    await h?.close();
  });

  /** An FPS payment up to action_required (auto-confirm: no ready_to_confirm); the QR and where it leads on this server. */
  async function qrPayment(amount: number, back: string) {
    const init = await ok(h, 'session/init/payment', {
      payment_details: { type: 'faster_payment_system' },
      amount_details: { amount, currency: 'RUB' },
      customer: { reference: 'browser-payer' },
      payment_options: { return_url: back },
    });
    const sid: string = init.session.id;
    const ar = await hook(rx, sid, 1, 'action_required');
    const qr = ar.session['acquiring_payments'][0].customer_interaction.inform.qr as { content: string; img: string };
    return { sid, qr, bankApp: `${base}${new URL(qr.content).pathname}` };
  }

  test('the checkout shows the QR; the payer opens it, pays, and is back at the shop; payment_finished succeeded', async () => {
    const { sid, qr, bankApp } = await qrPayment(129900, `${shop.url}/return/ok?order=11`);
    shop.page('/checkout', `<!doctype html><meta charset="utf-8"><title>Checkout</title><img id="qr" alt="Pay with SBP" src="${qr.img}"><a id="open" href="${bankApp}">Open the bank app</a>`);
    const page = await context.newPage();
    await page.goto(`${shop.url}/checkout`);
    const size = await page.locator('#qr').evaluate((img) => { const i = img as unknown as { complete: boolean; naturalWidth: number; naturalHeight: number }; return [i.complete, i.naturalWidth, i.naturalHeight]; });
    assert.equal(size[0], true);
    assert.ok(Number(size[1]) >= 200 && size[1] === size[2], `a square QR image, got ${JSON.stringify(size)}`);

    await page.locator('#open').click();
    await page.waitForURL(bankApp);
    assert.equal(await page.locator('[data-testid=amount]').textContent(), '1299.00 RUB');
    assert.equal(await page.locator('[data-testid=merchant]').textContent(), 'demo');
    await page.getByRole('button', { name: 'Pay' }).click();
    await page.waitForURL(`${shop.url}/return/ok?order=11`);
    const fin = await hook(rx, sid, 2, 'payment_finished');
    const p = fin.session['acquiring_payments'][0];
    assert.deepEqual([fin.session['status'], p.status, p.payment_details], ['accepted', 'succeeded', { type: 'faster_payment_system' }]);
    assert.deepEqual(cspReports, []);
    await page.close();
  });

  test('another payer declines in the bank app: payment_finished failed with cancelled_by_customer', async () => {
    const { sid, bankApp } = await qrPayment(5000, `${shop.url}/return/any`);
    const page = await context.newPage();
    await page.goto(bankApp);
    await page.getByRole('button', { name: 'Decline' }).click();
    await page.waitForURL(`${shop.url}/return/any`);
    const fin = await hook(rx, sid, 2, 'payment_finished');
    const p = fin.session['acquiring_payments'][0];
    assert.deepEqual([fin.session['status'], p.status, p.error], ['cancelled', 'failed', { code: 'cancelled_by_customer', description: 'the payer declined the FPS payment in the bank app' }]);
    // Opened again, the bank app says it is over and offers no button.
    await page.goto(bankApp);
    await eventually(async () => assert.equal(await page.locator('[data-testid=closed]').textContent(), 'This payment is no longer waiting for you.'));
    assert.equal(await page.getByRole('button').count(), 0);
    assert.deepEqual(cspReports, []);
    await page.close();
  });
});
