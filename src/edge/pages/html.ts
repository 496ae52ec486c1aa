import { formatMinorUnits } from '../../kernel/money.js';
/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`=/]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A minimal, self-contained page (no external CDN: it works offline). `head` is trusted markup (styles, scripts). */
export function page(title: string, body: string, lang = 'en', head = ''): string {
  return `<!doctype html>
<html lang="${escapeHtml(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  :root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; background: #f3f5f9; }
  main { max-width: 26rem; margin: 3rem auto; padding: 1.5rem; background: #fff; border-radius: 12px; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
  h1 { font-size: 1.25rem; margin: 0 0 1rem; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: .4rem 1rem; margin: 0 0 1.5rem; }
  dt { color: #5b6475; } dd { margin: 0; font-weight: 600; }
  .actions { display: flex; gap: .75rem; }
  button { flex: 1; font: inherit; padding: .75rem; border-radius: 8px; border: 1px solid #c6ccd8; background: #fff; cursor: pointer; }
  button.primary { background: #1f5eff; border-color: #1f5eff; color: #fff; }
  button:focus-visible { outline: 3px solid #9db8ff; outline-offset: 2px; }
  .note { color: #5b6475; font-size: .875rem; margin-top: 1rem; }
</style>
${head}
</head>
<body><main>${body}</main></body>
</html>`;
}

export function formatAmount(amount: number, currency: string, exponent: number): string {
  return `${formatMinorUnits(amount, exponent)} ${currency.toUpperCase()}`;
}

/**
 * Headers of the payer-facing pages that run scripts (widget, payment page): scripts only from this
 * origin (so escaped data can never become code), no referrer (their URLs carry the public token),
 * and frames for the inline 3-D Secure step, whose page may hand over to the partner's return URL.
 */
export const PAYER_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-src 'self' http: https:; form-action 'self'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};
