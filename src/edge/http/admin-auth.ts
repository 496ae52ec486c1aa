import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../../kernel/errors.js';

/** `Authorization: Bearer <token>` for /admin, compared in constant time. */
export function adminAuth(token: string): (req: FastifyRequest) => Promise<void> {
  const expected = createHash('sha256').update(token).digest();
  return async (req) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) throw new ApiError('authentication_error', 'admin API needs Authorization: Bearer <admin token> (see <data dir>/admin-token)');
    const given = createHash('sha256').update(match[1]!.trim()).digest();
    if (!timingSafeEqual(given, expected)) throw new ApiError('authentication_error', 'admin token is wrong');
    if (req.bodyError) throw new ApiError('invalid_request', req.bodyError);
  };
}
