import type { FastifyRequest } from 'fastify';
import type { Db } from '../../platform/db/database.js';
import type { OffsetClock } from '../../kernel/clock.js';
import type { Worker } from '../../platform/worker/worker.js';
import type { SessionDeps } from '../../domain/sessions/session-deps.js';
import type { AdminCaller } from './admin-call.js';
import type { PageContext } from './layout.js';
import type { LoginThrottle } from './login-throttle.js';

export interface DashboardDeps extends SessionDeps {
  readonly db: Db;
  readonly adminToken: string;
  readonly worker: Worker;
  /** The movable sandbox clock; undefined in live mode. */
  readonly sandboxClock: OffsetClock | undefined;
  /** PAYRAIL_DASHBOARD_SESSION_TTL (seconds); default 8 hours. */
  readonly sessionTtlSeconds?: number | undefined;
  /** Tests pass one with shorter pauses. */
  readonly throttle?: LoginThrottle | undefined;
}

/** What each page gets: the dependencies, the admin API in process, and the request's page context. */
export interface PageDeps extends DashboardDeps {
  readonly admin: AdminCaller;
  ctx(req: FastifyRequest): PageContext;
}
