import { createHash } from 'node:crypto';
import { formatMinorUnits } from '../../kernel/money.js';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`=/]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The styles every hosted page starts with. */
const BASE_CSS = `
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
`;

/**
 * Who may frame a hosted page (CSP frame-ancestors, and X-Frame-Options for browsers without it):
 * - `none`: nobody (the payment page, the link-problem page);
 * - `self`: only payrail's own pages (the 3-D Secure page, which the payment page shows inline);
 * - `partners`: any web page (the tokenization widget, which partners frame on their checkout).
 */
export type FrameAncestors = 'none' | 'self' | 'partners';

export interface HostedPageSpec {
  /** The page's own styles, after the base ones, in its one <style> element (allowed by hash). */
  readonly css?: string;
  /** Same-origin script paths, loaded with defer; none means script-src falls back to 'none'. */
  readonly scripts?: readonly string[];
  /** Whether its scripts call back to payrail (fetch): connect-src 'self'. */
  readonly connect?: boolean;
  /** Whether it frames payrail's own pages (the inline 3-D Secure step): frame-src 'self'. */
  readonly frames?: boolean;
  readonly frameAncestors: FrameAncestors;
}

/** The CSP source a form needs to be redirected to `url`: its origin (scheme, host, port); undefined for a URL that is not http(s). */
export function formTarget(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  // A host CSP can name (no IPv6 literal, no underscore); anything else is allowed by its scheme only.
  return /^[a-z0-9-]+(\.[a-z0-9-]+)*$/i.test(u.hostname) ? `${u.protocol}//${u.host}` : u.protocol;
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * A kind of hosted page: its markup shell and the security headers that go with exactly that
 * markup. The policy is the same strict one on every page: nothing but what the page names
 * (default-src 'none'), scripts only the page's own files from this origin (no inline script, so
 * escaped data can never become code), its one <style> element by hash (no inline style
 * attributes), no <base>, forms only where `formAction` says, framing as `frameAncestors` says, no
 * MIME sniffing and no referrer (the URLs carry public tokens and 3-D Secure ids).
 */
export class HostedPage {
  private readonly css: string;
  private readonly styleHash: string;

  constructor(private readonly spec: HostedPageSpec) {
    this.css = BASE_CSS + (spec.css ?? '');
    this.styleHash = sha256(this.css);
  }

  /** The page; `body` is trusted markup whose data the caller has escaped. */
  render(title: string, body: string, lang = 'en'): string {
    const scripts = (this.spec.scripts ?? []).map((src) => `\n<script src="${src}" defer></script>`).join('');
    return `<!doctype html>
<html lang="${escapeHtml(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${this.css}</style>${scripts}
</head>
<body><main>${body}</main></body>
</html>`;
  }

  /** The headers of a response carrying this page; `formAction` lists where its forms may go ('none' when empty). */
  headers(formAction: readonly string[] = []): Record<string, string> {
    const { scripts = [], connect = false, frames = false, frameAncestors } = this.spec;
    const ancestors = { none: "'none'", self: "'self'", partners: 'https: http:' }[frameAncestors];
    const csp = [
      "default-src 'none'",
      ...(scripts.length > 0 ? ["script-src 'self'"] : []),
      `style-src ${this.styleHash}`,
      ...(connect ? ["connect-src 'self'"] : []),
      ...(frames ? ["frame-src 'self'"] : []),
      `form-action ${formAction.length > 0 ? [...new Set(formAction)].join(' ') : "'none'"}`,
      `frame-ancestors ${ancestors}`,
      "base-uri 'none'",
    ].join('; ');
    return {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': csp,
      ...(frameAncestors === 'partners' ? {} : { 'x-frame-options': frameAncestors === 'self' ? 'SAMEORIGIN' : 'DENY' }),
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    };
  }
}

export function formatAmount(amount: number, currency: string, exponent: number): string {
  return `${formatMinorUnits(amount, exponent)} ${currency.toUpperCase()}`;
}
