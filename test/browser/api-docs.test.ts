import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchChromium, noBrowser, reportCspViolations } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/**
 * GET /docs in real headless Chromium: Redoc, served by payrail itself, renders the OpenAPI
 * document (an operation's title is on the page), with no request leaving the server's origin and
 * no Content-Security-Policy violation.
 */
let h: Harness;
let browser: Browser;
let context: BrowserContext;
let base: string;
const requests: string[] = [];
const cspReports: string[] = [];

describe('API reference at /docs (browser)', { skip: noBrowser }, () => {
  before(async () => {
    [h, browser] = await Promise.all([startHarness(), launchChromium()]);
    base = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await reportCspViolations(context, cspReports);
    // Every request the page makes, wherever it goes; anything off the server's origin is refused.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      requests.push(url);
      return url.startsWith(`${base}/`) || url.startsWith('blob:') || url.startsWith('data:') ? route.continue() : route.abort();
    });
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await h?.close();
  });

  test('renders the operations from /openapi.json, offline, under its CSP', async () => {
    const page = await context.newPage();
    const response = await page.goto(`${base}/docs`);
    assert.equal(response?.status(), 200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /https?:|unsafe-eval/);

    // An operation's summary as Redoc renders it (the menu and the operation's heading).
    const title = 'The full session with its operations (§5.9)';
    await page.getByRole('heading', { name: title }).first().waitFor({ timeout: 20_000 });
    const body = await page.locator('body').innerText();
    assert.match(body, /payrail: Smart Glocal-compatible payment API/);
    assert.match(body, /X-PARTNER-SIGN/);

    const offsite = requests.filter((u) => !u.startsWith(`${base}/`) && !u.startsWith('blob:') && !u.startsWith('data:'));
    assert.deepEqual(offsite, [], 'every request stays on the payrail server');
    assert.ok(requests.includes(`${base}/docs/redoc.standalone.js`));
    assert.ok(requests.includes(`${base}/openapi.json`));
    assert.deepEqual(cspReports, []);
  });

  test('the bundle is the installed redoc package, served with a JavaScript type', async () => {
    const res = await h.runtime.app.inject({ method: 'GET', url: '/docs/redoc.standalone.js' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/javascript/);
    assert.ok(res.body.length > 500_000, 'the standalone bundle');
  });
});
