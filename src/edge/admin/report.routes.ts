import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../platform/db/database.js';
import { findProjectByName } from '../../domain/projects/project.repo.js';
import { ApiError, invalidRequest } from '../../kernel/errors.js';
import { payoutsReportCsv } from './payout-report.js';

const ReportQuery = Type.Object({
  project: Type.Optional(Type.String({ minLength: 1 })),
  from: Type.String({ format: 'date-time', errorMessage: 'must be an ISO 8601 date-time' }),
  to: Type.String({ format: 'date-time', errorMessage: 'must be an ISO 8601 date-time' }),
});
type ReportQuery = Static<typeof ReportQuery>;

/** Admin: the daily payouts report (§5.19) as CSV, named like Smart Glocal's `<Project>_<from>_<to>`. */
export function reportAdminRoutes(app: FastifyInstance, deps: { db: Db }): void {
  app.get<{ Querystring: ReportQuery }>('/reports/payouts.csv', { schema: { querystring: ReportQuery, tags: ['admin'] } }, async (req, reply) => {
    const name = req.query.project ?? 'demo';
    const project = await findProjectByName(deps.db, name);
    if (!project) throw new ApiError('not_found', `project "${name}" does not exist`);
    const from = new Date(req.query.from);
    const to = new Date(req.query.to);
    if (!(from < to)) throw invalidRequest('from must be before to');
    const csv = await payoutsReportCsv(deps.db, project.id, from, to);
    const file = `${project.name}_${req.query.from.slice(0, 10)}_${req.query.to.slice(0, 10)}.csv`;
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file}"`).send(csv);
  });
}
