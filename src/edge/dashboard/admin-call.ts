import type { FastifyInstance } from 'fastify';
import { ApiError, isErrorCode } from '../../kernel/errors.js';

/**
 * Every action of the dashboard is the admin API's own route (src/edge/admin/*), called in process
 * with the token the server holds: the same validation, the same domain calls, the same side
 * effects (the project directory's cache, the worker's nudge, the admin idempotency rules), and
 * nothing to keep in step. The dashboard adds the login, CSRF and HTML around it. A refusal comes
 * back as the admin API's ApiError, shown on the dashboard's error page with its code.
 */
export type AdminCaller = <T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) => Promise<T>;

export function adminCaller(app: FastifyInstance, token: string): AdminCaller {
  return async <T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) => {
    const res = await app.inject({
      method,
      url: `/admin${url}`,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    let parsed: { status?: string; error?: { code?: string; description?: string } } & Record<string, unknown>;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      throw new ApiError('internal_error', `the admin API answered ${res.statusCode} with a body that is not JSON`);
    }
    if (res.statusCode >= 400 || parsed.status === 'error') {
      const code = parsed.error?.code;
      throw new ApiError(code && isErrorCode(code) ? code : 'internal_error', parsed.error?.description ?? `admin API answered ${res.statusCode}`);
    }
    return parsed as T;
  };
}
