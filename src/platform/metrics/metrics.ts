import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../../kernel/clock.js';
import type { PoolStats, Queryable } from '../db/database.js';
import type { DeliveryObservation } from '../webhooks/delivery-worker.js';
import { jobCounts, outboxBacklog } from './backlog.repo.js';
import { RequestSeries } from './request-series.js';

/**
 * One runtime's Prometheus metrics (GET /metrics, docs/operations.md "Metrics"). Everything lives in
 * this runtime's own Registry, never prom-client's global one: the tests start several runtimes in
 * one process. Counters and histograms move on the request path and in the delivery worker; the
 * backlog and pool gauges are read from the database only when scraped.
 *
 * Label values are bounded by construction: `method` is a partner method path (`session/create`) or
 * a route pattern (`/pay/:id`), never a raw URL; `code` is one of the closed list of error codes
 * (kernel/errors.ts); `kind` is a job kind; `outcome` a webhook state.
 */
export interface MetricsDeps {
  readonly db: Queryable;
  /** The sandbox-aware clock: webhook and job due times are on it. */
  readonly clock: Clock;
  readonly poolStats: () => PoolStats;
  readonly info: { readonly version: string; readonly mode: string; readonly database: string };
  /** How long a scrape waits for the backlog queries before answering without them (default 5 s). */
  readonly queryTimeoutMs?: number;
}

export interface Metrics {
  readonly registry: Registry;
  readonly contentType: string;
  /** One answered HTTP request. `code` is the envelope's error code, or '' for a success. */
  observeRequest(method: string, status: number, code: string, seconds: number): void;
  /** The delivery worker's observer (WorkerDeps.observeDelivery). */
  observeDelivery(attempt: DeliveryObservation): void;
  /** The exposition text: reads the backlog and pool gauges, then renders everything. */
  scrape(): Promise<string>;
}

const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LAG_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
/** Webhook states as delivery outcomes: `pending` after an attempt means another one is scheduled. */
const OUTCOME = { delivered: 'delivered', pending: 'retrying', failed: 'failed', no_endpoint: 'failed' } as const;

export function createMetrics(deps: MetricsDeps): Metrics {
  const registry = new Registry();
  // Process CPU, memory, handles, GC, and the event-loop delay (nodejs_eventloop_lag_*), sampled every 10 ms.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const registers = [registry];

  new Gauge({ name: 'payrail_info', help: 'Always 1; the labels say which server this is', labelNames: ['version', 'mode', 'database'], registers }).set(deps.info, 1);

  // Counted on every answer: plain numbers, rendered at scrape time (request-series.ts says why).
  const requests = new RequestSeries({
    counter: { name: 'payrail_http_requests_total', help: 'HTTP requests answered, by API method or route, HTTP status and error code ("" on success)' },
    histogram: { name: 'payrail_http_request_duration_seconds', help: 'Time from the request arriving to its answer being sent, by API method or route and HTTP status', buckets: LATENCY_BUCKETS },
  });
  requests.register(registry);

  const deliveries = new Counter({ name: 'payrail_webhook_deliveries_total', help: 'Webhook delivery attempts by outcome: delivered, retrying (another attempt is scheduled), failed (the retry schedule gave up)', labelNames: ['outcome'], registers });
  const lag = new Histogram({ name: 'payrail_webhook_delivery_lag_seconds', help: 'From the commit that wrote a webhook (or its resend) to the start of its first attempt', buckets: LAG_BUCKETS, registers });
  const attemptTime = new Histogram({ name: 'payrail_webhook_attempt_duration_seconds', help: 'How long webhook receivers took to answer an attempt', buckets: LATENCY_BUCKETS, registers });

  const webhooks = new Gauge({ name: 'payrail_webhook_backlog', help: 'Webhooks waiting in the outbox: pending (all not yet delivered nor given up), due (their attempt time has come)', labelNames: ['state'], registers });
  const oldestDue = new Gauge({ name: 'payrail_webhook_oldest_due_seconds', help: 'How long the oldest due webhook has been waiting for its attempt (0: none is due)', registers });
  const jobs = new Gauge({ name: 'payrail_jobs', help: 'Jobs by kind and state: due (waiting for a worker), running (under a live lease), failed (attempts used up)', labelNames: ['kind', 'state'], registers });
  const pool = new Gauge({ name: 'payrail_db_pool_connections', help: 'Database connections by state (PGlite: one connection, in_use while a query or transaction runs)', labelNames: ['state'], registers });
  const poolMax = new Gauge({ name: 'payrail_db_pool_max', help: 'The most connections the pool opens', registers });
  const poolWaiting = new Gauge({ name: 'payrail_db_pool_waiting', help: 'Callers waiting for a database connection (PGlite: queries and transactions queued behind the one running)', registers });
  const dbUp = new Gauge({ name: 'payrail_metrics_database_up', help: '1 when the backlog gauges of this scrape were read from the database, 0 when the database did not answer', registers });
  const scrapeTime = new Gauge({ name: 'payrail_metrics_database_seconds', help: 'How long the backlog queries of this scrape took', registers });

  const readPool = () => {
    const p = deps.poolStats();
    pool.set({ state: 'in_use' }, p.total - p.idle);
    pool.set({ state: 'idle' }, p.idle);
    poolMax.set(p.max);
    poolWaiting.set(p.waiting);
  };

  const readBacklog = async () => {
    const started = process.hrtime.bigint();
    const now = deps.clock.now();
    try {
      // A database that does not answer must not hang the scrape (Prometheus gives up after 10 s by default).
      const [outbox, byKind] = await withTimeout(Promise.all([outboxBacklog(deps.db, now), jobCounts(deps.db, now)]), deps.queryTimeoutMs ?? 5000);
      webhooks.set({ state: 'pending' }, outbox.pending);
      webhooks.set({ state: 'due' }, outbox.due);
      oldestDue.set(outbox.oldestDueSeconds);
      // A kind with no rows left drops out rather than keeping its last value.
      jobs.reset();
      for (const k of byKind) {
        jobs.set({ kind: k.kind, state: 'due' }, k.due);
        jobs.set({ kind: k.kind, state: 'running' }, k.running);
        jobs.set({ kind: k.kind, state: 'failed' }, k.failed);
      }
      dbUp.set(1);
    } catch {
      // The scrape still answers (process metrics, counters); the gauges keep their last values.
      dbUp.set(0);
    }
    scrapeTime.set(Number(process.hrtime.bigint() - started) / 1e9);
  };

  // Concurrent scrapes share one round of queries: a burst of scrapers costs the database one.
  let inFlight: Promise<string> | undefined;
  const render = async () => {
    readPool();
    await readBacklog();
    return registry.metrics();
  };

  return {
    registry,
    contentType: registry.contentType,
    observeRequest(method, status, code, seconds) {
      requests.observe(method, status, code, seconds);
    },
    observeDelivery(attempt) {
      deliveries.inc({ outcome: OUTCOME[attempt.outcome] });
      if (attempt.firstAttemptLagMs !== undefined) lag.observe(Math.max(0, attempt.firstAttemptLagMs) / 1000);
      if (attempt.latencyMs > 0) attemptTime.observe(attempt.latencyMs / 1000);
    },
    scrape() {
      inFlight ??= render().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
