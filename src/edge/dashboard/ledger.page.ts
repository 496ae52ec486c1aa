import type { FastifyInstance } from 'fastify';
import { listProjects } from '../../domain/projects/project-list.js';
import { ApiError } from '../../kernel/errors.js';
import type { PageDeps } from './deps.js';
import { badge, csrfField, sendPage } from './layout.js';
import { jsonText, money } from './format.js';
import { html } from './template.js';

interface TrialBalance {
  balanced: boolean;
  currencies: unknown;
  unbalanced_entries: unknown[];
  drifted_accounts: unknown[];
  negative_wallets: unknown[];
}
interface Wallet {
  wallets: { id: string; amount_details: { amount: number; currency: string } }[];
  accounts: { kind: string; currency: string; balance: number | string }[];
}

/** Wallets and the ledger: the admin API's ledger routes (src/edge/admin/ledger.routes.ts), in process. */
export function ledgerPage(app: FastifyInstance, deps: PageDeps): void {
  app.get<{ Querystring: { done?: string } }>('/ledger', async (req, reply) => {
    const ctx = deps.ctx(req);
    const tb = await deps.admin<TrialBalance>('GET', '/ledger/trial-balance');
    const projects = await listProjects(deps.db);
    const wallets = [];
    for (const p of projects) wallets.push({ name: p.name, w: await deps.admin<Wallet>('GET', `/projects/${encodeURIComponent(p.name)}/wallet`) });
    const body = html`<h2>Trial balance</h2>
<p data-testid="trial-balance">${tb.balanced ? badge('ok') : badge('error')} ${tb.balanced ? 'every entry sums to zero, every account balance matches its postings, no wallet is negative' : 'the ledger does not balance: see below'}</p>
<table><tr><th>sum of postings per currency</th><td>${
      Array.isArray(tb.currencies)
        ? (tb.currencies as { currency: string; total: number | string }[]).map((c) => html`<span class="badge${Number(c.total) === 0 ? ' ok' : ' bad'}">${c.currency.toUpperCase()} ${String(c.total)}</span> `)
        : html`<code>${jsonText(tb.currencies)}</code>`
    }</td></tr>
<tr><th>unbalanced entries</th><td>${tb.unbalanced_entries.length}</td></tr><tr><th>drifted accounts</th><td>${tb.drifted_accounts.length}</td></tr>
<tr><th>negative wallets</th><td>${tb.negative_wallets.length}</td></tr></table>

<h2>Balances</h2>
<table data-testid="balances"><tr><th>project</th><th>account</th><th>currency</th><th class="num">balance</th></tr>
${wallets.map(({ name, w }) =>
  w.accounts.length === 0
    ? html`<tr><td>${name}</td><td class="muted" colspan="3">no account yet</td></tr>`
    : w.accounts.map((a) => html`<tr><td>${name}</td><td>${a.kind}</td><td>${a.currency.toUpperCase()}</td><td class="num">${money(Number(a.balance), a.currency)}</td></tr>`),
)}</table>
${
  deps.sandboxClock
    ? html`<h2>Top up a wallet (sandbox)</h2>
<form method="post" action="/dashboard/ledger/topup" class="filters">${csrfField(ctx.csrf)}
<label>Project <select name="project">${projects.map((p) => html`<option value="${p.name}">${p.name}</option>`)}</select></label>
<label>Amount (minor units) <input type="number" name="amount" min="1" step="1" required value="100000"></label>
<label>Currency <input name="currency" required value="rub" size="4"></label>
<button type="submit" class="primary">Top up</button></form>`
    : html`<p class="muted">Wallets are topped up with <code>POST /admin/projects/&lt;name&gt;/wallet/topup</code> in live mode.</p>`
}`;
    const message = req.query.done === 'topup' ? { kind: 'ok' as const, text: 'Wallet topped up.' } : undefined;
    return sendPage(reply, ctx, { title: 'Wallets & ledger', section: 'ledger', body, message });
  });

  app.post<{ Body: Record<string, string> | undefined }>('/ledger/topup', async (req, reply) => {
    if (!deps.sandboxClock) throw new ApiError('authorization_error', 'the dashboard tops up wallets in sandbox mode only');
    const amount = req.body?.['amount'] ?? '';
    if (!/^[1-9]\d{0,15}$/.test(amount)) throw new ApiError('invalid_request', 'amount: must be a positive whole number of minor units');
    const name = req.body?.['project'] ?? '';
    await deps.admin('POST', `/projects/${encodeURIComponent(name)}/wallet/topup`, { amount: Number(amount), currency: req.body?.['currency'] ?? '' });
    return reply.redirect('/dashboard/ledger?done=topup', 303);
  });
}
