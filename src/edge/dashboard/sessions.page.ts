import type { FastifyInstance } from 'fastify';
import { findProjectByName } from '../../domain/projects/project.repo.js';
import { listProjects } from '../../domain/projects/project-list.js';
import { OPERATION_KINDS, searchSessions, type OperationKindName, type SessionSearch } from '../../domain/sessions/session-search.js';
import { SESSION_STATUSES, isSessionStatus } from '../../domain/sessions/session.status.js';
import { ApiError } from '../../kernel/errors.js';
import type { PageDeps } from './deps.js';
import { badge, sendPage, time } from './layout.js';
import { jsonText, money } from './format.js';
import { dashPath, html, query, type Fragment } from './template.js';

export const PAGE_SIZE = 50;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface SessionsQuery {
  project?: string;
  status?: string;
  kind?: string;
  from?: string;
  to?: string;
  q?: string;
  before?: string;
}

export const encodeCursor = (at: Date, id: string) => Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');

function decodeCursor(raw: string): { createdAt: Date; id: string } {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([A-Za-z0-9_-]{1,100})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  const createdAt = m ? new Date(m[1]!) : undefined;
  if (!m || !createdAt || Number.isNaN(createdAt.getTime())) throw new ApiError('invalid_request', 'before: not a cursor this page made; start again from the first page');
  return { createdAt, id: m[2]! };
}

function day(name: string, value: string, plusOne: boolean): Date {
  const d = DATE.test(value) ? new Date(`${value}T00:00:00.000Z`) : undefined;
  if (!d || Number.isNaN(d.getTime())) throw new ApiError('invalid_request', `${name}: must be a date like 2026-12-03`);
  return plusOne ? new Date(d.getTime() + 86_400_000) : d;
}

/** The query string, checked, as a search; a bad value is a 400 naming the field. */
async function toSearch(deps: PageDeps, q: SessionsQuery): Promise<SessionSearch> {
  let projectId: string | undefined;
  if (q.project) {
    const p = await findProjectByName(deps.db, q.project);
    if (!p) throw new ApiError('not_found', `project: "${q.project}" does not exist`);
    projectId = p.id;
  }
  if (q.status && !isSessionStatus(q.status)) throw new ApiError('invalid_request', `status: must be one of ${SESSION_STATUSES.join(', ')}`);
  if (q.kind && !(OPERATION_KINDS as readonly string[]).includes(q.kind)) throw new ApiError('invalid_request', `kind: must be one of ${OPERATION_KINDS.join(', ')}`);
  if (q.q && q.q.length > 200) throw new ApiError('invalid_request', 'q: at most 200 characters');
  const from = q.from ? day('from', q.from, false) : undefined;
  const to = q.to ? day('to', q.to, true) : undefined;
  if (from && to && !(from < to)) throw new ApiError('invalid_request', 'from: must not be after to');
  return {
    projectId,
    status: q.status && isSessionStatus(q.status) ? q.status : undefined,
    kind: (q.kind || undefined) as OperationKindName | undefined,
    from,
    to,
    text: q.q || undefined,
    before: q.before ? decodeCursor(q.before) : undefined,
    limit: PAGE_SIZE + 1,
  };
}

const options = (values: readonly string[], selected: string | undefined, any: string) =>
  html`<option value="">${any}</option>${values.map((v) => html`<option value="${v}"${v === selected ? html` selected` : ''}>${v}</option>`)}`;

/** GET /dashboard/sessions: filters, newest first, 50 a page. */
export function sessionsPage(app: FastifyInstance, deps: PageDeps): void {
  app.get<{ Querystring: SessionsQuery }>('/sessions', async (req, reply) => {
    const q = req.query;
    const projects = await listProjects(deps.db);
    const names = new Map(projects.map((p) => [p.id, p.name]));
    let results: Fragment;
    let status = 200;
    let message: { kind: 'error'; text: string } | undefined;
    try {
      const rows = await searchSessions(deps.db, await toSearch(deps, q));
      const page = rows.slice(0, PAGE_SIZE);
      const last = page.at(-1);
      const next = rows.length > PAGE_SIZE && last ? `/dashboard/sessions${query({ ...q, before: encodeCursor(last.createdAt, last.id) })}` : undefined;
      results =
        page.length === 0
          ? html`<p class="muted" data-testid="no-sessions">No session matches.</p>`
          : html`<table data-testid="sessions"><tr><th>session</th><th>project</th><th>status</th><th class="num">amount</th><th>metadata</th><th>created</th></tr>
${page.map(
  (s) => html`<tr><td><a class="mono" href="${dashPath('sessions', s.id)}">${s.id}</a></td><td>${names.get(s.projectId) ?? s.projectId}</td><td>${badge(s.status)}</td>
<td class="num">${s.amount ? money(s.amount.amount, s.amount.currency) : ''}</td><td><code data-testid="metadata">${jsonText(s.metadata).slice(0, 160)}</code></td><td>${time(s.createdAt)}</td></tr>`,
)}</table>
<p class="pager">${q.before ? html`<a href="/dashboard/sessions${query({ ...q, before: undefined })}">« Newest</a>` : ''}${next ? html`<a href="${next}" data-testid="next-page">Older »</a>` : ''}</p>`;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      status = err.httpStatus;
      message = { kind: 'error', text: `${err.code}: ${err.message}` };
      results = '';
    }
    const body = html`<form method="get" action="/dashboard/sessions" class="filters" role="search">
<label>Project <select name="project">${options(
      projects.map((p) => p.name),
      q.project,
      'any project',
    )}</select></label>
<label>Status <select name="status">${options(SESSION_STATUSES, q.status, 'any status')}</select></label>
<label>Kind <select name="kind">${options(OPERATION_KINDS, q.kind, 'any kind')}</select></label>
<label>From <input type="date" name="from" value="${q.from ?? ''}"></label>
<label>To <input type="date" name="to" value="${q.to ?? ''}"></label>
<label>Id or metadata <input type="search" name="q" value="${q.q ?? ''}" placeholder="ps_…, pm_…, order-1234"></label>
<button type="submit" class="primary">Search</button></form>
${results}`;
    return sendPage(reply, deps.ctx(req), { title: 'Sessions', section: 'sessions', body, status, message });
  });
}
