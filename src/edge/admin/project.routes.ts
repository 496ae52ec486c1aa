import type { FastifyInstance } from 'fastify';
import type { Db } from '../../platform/db/database.js';
import type { ProjectDirectory } from '../../domain/projects/project-directory.js';
import {
  AddKeyBody,
  CreateProjectBody,
  ProjectKeyParams,
  ProjectNameParams,
  SettingsPatch,
  renderKey,
  renderProject,
  settingsFromWire,
} from '../wire/project.schema.js';
import { addProjectKey, createProject, deleteProjectKey, showProject, updateProject, type ProjectDeps } from '../../domain/projects/project.service.js';

/** Admin API for partner projects (mounted under /admin, behind the admin token). */
export function projectAdminRoutes(app: FastifyInstance, deps: ProjectDeps & { db: Db; projects: ProjectDirectory }): void {
  const changed = <T>(value: T): T => {
    deps.projects.invalidate();
    return value;
  };

  app.post<{ Body: CreateProjectBody }>('/projects', { schema: { body: CreateProjectBody, tags: ['admin'] } }, async (req) => {
    const view = await createProject(deps.db, deps, {
      name: req.body.name,
      publicKeyPem: req.body.public_key,
      settings: settingsFromWire(req.body.settings),
    });
    return changed({ status: 'ok', project: renderProject(view) });
  });

  app.get<{ Params: { name: string } }>('/projects/:name', { schema: { params: ProjectNameParams, tags: ['admin'] } }, async (req) => ({
    status: 'ok',
    project: renderProject(await showProject(deps.db, req.params.name)),
  }));

  app.patch<{ Params: { name: string }; Body: SettingsPatch }>(
    '/projects/:name',
    { schema: { params: ProjectNameParams, body: SettingsPatch, tags: ['admin'] } },
    async (req) => changed({ status: 'ok', project: renderProject(await updateProject(deps.db, deps, req.params.name, settingsFromWire(req.body))) }),
  );

  app.post<{ Params: { name: string }; Body: AddKeyBody }>(
    '/projects/:name/keys',
    { schema: { params: ProjectNameParams, body: AddKeyBody, tags: ['admin'] } },
    async (req) => changed({ status: 'ok', key: renderKey(await addProjectKey(deps.db, deps, req.params.name, req.body.public_key)) }),
  );

  app.delete<{ Params: { name: string; id: string } }>('/projects/:name/keys/:id', { schema: { params: ProjectKeyParams, tags: ['admin'] } }, async (req) => {
    await deleteProjectKey(deps.db, deps, req.params.name, req.params.id);
    return changed({ status: 'ok' });
  });
}
