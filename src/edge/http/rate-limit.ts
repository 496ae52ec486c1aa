import rateLimit from '@fastify/rate-limit';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Project, RateLimit } from '../../domain/projects/project.repo.js';
import { ApiError } from '../../kernel/errors.js';

/**
 * Per-project rate limits on the signed partner API, with @fastify/rate-limit.
 *
 * The check runs after the signature verified (partner-api.ts calls it from `authenticate`), so an
 * unauthenticated flood naming a project never spends that project's budget; what bounds such a
 * flood is load shedding (load-shedding.ts) and the load balancer's per-address limits.
 *
 * The library counts in fixed windows. A project's `requestsPerSecond` r and `burst` b map to a
 * window of b / r seconds holding at most b requests: over any whole number of windows that is
 * exactly r per second, and b may arrive at once, as a token bucket of rate r and size b allows.
 * Where a fixed window differs from a token bucket: b at the end of one window and b at the start
 * of the next are both accepted, so at a window boundary up to 2·b may pass within a moment.
 *
 * Store: Redis (PAYRAIL_REDIS_URL), shared by every instance, one round trip per request; without
 * it, each instance counts in its own memory and enforces the limit alone (n instances: up to n×).
 * The key holds the limit itself, so a changed limit starts a fresh window at once. Redis being
 * unreachable fails open: the request is served, and a warning is logged (at most every 10 s).
 */
export type ProjectRateLimit = (req: FastifyRequest, project: Project) => Promise<void>;

export interface RateLimitDeps {
  readonly log: FastifyBaseLogger;
  /** The shared store; undefined: in memory, per instance. */
  readonly redis?: Redis | undefined;
  /** Prefix of the Redis keys (PAYRAIL_REDIS_PREFIX). */
  readonly prefix?: string;
}

/** The fixed window that stands for a rate and burst (see above); at least 1 ms. */
export function windowOf(limit: RateLimit): { max: number; windowMs: number } {
  return { max: limit.burst, windowMs: Math.max(1, Math.round((1000 * limit.burst) / limit.requestsPerSecond)) };
}

const WARN_EVERY_MS = 10_000;

export async function installRateLimit(app: FastifyInstance, deps: RateLimitDeps): Promise<ProjectRateLimit> {
  // global: false, so the plugin adds no hook of its own: only the partner API calls the check below.
  await app.register(rateLimit, { global: false, ...(deps.redis ? { redis: deps.redis, nameSpace: `${deps.prefix ?? 'payrail:'}rl:` } : {}) });
  // The project being checked, by request: the library's callbacks see only the request.
  const checking = new WeakMap<FastifyRequest, { projectId: string; limit: RateLimit }>();
  const limitOf = (req: FastifyRequest) => {
    const entry = checking.get(req);
    if (!entry) throw new Error('rate limit checked without a project');
    return entry;
  };
  const check = app.createRateLimit({
    keyGenerator: (req) => {
      const { projectId, limit } = limitOf(req);
      return `${projectId}:${limit.requestsPerSecond}:${limit.burst}`;
    },
    max: (req) => windowOf(limitOf(req).limit).max,
    timeWindow: (req) => windowOf(limitOf(req).limit).windowMs,
  });
  // Only refusals pass here: the success path pays nothing for the header.
  app.addHook('onError', async (_req, reply, err) => {
    if (err instanceof RateLimitedError) reply.header('retry-after', String(err.retryAfterSeconds));
  });
  let warnedAt = -Infinity;
  const warn = (err: unknown) => {
    if (Date.now() - warnedAt < WARN_EVERY_MS) return;
    warnedAt = Date.now();
    deps.log.warn({ err }, 'rate limit store unreachable: partner requests are served without rate limits until it is back');
  };
  deps.redis?.on('error', warn);

  return async (req, project) => {
    const limit = project.rateLimit;
    if (!limit) return;
    checking.set(req, { projectId: project.id, limit });
    let result: Awaited<ReturnType<typeof check>>;
    try {
      result = await check(req);
    } catch (err) {
      warn(err);
      return;
    }
    if (result.isAllowed || !result.isExceeded) return;
    const retryAfter = Math.max(1, result.ttlInSeconds);
    throw new RateLimitedError(project, limit, retryAfter);
  };
}

/** 429 `rate_limited`, with Retry-After (the onError hook above). */
export class RateLimitedError extends ApiError {
  readonly retryAfterSeconds: number;
  constructor(project: Project, limit: RateLimit, retryAfterSeconds: number) {
    super(
      'rate_limited',
      `project "${project.name}" is limited to ${limit.requestsPerSecond} request${limit.requestsPerSecond === 1 ? '' : 's'} per second (burst ${limit.burst}); retry after ${retryAfterSeconds} s`,
    );
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
