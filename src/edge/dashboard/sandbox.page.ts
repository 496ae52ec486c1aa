import type { FastifyInstance } from 'fastify';
import { listProjects } from '../../domain/projects/project-list.js';
import { ApiError } from '../../kernel/errors.js';
import { WEBHOOK_TYPES } from '../wire/webhook.schema.js';
import type { PageDeps } from './deps.js';
import { csrfField, sendPage } from './layout.js';
import { dashPath, html } from './template.js';

const UNITS: Record<string, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86_400 };

interface Clock {
  clock: { now: string; offset_seconds: number; sandbox: boolean; advancing?: { to: string } };
}

/**
 * Sandbox: move the shared clock (the admin API's POST /admin/clock/advance, which runs every job
 * and webhook falling due on the way) and trigger a webhook (POST /admin/webhooks/trigger).
 *
 * A whole payment flow is not started from here: the partner API takes only requests signed with
 * the partner's private key, which the server does not hold (only the demo project's key is on
 * disk, and only in sandbox). The trigger queues a real webhook of the chosen type for a session as
 * it is now (a new empty one when none is named): the same bytes and signature a state change
 * would send, through the same outbox and delivery worker. Full flows: `payrail trigger <event>` (docs/cli.md), which signs with the demo key.
 */
export function sandboxPage(app: FastifyInstance, deps: PageDeps): void {
  app.get<{ Querystring: { done?: string } }>('/sandbox', async (req, reply) => {
    const ctx = deps.ctx(req);
    const { clock } = await deps.admin<Clock>('GET', '/clock');
    const projects = await listProjects(deps.db);
    const body = !deps.sandboxClock
      ? html`<p>This server runs in live mode: the clock is real time and nothing can be triggered by hand.</p>`
      : html`<div class="cards"><div class="card"><h2>Clock</h2>
<p class="big" data-testid="sandbox-now">${clock.now}</p><p class="muted">${clock.offset_seconds} s ahead of real time${clock.advancing ? html` · advancing to ${clock.advancing.to}` : ''}</p>
<form method="post" action="/dashboard/sandbox/clock" class="filters">${csrfField(ctx.csrf)}
<label>Move forward by <input type="number" name="amount" min="1" step="1" value="1" required></label>
<label>Unit <select name="unit">${Object.keys(UNITS).map((u) => html`<option${u === 'hours' ? html` selected` : ''}>${u}</option>`)}</select></label>
<button type="submit" class="primary" data-testid="advance">Advance</button></form>
<p class="muted">Every job and webhook that falls due on the way runs, in order (payout settlements, 3-D Secure timeouts, retries).</p></div>
<div class="card"><h2>Trigger a webhook</h2>
<form method="post" action="/dashboard/sandbox/trigger" class="stack">${csrfField(ctx.csrf)}
<label>Project <select name="project">${projects.map((p) => html`<option value="${p.name}"${p.name === 'demo' ? html` selected` : ''}>${p.name}</option>`)}</select></label>
<label>Type <select name="type">${WEBHOOK_TYPES.map((t) => html`<option>${t}</option>`)}</select></label>
<label>Session (empty: a new empty session) <input name="session_id" placeholder="ps_…"></label>
<button type="submit" class="primary" data-testid="trigger">Queue webhook</button></form>
<p class="muted">The project needs a webhook_url. A full payment or payout flow needs the partner's signing key, which the server does not hold: run <code>payrail trigger &lt;event&gt;</code> (docs/cli.md).</p></div></div>`;
    const message = req.query.done === 'clock' ? { kind: 'ok' as const, text: 'The clock moved.' } : undefined;
    return sendPage(reply, ctx, { title: 'Sandbox', section: 'sandbox', body, message });
  });

  app.post<{ Body: Record<string, string> | undefined }>('/sandbox/clock', async (req, reply) => {
    const amount = req.body?.['amount'] ?? '';
    const unit = UNITS[req.body?.['unit'] ?? ''];
    if (!/^[1-9]\d{0,8}$/.test(amount) || unit === undefined) throw new ApiError('invalid_request', 'amount: must be a positive whole number, unit: seconds, minutes, hours or days');
    await deps.admin('POST', '/clock/advance', { seconds: Number(amount) * unit });
    return reply.redirect('/dashboard/sandbox?done=clock', 303);
  });

  app.post<{ Body: Record<string, string> | undefined }>('/sandbox/trigger', async (req, reply) => {
    const b = req.body ?? {};
    const out = await deps.admin<{ session_id: string }>('POST', '/webhooks/trigger', { project: b['project'], type: b['type'], ...(b['session_id'] ? { session_id: b['session_id'] } : {}) });
    return reply.redirect(`${dashPath('sessions', out.session_id)}?done=triggered`, 303);
  });
}
