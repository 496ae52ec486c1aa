import type { FastifyInstance } from 'fastify';
import { findProjectByName } from '../../domain/projects/project.repo.js';
import { listProjects } from '../../domain/projects/project-list.js';
import { ApiError } from '../../kernel/errors.js';
import { searchRequests } from '../../platform/request-log/request-log-search.js';
import type { PageDeps } from './deps.js';
import { badge, sendPage, time } from './layout.js';
import { html, query, type Fragment } from './template.js';

const PAGE = 100;
const STATUS: Record<string, { from: number; to: number }> = { '2xx': { from: 200, to: 299 }, '4xx': { from: 400, to: 499 }, '5xx': { from: 500, to: 599 } };

interface RequestsQuery {
  project?: string;
  method?: string;
  status?: string;
  error?: string;
  before?: string;
}

/** GET /dashboard/requests: a project's partner API requests (what `payrail logs tail` reads), newest first. */
export function requestsPage(app: FastifyInstance, deps: PageDeps): void {
  app.get<{ Querystring: RequestsQuery }>('/requests', async (req, reply) => {
    const q = req.query;
    const projects = await listProjects(deps.db);
    const name = q.project || projects.find((p) => p.name === 'demo')?.name || projects[0]?.name;
    let results: Fragment = html`<p class="muted">No project yet.</p>`;
    let status = 200;
    let message: { kind: 'error'; text: string } | undefined;
    try {
      if (q.status && !STATUS[q.status]) throw new ApiError('invalid_request', 'status: must be 2xx, 4xx or 5xx');
      if (q.before && !/^\d{1,19}$/.test(q.before)) throw new ApiError('invalid_request', 'before: not a cursor this page made');
      if ((q.method?.length ?? 0) > 100 || (q.error?.length ?? 0) > 64) throw new ApiError('invalid_request', 'method and error code: at most 100 and 64 characters');
      if (name) {
        const project = await findProjectByName(deps.db, name);
        if (!project) throw new ApiError('not_found', `project: "${name}" does not exist`);
        const rows = await searchRequests(deps.db, { projectId: project.id, method: q.method || undefined, status: q.status ? STATUS[q.status] : undefined, errorCode: q.error || undefined, beforeId: q.before, limit: PAGE + 1 });
        const page = rows.slice(0, PAGE);
        const next = rows.length > PAGE ? `/dashboard/requests${query({ ...q, project: name, before: page.at(-1)!.id })}` : undefined;
        results =
          page.length === 0
            ? html`<p class="muted" data-testid="no-requests">No request matches (the log keeps a day in sandbox, a week in live mode).</p>`
            : html`<table data-testid="requests"><tr><th>at</th><th>method</th><th>status</th><th>error</th><th class="num">latency</th><th>version</th><th>idempotency key</th><th>request id</th></tr>
${page.map(
  (r) => html`<tr><td>${time(r.at)}</td><td><code>${r.httpMethod} ${r.method}</code></td><td>${badge(r.httpStatus < 400 ? 'ok' : 'error')} ${r.httpStatus}</td><td><code>${r.errorCode ?? ''}</code></td>
<td class="num">${r.latencyMs} ms</td><td>${r.apiVersion}</td><td class="mono">${r.idempotencyKey ?? ''}</td><td class="mono">${r.requestId}</td></tr>`,
)}</table>${next ? html`<p class="pager"><a href="${next}">Older »</a></p>` : ''}`;
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      status = err.httpStatus;
      message = { kind: 'error', text: `${err.code}: ${err.message}` };
      results = '';
    }
    const body = html`<form method="get" action="/dashboard/requests" class="filters" role="search">
<label>Project <select name="project">${projects.map((p) => html`<option value="${p.name}"${p.name === name ? html` selected` : ''}>${p.name}</option>`)}</select></label>
<label>Method <input name="method" value="${q.method ?? ''}" placeholder="session/create"></label>
<label>Status <select name="status"><option value="">any</option>${Object.keys(STATUS).map((s) => html`<option${s === q.status ? html` selected` : ''}>${s}</option>`)}</select></label>
<label>Error code <input name="error" value="${q.error ?? ''}" placeholder="invalid_request"></label>
<button type="submit" class="primary">Filter</button></form>
${results}`;
    return sendPage(reply, deps.ctx(req), { title: 'Request log', section: 'requests', body, status, message });
  });
}
