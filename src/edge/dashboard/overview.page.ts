import type { FastifyInstance } from 'fastify';
import { operationCountsSince } from '../../domain/sessions/session-search.js';
import { jobBacklog } from '../../platform/jobs/job-stats.js';
import { webhookStats } from '../../platform/webhooks/webhook-stats.js';
import { syncClock } from '../../platform/clock/clock.service.js';
import type { PageDeps } from './deps.js';
import { badge, sendPage, time } from './layout.js';
import { percent } from './format.js';
import { html } from './template.js';

const DAY_MS = 86_400_000;

/** GET /dashboard: the last 24 hours (on the server's clock, the sandbox's when moved) and the backlogs. */
export function overviewPage(app: FastifyInstance, deps: PageDeps): void {
  app.get('/', async (req, reply) => {
    if (deps.sandboxClock) await syncClock(deps.db, deps.sandboxClock);
    const now = deps.clock.now();
    const since = new Date(now.getTime() - DAY_MS);
    const [counts, hooks, jobs] = [await operationCountsSince(deps.db, since), await webhookStats(deps.db, since, now), await jobBacklog(deps.db, now)];
    const table = (kind: 'payment' | 'payout') => {
      const rows = counts.filter((c) => c.kind === kind);
      const total = rows.reduce((n, r) => n + r.count, 0);
      return html`<div class="card" data-testid="${kind}s-24h"><h2>${kind === 'payment' ? 'Payments' : 'Payouts'}, last 24 h</h2>
<p class="big">${total}</p>
${rows.length === 0 ? html`<p class="muted">none</p>` : html`<table><tr><th>stage</th><th class="num">count</th></tr>${rows.map((r) => html`<tr><td>${badge(r.stage)}</td><td class="num">${r.count}</td></tr>`)}</table>`}</div>`;
    };
    const clock = deps.sandboxClock;
    const body = html`<div class="cards">
${table('payment')}
${table('payout')}
<div class="card" data-testid="webhooks-24h"><h2>Webhooks, last 24 h</h2>
<p class="big">${percent(hooks.succeeded, hooks.attempts)}</p>
<p class="muted">${hooks.succeeded} of ${hooks.attempts} delivery attempts answered 2xx</p>
<table><tr><th>outbox</th><th class="num">webhooks</th></tr>
<tr><td>pending</td><td class="num" data-testid="outbox-pending">${hooks.pending}</td></tr>
<tr><td>due now</td><td class="num">${hooks.due}</td></tr></table></div>
<div class="card" data-testid="clock"><h2>Clock</h2>
<p class="big">${time(now)}</p>
<p class="muted">${clock ? html`sandbox clock, ${Math.floor(clock.offsetMs / 1000)} s ahead of real time · <a href="/dashboard/sandbox">move it</a>` : 'live mode: real time'}</p></div>
</div>
<h2>Job backlog</h2>
${
  jobs.length === 0
    ? html`<p class="muted" data-testid="jobs">no jobs queued</p>`
    : html`<table data-testid="jobs"><tr><th>kind</th><th class="num">queued</th><th class="num">due now</th><th class="num">running</th><th class="num">out of attempts</th></tr>
${jobs.map((j) => html`<tr><td><code>${j.kind}</code></td><td class="num">${j.queued}</td><td class="num">${j.due}</td><td class="num">${j.running}</td><td class="num">${j.dead}</td></tr>`)}</table>`
}
<p class="muted">Since ${time(since)}.</p>`;
    return sendPage(reply, deps.ctx(req), { title: 'Overview', section: 'overview', body });
  });
}
