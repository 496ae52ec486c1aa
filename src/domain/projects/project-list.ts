import type { Queryable } from '../../platform/db/database.js';
import { toProject, type Project } from './project.repo.js';

/** Every project, by name (the dashboard's project pickers). Read-only. */
export async function listProjects(db: Queryable): Promise<Project[]> {
  const rows = await db.selectFrom('projects').selectAll().orderBy('name').execute();
  return rows.map(toProject);
}
