import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../platform/db/database.js';
import { findProjectByName } from '../../domain/projects/project.repo.js';
import { ApiError } from '../../kernel/errors.js';
import { Cursor, MAX_LIMIT, requestsPage } from '../api/payrail-requests.routes.js';
import { ProjectNameParams } from '../wire/project.schema.js';

const RequestsQuery = Type.Object({
  after: Type.Optional(Cursor),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', errorMessage: `must be a whole number from 1 to ${MAX_LIMIT}` })),
});
type RequestsQuery = Static<typeof RequestsQuery>;

/** Admin: a project's request log (what `payrail logs tail` shows), for the operator's dashboard. */
export function requestLogAdminRoutes(app: FastifyInstance, deps: { db: Db }): void {
  app.get<{ Params: { name: string }; Querystring: RequestsQuery }>(
    '/projects/:name/requests',
    { schema: { params: ProjectNameParams, querystring: RequestsQuery, tags: ['admin'] } },
    async (req) => {
      const limit = req.query.limit === undefined ? undefined : Number(req.query.limit);
      if (limit !== undefined && (limit < 1 || limit > MAX_LIMIT)) throw new ApiError('invalid_request', `querystring.limit must be a whole number from 1 to ${MAX_LIMIT}`);
      const project = await findProjectByName(deps.db, req.params.name);
      if (!project) throw new ApiError('not_found', `project "${req.params.name}" does not exist`);
      return { status: 'ok', ...(await requestsPage(deps.db, project.id, req.query.after, limit)) };
    },
  );
}
