import type { FastifyInstance } from 'fastify';
import { findProjectById } from '../../domain/projects/project.repo.js';
import { ledgerEntriesFor } from '../../domain/ledger/ledger-lookup.js';
import { findAnySession, listSessionOperationRows, listTransitions } from '../../domain/sessions/session-search.js';
import { ApiError } from '../../kernel/errors.js';
import { listSessionWebhooks } from '../../platform/webhooks/webhook.repo.js';
import type { PageDeps } from './deps.js';
import { badge, csrfField, sendPage, time } from './layout.js';
import { cardMask, jsonText, money } from './format.js';
import { dashPath, html, type Html } from './template.js';

const SESSION_ID = /^[A-Za-z0-9_-]{1,100}$/;
const DONE: Record<string, string> = {
  resent: 'The webhook was queued again; its new attempt appears below once the worker delivers it.',
  triggered: 'The webhook was queued; its delivery appears below once the worker sends it.',
};

/** GET /dashboard/sessions/:id, and the Resend button (POST /dashboard/webhooks/:id/resend). */
export function sessionPage(app: FastifyInstance, deps: PageDeps): void {
  app.get<{ Params: { id: string }; Querystring: { done?: string } }>('/sessions/:id', async (req, reply) => {
    const id = req.params.id;
    const row = SESSION_ID.test(id) ? await findAnySession(deps.db, id) : undefined;
    if (!row) throw new ApiError('session_not_found', `session ${id} not found`);
    const project = await findProjectById(deps.db, String(row.project_id));
    const ops = await listSessionOperationRows(deps.db, id);
    const transitions = await listTransitions(deps.db, id);
    const hooks = await listSessionWebhooks(deps.db, undefined, id);
    const ledger = await ledgerEntriesFor(
      deps.db,
      ops.map((o) => o.id),
    );
    const params = row.params as { metadata?: unknown };
    const ctx = deps.ctx(req);

    const events: { at: Date; order: number; text: Html }[] = [];
    transitions.forEach((t, i) =>
      events.push({
        at: t.at,
        order: i,
        text: html`${t.kind} <code>${t.objectId}</code>: ${t.from === null ? html`created as ` : html`${badge(t.from)} → `}${badge(t.to)}`,
      }),
    );
    for (const h of hooks) {
      events.push({ at: h.createdAt, order: 1e6, text: html`webhook <code>${h.type}</code> queued` });
      for (const a of h.attempts) {
        events.push({ at: a.attemptedAt, order: 2e6, text: html`webhook <code>${h.type}</code> delivery: ${a.httpStatus === null ? html`${badge('failed')} ${a.error ?? ''}` : html`HTTP ${a.httpStatus}`} in ${a.latencyMs} ms` });
      }
    }
    for (const e of ledger) events.push({ at: e.bookedAt, order: 3e6, text: html`ledger <code>${e.kind}</code>: ${e.description}` });
    events.sort((a, b) => a.at.getTime() - b.at.getTime() || a.order - b.order);

    const body = html`<table data-testid="summary">
<tr><th>session</th><td class="mono" data-testid="session-id">${row.id}</td></tr>
<tr><th>project</th><td>${project?.name ?? String(row.project_id)}</td></tr>
<tr><th>status</th><td data-testid="session-status">${badge(row.status)}${row.next_action ? html` <span class="muted">waits for session/${row.next_action}</span>` : ''}</td></tr>
<tr><th>created</th><td>${time(row.created_at)}</td></tr><tr><th>updated</th><td>${time(row.updated_at)}</td></tr><tr><th>finished</th><td>${time(row.finished_at)}</td></tr>
${row.error_code ? html`<tr><th>error</th><td><code>${row.error_code}</code> ${row.error_description ?? ''}</td></tr>` : ''}
<tr><th>metadata</th><td><pre data-testid="session-metadata">${jsonText(params.metadata)}</pre></td></tr></table>

<h2>Operations</h2>
${
  ops.length === 0
    ? html`<p class="muted">No operation yet.</p>`
    : html`<table data-testid="operations"><tr><th>kind</th><th>id</th><th>stage</th><th class="num">amount</th><th class="num">fee</th><th>card</th><th>created</th><th>finished</th><th>error</th></tr>
${ops.map(
  (o) => html`<tr><td>${o.kind}${o.parentId ? html` <span class="muted">of ${o.parentId}</span>` : ''}</td><td class="mono">${o.id}</td><td>${badge(o.stage)}</td>
<td class="num">${money(o.amount, o.currency)}</td><td class="num">${o.fee === null ? '' : money(o.fee, o.currency)}</td><td>${cardMask(o.instrument) ?? ''}</td>
<td>${time(o.createdAt)}</td><td>${time(o.finishedAt)}</td><td>${o.error ? html`<code>${o.error.code}</code> ${o.error.description}` : ''}</td></tr>`,
)}</table>`
}

<h2>Timeline</h2>
<ol class="timeline" data-testid="timeline">${events.map((e) => html`<li>${time(e.at)}${e.text}</li>`)}</ol>

<h2>Webhooks</h2>
${
  hooks.length === 0
    ? html`<p class="muted">No webhook for this session.</p>`
    : hooks.map(
        (h) => html`<div class="card" data-testid="webhook" data-webhook-id="${h.id}">
<div class="webhook-head"><span><code>${h.type}</code> ${badge(h.state)} <span class="mono muted">${h.id}</span> · queued ${time(h.createdAt)}${h.deliveredAt ? html` · delivered ${time(h.deliveredAt)}` : ''}</span>
<form method="post" action="${dashPath('webhooks', h.id, 'resend')}" class="inline">${csrfField(ctx.csrf)}<input type="hidden" name="session_id" value="${row.id}"><button type="submit" data-testid="resend">Resend</button></form></div>
${
  h.attempts.length === 0
    ? html`<p class="muted">No delivery attempt yet${h.lastError ? html` (${h.lastError})` : ''}.</p>`
    : html`<table data-testid="attempts"><tr><th>attempted</th><th>url</th><th>status</th><th class="num">latency</th><th>response</th></tr>
${h.attempts.map(
  (a) => html`<tr data-testid="attempt"><td>${time(a.attemptedAt)}</td><td class="mono">${a.url ?? ''}</td><td>${a.httpStatus ?? html`${badge('failed')} ${a.error ?? ''}`}</td>
<td class="num">${a.latencyMs} ms</td><td><code>${(a.responseExcerpt ?? '').slice(0, 200)}</code></td></tr>`,
)}</table>`
}</div>`,
      )
}

<h2>Ledger entries</h2>
${
  ledger.length === 0
    ? html`<p class="muted">No ledger entry.</p>`
    : html`<table data-testid="ledger"><tr><th>booked</th><th>entry</th><th>reference</th><th>account</th><th class="num">amount</th></tr>
${ledger.map((e) =>
  e.postings.map(
    (p, i) => html`<tr>${i === 0 ? html`<td rowspan="${e.postings.length}">${time(e.bookedAt)}</td><td rowspan="${e.postings.length}"><code>${e.kind}</code><br><span class="muted">${e.description}</span></td><td class="mono" rowspan="${e.postings.length}">${e.reference}</td>` : ''}
<td>${p.account}${p.holder ? html` <span class="muted">${p.holder}</span>` : ''}</td><td class="num">${money(p.amount, p.currency)}</td></tr>`,
  ),
)}</table>`
}`;
    const done = req.query.done ? DONE[req.query.done] : undefined;
    return sendPage(reply, ctx, { title: `Session ${row.id}`, section: 'sessions', body, message: done ? { kind: 'ok', text: done } : undefined });
  });

  app.post<{ Params: { id: string }; Body: Record<string, string> | undefined }>('/webhooks/:id/resend', async (req, reply) => {
    // The admin API's resend (src/edge/admin/webhook.routes.ts): a new delivery cycle, the worker nudged.
    await deps.admin('POST', `/webhooks/${encodeURIComponent(req.params.id)}/resend`);
    const sessionId = req.body?.['session_id'];
    return reply.redirect(sessionId && SESSION_ID.test(sessionId) ? `${dashPath('sessions', sessionId)}?done=resent` : '/dashboard/sessions', 303);
  });
}
