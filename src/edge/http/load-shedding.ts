import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import underPressure from '@fastify/under-pressure';
import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from 'fastify';
import { errorBody } from './errors.js';

/**
 * Load shedding: while the server is saturated, a new request is answered 503 `service_unavailable`
 * with Retry-After by a gate in front of fastify (node's 'request' listener, `shedGate().server`),
 * before fastify builds its request, before any hook, before its body is read, before
 * authentication and before any query: a shed request has done nothing and written nothing, and
 * costs a few microseconds, so that refusing 8× the load does not take the CPU the admitted
 * requests need (bench/overload.ts). It does not reach the request log either; it is counted in
 * the metrics (`onShed`).
 *
 * Three signals (docs/operations.md, "Load shedding"):
 *   - requests in progress: more than `maxInFlight` admitted and not yet answered. The bound that
 *     holds admitted latency: those requests are what queues for the database and the event loop;
 *   - the database queue: more than `maxDbWaiting` callers waiting for a connection (PostgreSQL's
 *     pool) or queued behind the running query (PGlite), read on every request;
 *   - the event loop: @fastify/under-pressure samples the mean event-loop delay every
 *     `sampleIntervalMs` (1 s); above `maxEventLoopDelayMs` the process is CPU-bound and every
 *     admitted request would only wait longer.
 *
 * Requests already admitted are never cut off, and their later queries wait as long as they must
 * (no acquire timeout that could strike between two writes of one call); the admission bound keeps
 * that wait short. The worker (webhook delivery, jobs) is not an HTTP request and is never shed.
 * `/health` (liveness) and `/metrics` are exempt: an overloaded process is alive and must not be
 * restarted; `/ready` is shed like the rest, so the load balancer sees the truth and sends traffic
 * elsewhere. Event streams (`payrail listen`) are admitted by the same checks but, open for as long
 * as the client listens, are not "in progress". Everything recovers by itself: the next request
 * after the pressure falls is admitted.
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

/** Told of each shed request (its path, without the query) once its answer is written. */
export type ShedObserver = (path: string, seconds: number) => void;

export interface ShedGate {
  /** fastify's `serverFactory`: node's HTTP server with the gate in front of fastify's handler. */
  server(handler: RequestListener, opts: FastifyServerOptions): http.Server;
  /**
   * Once the app exists: starts the event-loop signal (when configured, under-pressure's sampler on
   * the app) and tells `onShed` (the metrics) of every shed request from then on.
   */
  attach(app: FastifyInstance, onShed?: ShedObserver): Promise<void>;
}

const EXEMPT = new Set(['/health', '/metrics']);
// Event streams (`payrail listen`) stay open for as long as the client listens: not "in progress".
const STREAMS = /\/payrail\/events$/;
const WARN_EVERY_MS = 10_000;

export function shedGate(deps: LoadSheddingDeps, opts: LoadSheddingOptions): ShedGate {
  const retryAfter = String(opts.retryAfterSeconds);
  const retryAfterMs = opts.retryAfterSeconds * 1000;
  const maxWaiting = opts.maxDbWaiting;
  const maxInFlight = opts.maxInFlight ?? 0;
  const maxDelay = opts.maxEventLoopDelayMs;
  let eventLoopDelay: () => number = () => 0;
  let onShed: ShedObserver | undefined;
  let warnedAt = -Infinity;
  // Requests admitted and not yet answered. Counted at admission, synchronously: the database's
  // queue grows only once admitted requests reach it, so a burst read in one turn of the loop would
  // all see the same short queue and all be admitted.
  let inFlight = 0;
  // When each connection's last 503 was (to be) sent, for pacing.
  const lastShed = new WeakMap<object, number>();

  /**
   * A connection's first 503 is sent at once. One that comes back before its Retry-After is up
   * gets its next 503 when the Retry-After is up: a client that honours the header never waits,
   * one that retries at once whatever it says is paced to one refusal per Retry-After per
   * connection instead of spending, on being refused, the CPU the admitted requests need.
   */
  const delayFor = (req: IncomingMessage): number => {
    if (!opts.pace) return 0;
    const now = Date.now();
    const last = lastShed.get(req.socket);
    // Jittered (up to half a Retry-After more), so that connections refused together do not all
    // come back, and get refused, in one burst every Retry-After.
    const due = last === undefined ? 0 : Math.max(0, last + retryAfterMs - now);
    const delay = due === 0 ? 0 : Math.round(due + (Math.random() * retryAfterMs) / 2);
    lastShed.set(req.socket, now + delay);
    return delay;
  };

  const shed = (req: IncomingMessage, res: ServerResponse, path: string, why: string, value: number): void => {
    const started = performance.now();
    if (Date.now() - warnedAt >= WARN_EVERY_MS) {
      warnedAt = Date.now();
      deps.log.warn({ reason: why, value }, 'overloaded: shedding new requests with 503 (logged at most every 10 s)');
    }
    const id = `req_${randomUUID()}`;
    const answer = () => {
      const body = errorBody('service_unavailable', `the server is overloaded (${why}); retry after ${retryAfter} s (request ${id})`);
      res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'retry-after': retryAfter, 'x-request-id': id });
      res.end(body);
      onShed?.(path, (performance.now() - started) / 1000);
    };
    const delayMs = delayFor(req);
    if (delayMs === 0) answer();
    else setTimeout(answer, delayMs);
  };

  /** Whether `req` may go on to fastify; if not, its 503 is (or will be) written here. */
  const admit = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (EXEMPT.has(path)) return true;
    if (maxWaiting > 0) {
      const waiting = deps.dbQueueDepth();
      if (waiting > maxWaiting) return shed(req, res, path, `${waiting} waiting for the database`, waiting), false;
    }
    if (maxDelay > 0) {
      const delay = eventLoopDelay();
      // Infinity is a sample with no measurement: the loop never turned during it, one long
      // synchronous task (startup, a key generation), not a flood of requests (each turn of a
      // saturated loop is measured); the loop is turning again now, so shedding would help nobody.
      if (delay > maxDelay && delay !== Infinity) return shed(req, res, path, `event-loop delay ${Math.round(delay)} ms`, delay), false;
    }
    if (maxInFlight > 0 && !STREAMS.test(path)) {
      if (inFlight >= maxInFlight) return shed(req, res, path, `${inFlight} requests in progress`, inFlight), false;
      inFlight++;
      // 'close' comes once, whichever comes first: the answer finished, or the connection closed
      // under an aborted request.
      res.once('close', () => inFlight--);
    }
    return true;
  };

  return {
    server(handler, fastifyOpts) {
      const server = http.createServer((req, res) => {
        if (admit(req, res)) handler(req, res);
      });
      // What fastify sets on a server it creates itself (lib/server.js).
      server.keepAliveTimeout = fastifyOpts.keepAliveTimeout ?? 72_000;
      server.requestTimeout = fastifyOpts.requestTimeout ?? 0;
      server.setTimeout(fastifyOpts.connectionTimeout ?? 0);
      return server;
    },
    async attach(app, observer) {
      onShed = observer;
      if (maxDelay <= 0) return;
      // Thresholds unset: under-pressure only samples (and adds no hook); the gate decides.
      await app.register(underPressure, { sampleInterval: opts.sampleIntervalMs ?? 1000 });
      eventLoopDelay = () => app.memoryUsage().eventLoopDelay;
    },
  };
}
