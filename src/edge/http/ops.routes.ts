import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { ApiError } from '../../kernel/errors.js';

/** Liveness, readiness, the server's webhook-signing key, and the OpenAPI document (rendered at /docs: src/edge/openapi/docs.routes.ts). */
export function opsRoutes(app: FastifyInstance, deps: { db: Db; serverPublicKeyPem: string }): void {
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: { hide: true } }, async () => {
    try {
      await sql`SELECT 1`.execute(deps.db);
    } catch (err) {
      throw new ApiError('service_unavailable', 'the database is not reachable', { cause: err });
    }
    return { status: 'ok' };
  });

  app.get('/api/v1/public-key', { schema: { summary: "The server's public key for verifying webhook signatures (PEM)", tags: ['v1'] } }, async (_req, reply) =>
    reply.type('application/x-pem-file').send(deps.serverPublicKeyPem),
  );

  // OpenAPI 3.1 (src/edge/openapi/document.ts); built once, on the first request, then cached by fastify-swagger.
  app.get('/openapi.json', { schema: { hide: true } }, async (_req, reply) => reply.header('cache-control', 'no-cache').send(app.swagger()));
}
