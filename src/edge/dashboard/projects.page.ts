import type { FastifyInstance } from 'fastify';
import { listProjects } from '../../domain/projects/project-list.js';
import { listActiveKeys } from '../../domain/projects/project.repo.js';
import { ApiError } from '../../kernel/errors.js';
import type { PageDeps } from './deps.js';
import { csrfField, sendPage, time } from './layout.js';
import { jsonText } from './format.js';
import { dashPath, html } from './template.js';

interface RenderedProject {
  name: string;
  settings: Record<string, unknown>;
  keys: { id: string; fingerprint: string; created_at: string }[];
  created_at: string;
  updated_at: string;
}

const DONE: Record<string, string> = {
  settings: 'Settings saved.',
  key_added: 'Key added: the partner may sign with it now.',
  key_deleted: 'Key deleted: requests signed with it are refused from now on.',
};
// The settings most often changed, prefilled in the form; any other setting may be added to the JSON.
const EDITABLE = ['webhook_url', 'auto_confirm', 'allow_partial_refunds', 'api_version', 'capture_mode'] as const;

type Form = Record<string, string> | undefined;

/**
 * Projects: settings and keys. Reads and writes go through the admin API's project routes
 * (src/edge/admin/project.routes.ts, in process: admin-call.ts), so their checks (webhook URL
 * policy, key parsing, never deleting the last key) and the project directory's cache stay one.
 */
export function projectsPages(app: FastifyInstance, deps: PageDeps): void {
  const project = async (name: string) => (await deps.admin<{ project: RenderedProject }>('GET', `/projects/${encodeURIComponent(name)}`)).project;

  app.get('/projects', async (req, reply) => {
    const projects = await listProjects(deps.db);
    const rows = [];
    for (const p of projects) rows.push({ p, keys: (await listActiveKeys(deps.db, p.id)).length });
    const body = html`<table data-testid="projects"><tr><th>project</th><th>webhook url</th><th>api version</th><th>capture</th><th class="num">active keys</th><th>created</th></tr>
${rows.map(
  ({ p, keys }) => html`<tr><td><a href="${dashPath('projects', p.name)}">${p.name}</a></td><td class="mono">${p.webhookUrl ?? html`<span class="muted">none</span>`}</td>
<td>${p.apiVersion}</td><td>${p.captureMode}</td><td class="num">${keys}</td><td>${time(p.createdAt)}</td></tr>`,
)}</table>
<p class="muted">New projects are created with <code>payrail project create</code> or <code>POST /admin/projects</code>.</p>`;
    return sendPage(reply, deps.ctx(req), { title: 'Projects', section: 'projects', body });
  });

  app.get<{ Params: { name: string }; Querystring: { done?: string } }>('/projects/:name', async (req, reply) => {
    const p = await project(req.params.name);
    const ctx = deps.ctx(req);
    const editable = Object.fromEntries(EDITABLE.map((k) => [k, p.settings[k]]));
    const base = dashPath('projects', p.name);
    const body = html`<h2>Settings</h2>
<table data-testid="settings">${Object.entries(p.settings).map(([k, v]) => html`<tr><th>${k}</th><td><code>${jsonText(v)}</code></td></tr>`)}
<tr><th>created</th><td>${p.created_at}</td></tr><tr><th>updated</th><td>${p.updated_at}</td></tr></table>
<form method="post" action="${base}/settings" class="stack">${csrfField(ctx.csrf)}
<label>Change settings (JSON, the admin API's settings names; only the fields given change)
<textarea name="settings" required>${JSON.stringify(editable, null, 2)}</textarea></label>
<button type="submit" class="primary">Save settings</button></form>

<h2>Keys</h2>
<table data-testid="keys"><tr><th>key</th><th>fingerprint</th><th>added</th><th></th></tr>
${p.keys.map((k) => html`<tr><td class="mono">${k.id}</td><td class="mono">${k.fingerprint}</td><td>${k.created_at}</td><td><a href="${base}/keys/${encodeURIComponent(k.id)}/delete">Delete…</a></td></tr>`)}</table>
<form method="post" action="${base}/keys" class="stack">${csrfField(ctx.csrf)}
<label>Add a public key (RSA, PEM) <textarea name="public_key" required placeholder="-----BEGIN PUBLIC KEY-----"></textarea></label>
<button type="submit">Add key</button></form>`;
    const done = req.query.done ? DONE[req.query.done] : undefined;
    return sendPage(reply, ctx, { title: `Project ${p.name}`, section: 'projects', body, message: done ? { kind: 'ok', text: done } : undefined });
  });

  app.post<{ Params: { name: string }; Body: Form }>('/projects/:name/settings', async (req, reply) => {
    let patch: unknown;
    try {
      patch = JSON.parse(req.body?.['settings'] ?? '');
    } catch {
      throw new ApiError('invalid_request', 'settings: not JSON; write them as {"webhook_url": "https://…", "auto_confirm": true}');
    }
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw new ApiError('invalid_request', 'settings: must be a JSON object');
    await deps.admin('PATCH', `/projects/${encodeURIComponent(req.params.name)}`, patch);
    return reply.redirect(`${dashPath('projects', req.params.name)}?done=settings`, 303);
  });

  app.post<{ Params: { name: string }; Body: Form }>('/projects/:name/keys', async (req, reply) => {
    await deps.admin('POST', `/projects/${encodeURIComponent(req.params.name)}/keys`, { public_key: req.body?.['public_key'] ?? '' });
    return reply.redirect(`${dashPath('projects', req.params.name)}?done=key_added`, 303);
  });

  // Deleting a key asks first: a GET page that says what will stop working, then the POST.
  app.get<{ Params: { name: string; id: string } }>('/projects/:name/keys/:id/delete', async (req, reply) => {
    const p = await project(req.params.name);
    const key = p.keys.find((k) => k.id === req.params.id);
    if (!key) throw new ApiError('not_found', `key "${req.params.id}" is not an active key of project "${p.name}"`);
    const base = dashPath('projects', p.name);
    const body = html`<p>Requests of <strong>${p.name}</strong> signed with key <code>${key.id}</code> (fingerprint <code>${key.fingerprint}</code>) will be refused from the moment it is deleted.${p.keys.length === 1 ? html` <strong>It is the project's only key: add its replacement first.</strong>` : ''}</p>
<form method="post" action="${base}/keys/${encodeURIComponent(key.id)}/delete" class="actions">${csrfField(deps.ctx(req).csrf)}
<a href="${base}">Cancel</a><button type="submit" class="danger" data-testid="confirm-delete">Delete key ${key.id}</button></form>`;
    return sendPage(reply, deps.ctx(req), { title: 'Delete this key?', section: 'projects', body });
  });

  app.post<{ Params: { name: string; id: string } }>('/projects/:name/keys/:id/delete', async (req, reply) => {
    await deps.admin('DELETE', `/projects/${encodeURIComponent(req.params.name)}/keys/${encodeURIComponent(req.params.id)}`);
    return reply.redirect(`${dashPath('projects', req.params.name)}?done=key_deleted`, 303);
  });
}
