import type { FastifyReply } from 'fastify';
import { HostedPage } from '../pages/html.js';
import { html, type Fragment, type Html } from './template.js';

/**
 * The dashboard's pages: the hosted pages' look and strict policy (src/edge/pages/html.ts: no
 * script at all, the one <style> by hash, forms only to this origin, never framed), wider.
 */
const CSS = `
  nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: center; border-bottom: 1px solid #e3e7ef; padding-bottom: .75rem; margin-bottom: 1.25rem; }
  nav a { color: #1d2330; text-decoration: none; padding: .25rem 0; }
  nav a.here { color: #1f5eff; font-weight: 600; border-bottom: 2px solid #1f5eff; }
  nav .brand { font-weight: 700; margin-right: .5rem; }
  nav form { margin-left: auto; }
  h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
  a { color: #1f5eff; }
  table { border-collapse: collapse; width: 100%; font-size: .875rem; margin-bottom: 1rem; }
  th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #eef0f5; vertical-align: top; }
  th { color: #5b6475; font-weight: 600; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .8125rem; }
  pre { white-space: pre-wrap; word-break: break-all; background: #f6f8fb; padding: .5rem; border-radius: 6px; margin: 0; }
  form.filters { display: flex; flex-wrap: wrap; gap: .75rem; align-items: flex-end; margin-bottom: 1rem; }
  form.inline { display: inline; }
  form.stack { display: grid; gap: .6rem; max-width: 36rem; margin-bottom: 1rem; }
  label { display: grid; gap: .2rem; font-size: .8125rem; color: #5b6475; }
  input, select, textarea { font: inherit; font-size: .875rem; padding: .45rem .5rem; border: 1px solid #c6ccd8; border-radius: 6px; background: #fff; color: #1d2330; }
  textarea { min-height: 8rem; font-family: ui-monospace, monospace; }
  button { flex: none; padding: .45rem .9rem; }
  button.danger { border-color: #c62828; color: #c62828; }
  .badge { display: inline-block; padding: .05rem .45rem; border-radius: 999px; font-size: .75rem; background: #eef0f5; }
  .badge.ok { background: #e3f4e8; color: #1b6e34; } .badge.bad { background: #fde8e8; color: #a61b1b; } .badge.wait { background: #fff4d6; color: #7a5a00; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 1rem; }
  .card { border: 1px solid #e3e7ef; border-radius: 10px; padding: .75rem 1rem; }
  .card h2 { margin-top: 0; }
  .big { font-size: 1.6rem; font-weight: 700; }
  .msg { padding: .6rem .8rem; border-radius: 8px; margin-bottom: 1rem; }
  .msg.error { background: #fde8e8; color: #a61b1b; } .msg.ok { background: #e3f4e8; color: #1b6e34; }
  .timeline { list-style: none; padding: 0; margin: 0 0 1rem; border-left: 2px solid #e3e7ef; }
  .timeline li { padding: .3rem 0 .3rem .9rem; font-size: .875rem; }
  .timeline time { color: #5b6475; margin-right: .5rem; }
  .muted { color: #5b6475; }
  .webhook-head { display: flex; justify-content: space-between; align-items: center; gap: 1rem; margin-bottom: .5rem; }
  .pager { display: flex; gap: 1rem; }
`;

export const DASHBOARD_PAGE = new HostedPage({ css: `${CSS}  main { max-width: 76rem; margin: 1.5rem auto; }\n`, frameAncestors: 'none' });
/** Login and refusals: the hosted pages' narrow card. */
const BARE_PAGE = new HostedPage({ css: CSS, frameAncestors: 'none' });

export const NAV = [
  ['overview', '/dashboard', 'Overview'],
  ['sessions', '/dashboard/sessions', 'Sessions'],
  ['projects', '/dashboard/projects', 'Projects'],
  ['ledger', '/dashboard/ledger', 'Wallets & ledger'],
  ['requests', '/dashboard/requests', 'Request log'],
  ['sandbox', '/dashboard/sandbox', 'Sandbox'],
] as const;
export type Section = (typeof NAV)[number][0];

/** The hidden field every state-changing form carries (checked by the dashboard's preHandler). */
export const csrfField = (token: string): Html => html`<input type="hidden" name="_csrf" value="${token}">`;

export interface PageContext {
  readonly csrf: string;
}

export interface PageOptions {
  readonly title: string;
  readonly section: Section;
  readonly body: Fragment;
  readonly status?: number;
  readonly message?: { readonly kind: 'ok' | 'error'; readonly text: string } | undefined;
}

function nav(ctx: PageContext, section: Section): Html {
  return html`<nav aria-label="Dashboard">
<span class="brand">payrail</span>
${NAV.map(([id, href, label]) => html`<a href="${href}"${id === section ? html` class="here" aria-current="page"` : ''}>${label}</a>`)}
<form method="post" action="/dashboard/logout">${csrfField(ctx.csrf)}<button type="submit" data-testid="logout">Log out</button></form>
</nav>`;
}

export const messageBox = (m: PageOptions['message']): Fragment =>
  m && html`<p class="msg ${m.kind}" role="${m.kind === 'error' ? 'alert' : 'status'}" data-testid="message">${m.text}</p>`;

/**
 * The hosted pages' headers, but the referrer is kept within the origin: with `no-referrer` a
 * browser sends `Origin: null` on the dashboard's own form posts, which the origin check refuses.
 */
const headers = (page: HostedPage = DASHBOARD_PAGE) => ({ ...page.headers(["'self'"]), 'referrer-policy': 'same-origin' });

/** Sends a dashboard page. */
export function sendPage(reply: FastifyReply, ctx: PageContext, o: PageOptions): FastifyReply {
  const body = html`${nav(ctx, o.section)}<h1>${o.title}</h1>${messageBox(o.message)}${o.body}`;
  return reply
    .code(o.status ?? 200)
    .headers(headers())
    .send(DASHBOARD_PAGE.render(`${o.title} · payrail dashboard`, body.value));
}

/** A page without the navigation (login, errors before login). */
export function sendBarePage(reply: FastifyReply, title: string, body: Fragment, status = 200): FastifyReply {
  return reply
    .code(status)
    .headers(headers(BARE_PAGE))
    .send(BARE_PAGE.render(`${title} · payrail dashboard`, html`<h1>${title}</h1>${body}`.value));
}

const GOOD = new Set(['accepted', 'succeeded', 'delivered', 'ok']);
const BAD = new Set(['error', 'failed', 'declined', 'cancelled', 'no_endpoint']);
export const badge = (status: string): Html =>
  html`<span class="badge${GOOD.has(status) ? ' ok' : BAD.has(status) ? ' bad' : ' wait'}">${status}</span>`;

export const time = (d: Date | null | undefined): Html => (d ? html`<time datetime="${d.toISOString()}">${d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>` : html`<span class="muted">–</span>`);
