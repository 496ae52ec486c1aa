import underPressure from '@fastify/under-pressure';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './errors.js';

/**
 * Load shedding: while the server is saturated, a new request is answered 503 `service_unavailable`
 * with Retry-After in its onRequest hook, before its body is read, before authentication, before
 * any query: a shed request has done nothing and written nothing, and costs a few microseconds.
 *
 * Three signals (docs/operations.md, "Load shedding"):
 *   - requests in progress: more than `maxInFlight` admitted and not yet answered. The bound that
 *     holds admitted latency (bench/overload.ts): those requests are what queues for the database
 *     and the event loop;
 *   - the event loop: @fastify/under-pressure samples the mean event-loop delay every
 *     `sampleIntervalMs` (1 s); above `maxEventLoopDelayMs` the process is CPU-bound and every
 *     admitted request would only wait longer;
 *   - the database queue: more than `maxDbWaiting` callers waiting for a connection (PostgreSQL's
 *     pool) or queued behind the running query (PGlite), read on every request.
 *
 * Requests already admitted are never cut off, and their later queries wait as long as they must
 * (no acquire timeout that could strike between two writes of one call); the admission bound keeps
 * that wait short. The worker (webhook delivery, jobs) is not an HTTP request and is never shed.
 * `/health` (liveness) is exempt: an overloaded process is alive and must not be restarted;
 * `/ready` is shed like the rest, so the load balancer sees the truth and sends traffic elsewhere.
 * Everything recovers by itself: the next request after the pressure falls is admitted.
 */
export interface LoadSheddingOptions {
  /** Mean event-loop delay (ms) above which requests are shed; 0: off. */
  readonly maxEventLoopDelayMs: number;
  /** Database waiters above which requests are shed; 0: off. */
  readonly maxDbWaiting: number;
  /** Requests in progress (admitted, not yet answered) beyond which new ones are shed; 0: off. */
  readonly maxInFlight?: number;
  readonly retryAfterSeconds: number;
  /** Pace connections that come back before their Retry-After is up (see delayFor below). */
  readonly pace?: boolean;
  /** How often the event-loop delay is sampled (default 1000 ms, under-pressure's own). */
  readonly sampleIntervalMs?: number;
}

export interface LoadSheddingDeps {
  readonly log: FastifyBaseLogger;
  /** Callers waiting for the database now (DatabaseHandle.queueDepth). */
  readonly dbQueueDepth: () => number;
}

const EXEMPT = new Set(['/health', '/metrics']);
const WARN_EVERY_MS = 10_000;

export async function installLoadShedding(app: FastifyInstance, deps: LoadSheddingDeps, opts: LoadSheddingOptions): Promise<void> {
  const retryAfter = String(opts.retryAfterSeconds);
  let warnedAt = -Infinity;
  const retryAfterMs = opts.retryAfterSeconds * 1000;
  // When each connection's last 503 was (to be) sent, for pacing.
  const lastShed = new WeakMap<object, number>();
  /**
   * A connection's first 503 is sent at once. One that comes back before its Retry-After is up
   * gets its next 503 when the Retry-After is up: a client that honours the header never waits,
   * one that retries at once whatever it says is paced to one refusal per Retry-After per
   * connection instead of spending, on being refused, the CPU the admitted requests need.
   */
  const delayFor = (req: FastifyRequest): number => {
    if (!opts.pace) return 0;
    const now = Date.now();
    const last = lastShed.get(req.raw.socket);
    // Jittered (up to half a Retry-After more), so that connections refused together do not all
    // come back, and get refused, in one burst every Retry-After.
    const due = last === undefined ? 0 : Math.max(0, last + retryAfterMs - now);
    const delay = due === 0 ? 0 : Math.round(due + (Math.random() * retryAfterMs) / 2);
    lastShed.set(req.raw.socket, now + delay);
    return delay;
  };
  /** Answers 503 now, or once its pacing delay is up (the promise settles once the answer is sent). */
  const shed = (req: FastifyRequest, reply: FastifyReply, why: string, value: number): Promise<void> | undefined => {
    if (Date.now() - warnedAt >= WARN_EVERY_MS) {
      warnedAt = Date.now();
      deps.log.warn({ reason: why, value }, 'overloaded: shedding new requests with 503 (logged at most every 10 s)');
    }
    const answer = () =>
      reply
        .code(503)
        .type('application/json; charset=utf-8')
        .header('retry-after', retryAfter)
        .send(errorBody('service_unavailable', `the server is overloaded (${why}); retry after ${retryAfter} s (request ${req.id})`));
    const delayMs = delayFor(req);
    if (delayMs === 0) {
      void answer();
      return undefined;
    }
    return new Promise<void>((resolve) => {
      setTimeout(() => {
        void answer();
        resolve();
      }, delayMs);
    });
  };
  const exempt = (req: FastifyRequest) => EXEMPT.has(req.routeOptions.url ?? '');

  if (opts.maxEventLoopDelayMs > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: opts.maxEventLoopDelayMs,
      sampleInterval: opts.sampleIntervalMs ?? 1000,
      // Not sending lets the request through (under-pressure's contract); fastify stops at a sent reply.
      // Infinity is a sample with no measurement: the loop never turned during it, one long
      // synchronous task (startup, a key generation), not a flood of requests (each turn of a
      // saturated loop is measured); the loop is turning again now, so shedding would help nobody.
      pressureHandler: (req, reply, _type, value) => {
        if (exempt(req) || value === undefined || value === Infinity) return undefined;
        return shed(req, reply, `event-loop delay ${Math.round(value)} ms`, value);
      },
    });
  }
  const maxWaiting = opts.maxDbWaiting;
  const maxInFlight = opts.maxInFlight ?? 0;
  if (maxWaiting === 0 && maxInFlight === 0) return;
  // Requests admitted and not yet answered. Counted at admission, synchronously: the database's
  // queue grows only once admitted requests reach it, so a burst read in one turn of the loop would
  // all see the same short queue and all be admitted.
  let inFlight = 0;
  const counted = new WeakSet<FastifyRequest>();
  const finished = (req: FastifyRequest) => {
    if (counted.delete(req)) inFlight--;
  };
  app.addHook('onRequest', (req, reply, done) => {
    // Already answered by the event-loop check (its delayed answer resolves into this chain).
    if (reply.sent) return undefined;
    if (exempt(req)) return done();
    const waiting = maxWaiting > 0 ? deps.dbQueueDepth() : 0;
    if (maxWaiting > 0 && waiting > maxWaiting) {
      // done() is not called: the request ends with the 503, now or after the delay.
      void shed(req, reply, `${waiting} waiting for the database`, waiting);
      return undefined;
    }
    if (maxInFlight > 0 && !STREAMS.test(req.routeOptions.url ?? '')) {
      if (inFlight >= maxInFlight) {
        void shed(req, reply, `${inFlight} requests in progress`, inFlight);
        return undefined;
      }
      inFlight++;
      counted.add(req);
      // Whichever comes first: the answer, or the connection closing under an aborted request.
      reply.raw.once('close', () => finished(req));
    }
    return done();
  });
  app.addHook('onResponse', (req, _reply, done) => {
    finished(req);
    done();
  });
}

// Event streams (`payrail listen`) stay open for as long as the client listens: not "in progress".
const STREAMS = /\/payrail\/events$/;
