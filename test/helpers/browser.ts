import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import type { Harness } from './harness.js';

/**
 * Pieces of the browser tests and the screenshot script: the system Chromium (never a downloaded
 * one), a partner's "shop" on loopback (its own origin, serving the pages that embed payrail and
 * the return URLs the payer lands on), public tokens and payment links, and retrying assertions.
 */
export const CHROMIUM = process.env['PAYRAIL_CHROMIUM'] ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here (a message for the skip), or false when they can. */
export const noBrowser: string | false = fs.existsSync(CHROMIUM)
  ? false
  : `browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set PAYRAIL_CHROMIUM)`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Records every Content-Security-Policy violation on the context's pages into `reports`, both ways
 * one shows: the securitypolicyviolation event (in every frame) and Chromium's console error.
 */
export async function reportCspViolations(context: BrowserContext, reports: string[]): Promise<void> {
  await context.addInitScript(
    "document.addEventListener('securitypolicyviolation', (e) => console.error('securitypolicyviolation: ' + e.violatedDirective + ' ' + e.blockedURI));",
  );
  context.on('console', (m) => {
    if (/securitypolicyviolation|Content Security Policy/i.test(m.text())) reports.push(`${m.location().url}: ${m.text()}`);
  });
}

/** The partner's site: pages set by the test, every other path answers "back at the shop" and is recorded. */
export interface Shop {
  readonly url: string;
  readonly visits: string[];
  page(path: string, html: string): void;
  close(): Promise<void>;
}

export async function startShop(): Promise<Shop> {
  const pages = new Map<string, string>();
  const visits: string[] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    visits.push(path);
    const html = pages.get(path.split('?')[0] ?? '') ?? `<!doctype html><meta charset="utf-8"><title>Shop</title><h1>Back at the shop</h1><p id="path"></p>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    visits,
    page: (path, html) => void pages.set(path, html),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A partner page embedding the widget from `payrail`: what it receives goes to window.__tokens and
 * window.__errors (and on the page, for the screenshots).
 */
export function partnerPage(payrail: string, publicToken: string, locale: 'en' | 'ru' = 'en'): string {
  return `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Example shop: checkout</title>
<style>body{font-family:system-ui,sans-serif;margin:0;background:#fafafa;color:#222}header{background:#222;color:#fff;padding:.8rem 1.2rem;font-weight:700}
.wrap{max-width:28rem;margin:1.5rem auto;padding:0 1rem}#card{background:#fff;border:1px solid #ddd;border-radius:10px;padding:.75rem}#out{font:12px monospace;white-space:pre-wrap;word-break:break-all}</style></head>
<body><header>Example shop</header><div class="wrap"><h2>Add a card for payouts</h2>
<div id="card"></div><pre id="out"></pre></div>
<script src="${payrail}/widget/tokenize.js"></script>
<script>
  window.__tokens = []; window.__errors = [];
  PayrailTokenize.mount(document.getElementById('card'), {
    publicToken: ${JSON.stringify(publicToken)},
    locale: ${JSON.stringify(locale)},
    onToken: function (result) { window.__tokens.push(result); document.getElementById('out').textContent = 'token: ' + result.token; },
    onError: function (err) { window.__errors.push(err); }
  });
</script></body></html>`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function okCall(h: Harness, method: string, body: unknown): Promise<any> {
  const res = await h.call(method, body);
  assert.equal(res.statusCode, 200, `${method}: ${res.body}`);
  return res.json();
}

export async function publicToken(h: Harness, body: Record<string, unknown>): Promise<string> {
  return (await okCall(h, 'token', body)).public_token;
}

/** A session to pay on the hosted page and its acquiring_widget public token. */
export async function paymentLink(
  h: Harness,
  o: { amount?: number; currency?: string; locale?: 'en' | 'ru'; success?: string; failure?: string; recurrent?: boolean } = {},
): Promise<{ sessionId: string; token: string }> {
  const created = await okCall(h, 'session/create', { amount_details: { amount: o.amount ?? 1250, currency: o.currency ?? 'usd' } });
  const sessionId: string = created.session.id;
  const widget: Record<string, unknown> = { session_id: sessionId, locale: o.locale ?? 'en' };
  if (o.success) widget['success_return_url'] = o.success;
  if (o.failure) widget['failure_return_url'] = o.failure;
  if (o.recurrent) widget['show_recurrent_checkbox'] = true;
  return { sessionId, token: await publicToken(h, { acquiring_widget: widget }) };
}

/** Retries `check` (an assertion) until it passes or `timeoutMs` is over; then its last failure is thrown. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() - started > timeoutMs) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
