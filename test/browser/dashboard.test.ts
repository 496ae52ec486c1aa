import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { bankCard } from '../helpers/acquiring.js';
import { eventually, launchChromium, noBrowser, startShop, type Shop, reportCspViolations } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { ok, patchProject, untilFinal } from '../helpers/payouts.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';

/**
 * The operator's dashboard in real headless Chromium: a wrong token then the right one, a search by
 * metadata, a session's page with its operations, timeline, webhooks and ledger, Resend and the
 * new attempt it makes, hostile metadata shown as text, forged posts from another origin and from
 * another site refused, logout. Every page runs under its Content-Security-Policy without one
 * violation reported. With PAYRAIL_SCREENSHOTS=1 the main pages are saved to
 * docs/screenshots/dashboard-*.png.
 */
let h: Harness;
let browser: Browser;
let context: BrowserContext;
let shop: Shop;
let rx: Receiver;
let base: string;
let paidSession: string;
let hostileSession: string;
const cspReports: string[] = [];
const SHOTS = process.env['PAYRAIL_SCREENSHOTS'] === '1' ? path.resolve('docs/screenshots') : undefined;

const HOSTILE = { note: '<script>window.__pwned = 1</script>', attr: '"><img src=x onerror="window.__pwned = 2">', order: 'hostile-1' };

async function snap(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `dashboard-${name}.png`), fullPage: true });
}

describe('dashboard (browser)', { skip: noBrowser }, () => {
  before(async () => {
    [h, browser, shop] = await Promise.all([startHarness(), launchChromium(), startShop()]);
    base = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
    rx = await startReceiver(fs.readFileSync(path.join(h.dataDir, 'payrail.public.pem'), 'utf8'));
    await patchProject(h, 'demo', { auto_confirm: true, webhook_url: rx.url });
    // A paid session (operations, ledger entries, a delivered webhook) and one with hostile metadata.
    const init = await ok(h, 'session/init/payment', {
      payment_details: bankCard('4242424242424242'),
      amount_details: { amount: 12_500, currency: 'usd' },
      customer: { reference: 'ann', contacts: [{ email: 'ann@example.com' }] },
      metadata: { order: 'order-4711', shop: 'north' },
    });
    paidSession = init['session']['id'];
    await untilFinal(h, paidSession);
    hostileSession = (await ok(h, 'session/create', { amount_details: { amount: 990, currency: 'eur' }, metadata: HOSTILE }))['session']['id'];
    for (let i = 0; i < 3; i++) await ok(h, 'session/create', { amount_details: { amount: 100 * (i + 1), currency: 'usd' }, metadata: { order: `order-${i}` } });
    await eventually(async () => assert.ok(rx.received.some((r) => r.json.session?.['id'] === paidSession)));
    if (SHOTS) fs.mkdirSync(SHOTS, { recursive: true });

    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
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

  const message = (page: Page) => page.locator('[data-testid=message]').textContent();

  async function logIn(page: Page): Promise<void> {
    await context.clearCookies();
    await page.goto(`${base}/dashboard`);
    assert.equal(new URL(page.url()).pathname, '/dashboard/login');
    await page.fill('input[name=token]', h.runtime.adminToken);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/dashboard`);
  }

  test('login: a wrong token is told so, the right one opens the overview', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/dashboard/sessions`);
    assert.equal(new URL(page.url()).pathname, '/dashboard/login');
    await snap(page, 'login');
    await page.fill('input[name=token]', 'this-is-not-the-token');
    await page.click('button[type=submit]');
    assert.equal(await message(page), 'That admin token is not right.');
    assert.equal((await context.cookies()).some((c) => c.name === 'payrail_dashboard'), false);

    await page.fill('input[name=token]', h.runtime.adminToken);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/dashboard`);
    const cookie = (await context.cookies()).find((c) => c.name === 'payrail_dashboard')!;
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(await page.evaluate('document.cookie'), '', 'no script can read the session');
    assert.match((await page.locator('[data-testid=payments-24h]').textContent()) ?? '', /succeeded/);
    assert.match((await page.locator('[data-testid=clock]').textContent()) ?? '', /sandbox clock/);
    await snap(page, 'overview');
    assert.deepEqual(cspReports, []);
    await page.close();
  });

  test('search by metadata, open the session: operations, masked card, timeline, webhooks, ledger; Resend adds an attempt', async () => {
    const page = await context.newPage();
    await logIn(page);
    await page.click('nav a[href="/dashboard/sessions"]');
    assert.equal(await page.locator('[data-testid=sessions] tr').count(), 6); // header + five sessions
    await page.fill('input[name=q]', 'order-4711');
    await page.selectOption('select[name=kind]', 'payment');
    await page.click('form[role=search] button[type=submit]');
    await page.waitForURL(/q=order-4711/);
    const rows = page.locator('[data-testid=sessions] tr');
    assert.equal(await rows.count(), 2);
    await snap(page, 'sessions');
    await page.click(`a:text("${paidSession}")`);
    await page.waitForURL(`${base}/dashboard/sessions/${paidSession}`);

    assert.equal(await page.locator('[data-testid=session-status]').textContent(), 'accepted');
    const ops = (await page.locator('[data-testid=operations]').textContent()) ?? '';
    assert.match(ops, /payment/);
    assert.match(ops, /125\.00 USD/);
    assert.equal(await page.locator('[data-testid=card]').textContent(), 'visa 424242••••4242');
    assert.doesNotMatch(await page.content(), /4242424242424242/);
    const timeline = (await page.locator('[data-testid=timeline]').textContent()) ?? '';
    // session/init/payment creates the session and starts its payment in one transaction: it was never committed as created.
    assert.match(timeline, /session .*created as in_progress/);
    assert.match(timeline, /payment .*succeeded/);
    assert.match(timeline, /webhook payment_finished delivery: HTTP 200/);
    assert.match(timeline, /ledger/);
    assert.ok((await page.locator('[data-testid=ledger] tr').count()) > 1);

    const webhook = page.locator('[data-testid=webhook]').last();
    const attempts = await webhook.locator('[data-testid=attempt]').count();
    assert.ok(attempts >= 1);
    assert.match((await webhook.locator('[data-testid=attempts]').textContent()) ?? '', /200.*ms.*ok/s);
    await snap(page, 'session');
    const deliveredBefore = rx.received.length;
    await webhook.locator('[data-testid=resend]').click();
    await page.waitForURL(/done=resent/);
    assert.match((await message(page)) ?? '', /queued again/);
    await eventually(async () => {
      await page.reload();
      assert.equal(await page.locator('[data-testid=webhook]').last().locator('[data-testid=attempt]').count(), attempts + 1);
    });
    assert.ok(rx.received.length > deliveredBefore, 'the receiver got the webhook again');
    assert.deepEqual(cspReports, []);
    await page.close();
  });

  test('hostile metadata is shown as text and runs nothing', async () => {
    const page = await context.newPage();
    await logIn(page);
    await page.goto(`${base}/dashboard/sessions?q=hostile-1`);
    assert.match((await page.locator('[data-testid=metadata]').first().textContent()) ?? '', /<script>window.__pwned = 1<\/script>/);
    await page.goto(`${base}/dashboard/sessions/${hostileSession}`);
    const shown = JSON.parse((await page.locator('[data-testid=session-metadata]').textContent()) ?? '{}');
    assert.deepEqual(shown, HOSTILE);
    assert.equal(await page.locator('main img').count(), 0);
    assert.equal(await page.locator('main script').count(), 0);
    assert.equal(await page.evaluate('window.__pwned'), undefined);
    await page.close();
  });

  test('a forged POST from another origin or another site is refused, and changes nothing', async () => {
    const page = await context.newPage();
    await logIn(page);
    const offset = h.clock.offsetMs;
    const forge = (target: string, withToken: boolean) => `<!doctype html><meta charset="utf-8"><title>Win a prize</title>
<form id="f" method="post" action="${target}"><input name="amount" value="30"><input name="unit" value="days">${withToken ? '<input name="_csrf" value="guessed-token">' : ''}</form>
<script>document.getElementById('f').submit()</script>`;
    shop.page('/same-site', forge(`${base}/dashboard/sandbox/clock`, true));
    shop.page('/cross-site', forge(`${base}/dashboard/sandbox/clock`, false));

    // Another origin on the same site (127.0.0.1, another port): the browser sends the cookie, the Origin check and the missing token refuse it.
    const sameSite = page.waitForResponse((r) => r.url() === `${base}/dashboard/sandbox/clock`);
    await page.goto(`${shop.url}/same-site`);
    const a = await sameSite;
    assert.equal(a.status(), 403);
    await page.waitForLoadState();
    assert.match((await message(page)) ?? '', /authorization_error: refused: the request came from http:\/\/127\.0\.0\.1:\d+, not this dashboard/);

    // Another site (localhost is not 127.0.0.1): SameSite=Strict keeps the cookie home, Sec-Fetch-Site says cross-site.
    const crossSite = page.waitForResponse((r) => r.url() === `${base}/dashboard/sandbox/clock`);
    await page.goto(`${shop.url.replace('127.0.0.1', 'localhost')}/cross-site`);
    const b = await crossSite;
    assert.equal(b.status(), 403);
    await page.waitForLoadState();
    assert.match((await message(page)) ?? '', /refused: the request came from another site/);
    assert.equal(h.clock.offsetMs, offset, 'the clock did not move');

    // The same form from the dashboard's own page, with its token, does move it.
    await page.goto(`${base}/dashboard/sandbox`);
    await snap(page, 'sandbox');
    await page.fill('input[name=amount]', '2');
    await page.selectOption('select[name=unit]', 'hours');
    await page.click('[data-testid=advance]');
    await page.waitForURL(/done=clock/);
    assert.equal(Math.round((h.clock.offsetMs - offset) / 1000), 7200);
    await page.close();
  });

  test('the other pages: projects, wallets and ledger, the request log; logout', async () => {
    const page = await context.newPage();
    await logIn(page);
    await page.click('nav a[href="/dashboard/projects"]');
    await page.click('a:text("demo")');
    assert.match((await page.locator('[data-testid=settings]').textContent()) ?? '', /auto_confirm/);
    await snap(page, 'project');
    await page.click('a:text("Delete…")');
    assert.match((await page.locator('main').textContent()) ?? '', /only key: add its replacement first/);
    await page.click('[data-testid=confirm-delete]');
    assert.match((await message(page)) ?? '', /invalid_request: .*only active key/);

    await page.goto(`${base}/dashboard/ledger`);
    assert.match((await page.locator('[data-testid=trial-balance]').textContent()) ?? '', /^ok /);
    await page.fill('input[name=amount]', '5000');
    await page.fill('input[name=currency]', 'usd');
    await page.click('form[action="/dashboard/ledger/topup"] button');
    await page.waitForURL(/done=topup/);
    assert.equal(await message(page), 'Wallet topped up.');
    await snap(page, 'ledger');

    await h.runtime.requestLog.flush();
    await page.goto(`${base}/dashboard/requests?status=2xx`);
    await eventually(async () => {
      await page.reload();
      assert.match((await page.locator('[data-testid=requests]').textContent()) ?? '', /session\/init\/payment/);
    });
    await snap(page, 'requests');

    await page.click('[data-testid=logout]');
    await page.waitForURL(/\/dashboard\/login\?out=1/);
    assert.equal(await message(page), 'You are logged out.');
    await page.goto(`${base}/dashboard`);
    assert.equal(new URL(page.url()).pathname, '/dashboard/login');
    assert.deepEqual(cspReports, []);
    await page.close();
  });
});
