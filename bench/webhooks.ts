/**
 * `npm run bench:webhooks`: signed webhook delivery to a local receiver that answers 200 at once.
 *
 * Target (the issue): at least 1,000 signed deliveries/s from the worker alone, and a p99 under 1 s
 * from commit to first attempt.
 *
 * For each engine (PostgreSQL, PGlite), on one fresh database and data directory:
 *   setup     the bench process opens the database with payrail's own runtime (migrations, demo
 *             project, server key), points the demo project's webhook_url at the receiver, and queues
 *             two backlogs the way a state change does (a new session with createSession and its
 *             webhook with the outbox writer enqueueWebhook, one transaction per 500), no worker running:
 *               A: BACKLOG webhooks, pending and due now;
 *               B: LOAD_BACKLOG webhooks, created on 2001-01-01 and marked failed (inert until resent).
 *   1. the worker alone (`payrail worker`, its own process):
 *        throughput: it is started and delivers backlog A; deliveries/s is A over the span from its
 *                    first to its last arrival at the receiver (the wall time from spawn is shown too);
 *        latency:    (PostgreSQL) the bench commits RATE webhooks/s for SECONDS, each in its own
 *                    transaction; latency is arrival at the receiver − the webhook's created_at (the
 *                    time stored by the committing transaction, just before its COMMIT). The worker
 *                    learns of them by polling, as it does for any other process's commits.
 *      (PGlite is single-process: nothing else can commit while the worker holds the database, so
 *      its latency runs use `serve` and POST /admin/webhooks/trigger, PGLITE_RATE a second for SECONDS,
 *      each committing a new session and its webhook in the server, which then wakes its worker at
 *      once. The rate is lower because the trigger itself costs the one PGlite thread several ms: an
 *      offered rate above what the server can commit would measure the producer's queue, not delivery.)
 *   2. `payrail serve` (its in-process worker on, as deployed) under signed session/create load:
 *      autocannon drives CONNECTIONS connections (closed loop) for a 2 s warm-up and a 3 s baseline,
 *      then, with the load still on:
 *        latency:    the steady commits again (PostgreSQL: the bench; PGlite: the trigger);
 *        throughput: backlog B is made due at once (POST /admin/webhooks/resend over its window) and
 *                    delivered; deliveries/s as above.
 * The receiver is its own process (bench/webhook-receiver.ts): it answers 200 at once, timestamps
 * arrivals by X-PAYRAIL-WEBHOOK-ID, counts repeats and verifies one signature in VERIFY_EVERY against
 * <data dir>/payrail.public.pem. At the end every webhook must be delivered, once, with exactly one
 * attempt, every sampled signature must verify, and session/create must have had no failures.
 * CPU per phase is read from /proc, as % of one core: the payrail process, the receiver, the bench
 * (producer and load generator), the local PostgreSQL server's processes, and the rest of the
 * machine's busy time ("other": the kernel's own, and anything else running). A phase whose
 * "other" exceeds 30% was disturbed by something else on the machine and is flagged, as is a
 * machine that is not idle for the second before the run.
 *
 * Environment:
 *   BENCH_WH_ENGINES        comma list of postgres,pglite (default both)
 *   BENCH_WH_BACKLOG        PostgreSQL: webhooks for the worker-alone throughput run (default 20000)
 *   BENCH_WH_LOAD_BACKLOG   PostgreSQL: webhooks for the throughput run under load (default 5000)
 *   BENCH_WH_PGLITE_BACKLOG, BENCH_WH_PGLITE_LOAD_BACKLOG   the same for PGlite (defaults 6000, 2000)
 *   BENCH_WH_RATE           PostgreSQL: steady commits/s for the latency runs (default 500)
 *   BENCH_WH_PGLITE_RATE    PGlite: the same, through the admin trigger (default 100)
 *   BENCH_WH_SECONDS        seconds of steady commits per latency run (default 8; a producer that
 *                           falls behind RATE stops at SECONDS, and its achieved rate is reported)
 *   BENCH_WH_CONNECTIONS    session/create connections (default 64)
 *   BENCH_WH_VERIFY_EVERY   verify one signature in this many (default 10)
 *   BENCH_WH_LOG_LEVEL      payrail LOG_LEVEL (default info, as deployed; stdout goes to /dev/null)
 *   BENCH_WH_TIMEOUT        seconds to wait for any phase's deliveries (default 90)
 *   BENCH_WH_WAIT_QUIET     before the run and each engine, wait up to this many seconds for other programs
 *                           to leave the CPU idle (default 0: do not wait)
 *   BENCH_WH_ALONE_ONLY=1   only step 1 (the worker alone), e.g. for profiling or A/B runs
 *   BENCH_WH_EXTRA_SQL      diagnostic: ';'-separated SQL run on the database after migrations, before the
 *                           backlogs are queued (e.g. a candidate index); the run is labelled with it
 *   BENCH_WH_PAYRAIL_BIN    diagnostic: the payrail entry point to run, e.g. a patched copy's bin/payrail.js
 *                           (setup and checks still use this checkout's src/)
 *   BENCH_WH_NODE_ARGS      extra node flags for the payrail processes (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof)
 *   BENCH_DATABASE_URL      PostgreSQL server for the run's database (default postgres://postgres@127.0.0.1:5432/postgres)
 *   BENCH_NO_BUILD=1        skip `tsc -p tsconfig.build.json`
 * Exit code 1 when a check failed or a target was missed.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPrivateKey, sign } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { Agent, request } from 'undici';
import { loadConfig, type Config } from '../src/platform/config/config.js';
import { openDatabase, type DatabaseHandle, type Db, type Tx } from '../src/platform/db/database.js';
import type { WebhookType } from '../src/platform/db/schema.js';
import { loadKeyring, type Keyring } from '../src/platform/keys/keyring.js';
import { resolveMasterKey } from '../src/platform/keys/master-key.js';
import { findProjectByName, type Project } from '../src/domain/projects/project.repo.js';
import { createRuntime } from '../src/runtime.js';
import type { SessionParams } from '../src/domain/sessions/session.repo.js';
import { loadSessionView, type SessionView } from '../src/domain/sessions/session-view.js';
import { createSession } from '../src/domain/sessions/session.service.js';
import { newId } from '../src/kernel/ids.js';
import { paymentOperations } from '../src/domain/payments/payment.kind.js';
import { payoutOperations } from '../src/domain/payouts/payout.kind.js';
import { refundOperations } from '../src/domain/refunds/refund.kind.js';
import { outboxEvents } from '../src/edge/wire/outbox-events.js';

const OPERATION_KINDS = [paymentOperations, payoutOperations, refundOperations];
const OUTBOX = outboxEvents({ ids: newId });
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGET_RATE = 1000;
const TARGET_P99_MS = 1000;

function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}

type Engine = 'postgres' | 'pglite';
const ENGINES = (process.env['BENCH_WH_ENGINES'] ?? 'postgres,pglite')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean) as Engine[];
for (const e of ENGINES) if (e !== 'postgres' && e !== 'pglite') throw new Error(`BENCH_WH_ENGINES: unknown engine "${e}"`);
/** Backlog sizes per engine: PGlite delivers (and queues) at about a third of PostgreSQL's rate. */
const BACKLOG: Record<Engine, number> = {
  postgres: Math.round(numberEnv('BENCH_WH_BACKLOG', 20_000)),
  pglite: Math.round(numberEnv('BENCH_WH_PGLITE_BACKLOG', 6_000)),
};
const LOAD_BACKLOG: Record<Engine, number> = {
  postgres: Math.round(numberEnv('BENCH_WH_LOAD_BACKLOG', 5_000)),
  pglite: Math.round(numberEnv('BENCH_WH_PGLITE_LOAD_BACKLOG', 2_000)),
};
const RATE: Record<Engine, number> = { postgres: numberEnv('BENCH_WH_RATE', 500), pglite: numberEnv('BENCH_WH_PGLITE_RATE', 100) };
const SECONDS = numberEnv('BENCH_WH_SECONDS', 8);
const CONNECTIONS = Math.round(numberEnv('BENCH_WH_CONNECTIONS', 64));
const VERIFY_EVERY = Math.round(numberEnv('BENCH_WH_VERIFY_EVERY', 10));
const LOG_LEVEL = process.env['BENCH_WH_LOG_LEVEL'] || 'info';
const TIMEOUT_MS = numberEnv('BENCH_WH_TIMEOUT', 90) * 1000;
const ALONE_ONLY = process.env['BENCH_WH_ALONE_ONLY'] === '1';
const WAIT_QUIET_S = Number(process.env['BENCH_WH_WAIT_QUIET'] || 0);
const EXTRA_SQL = (process.env['BENCH_WH_EXTRA_SQL'] ?? '')
  .split(';')
  .map((s) => s.trim())
  .filter(Boolean);
/** Diagnostic: run a patched build (a copy's bin/payrail.js) instead of this checkout's. */
const PAYRAIL_BIN = process.env['BENCH_WH_PAYRAIL_BIN'] || 'bin/payrail.js';
const NODE_ARGS = (process.env['BENCH_WH_NODE_ARGS'] || '').split(/\s+/).filter(Boolean);
const PG_BASE = process.env['BENCH_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';

/** Backlog B's creation window: far from real time, so the resend window selects exactly it. */
const B_FROM = new Date('2001-01-01T00:00:00.000Z');
const B_TO = new Date('2001-01-02T00:00:00.000Z');
const WEBHOOK_TYPE: WebhookType = 'payment_finished';
const SESSION_BODY = JSON.stringify({
  amount_details: { amount: 10000, currency: 'usd' },
  customer: { reference: 'bench-customer-1' },
  metadata: { order_id: 'bench-order-1', source: 'payrail-bench' },
});

const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// processes

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const databases = new Set<string>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

interface Payrail {
  readonly child: ChildProcess;
  readonly port: number;
  readonly spawnedAt: number;
  stderrTail(): string;
}

function startPayrail(command: 'serve' | 'worker', env: Record<string, string>, port: number): Payrail {
  const spawnedAt = Date.now();
  const child = track(
    spawn(process.execPath, [...NODE_ARGS, PAYRAIL_BIN, command], {
      cwd: ROOT,
      env: { ...process.env, HOST: '127.0.0.1', PAYRAIL_MODE: 'sandbox', LOG_LEVEL, ...env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  let tail = '';
  child.stderr?.on('data', (c: Buffer) => {
    tail = (tail + c.toString()).slice(-4000);
  });
  return { child, port, spawnedAt, stderrTail: () => tail };
}

async function waitListening(p: Payrail, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null) throw new Error(`payrail exited (${p.child.exitCode}) before listening:\n${p.stderrTail()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(p.port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`payrail did not listen on ${p.port} within ${timeoutMs} ms:\n${p.stderrTail()}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// the receiver process

interface ReceiverStats {
  unique: number;
  duplicates: number;
  verified: number;
  badSignatures: number;
  missingId: number;
}

class ReceiverProcess {
  readonly child: ChildProcess;
  port = 0;
  #replies: ((m: unknown) => void)[] = [];

  private constructor(child: ChildProcess) {
    this.child = child;
    child.on('message', (m) => this.#replies.shift()?.(m));
  }

  static async start(): Promise<ReceiverProcess> {
    const child = track(
      fork(path.join(ROOT, 'bench/webhook-receiver.ts'), [], {
        cwd: ROOT,
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, RECEIVER_VERIFY_EVERY: String(VERIFY_EVERY) },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      }),
    );
    const r = new ReceiverProcess(child);
    const first = (await r.#next()) as { port: number };
    r.port = first.port;
    return r;
  }

  #next(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const onExit = () => reject(new Error('the receiver exited'));
      this.child.once('exit', onExit);
      this.#replies.push((m) => {
        this.child.off('exit', onExit);
        resolve(m);
      });
    });
  }

  #ask<T>(msg: object): Promise<T> {
    const reply = this.#next() as Promise<T>;
    this.child.send(msg);
    return reply;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  loadKey(file: string): Promise<unknown> {
    return this.#ask({ cmd: 'key', path: file });
  }

  stats(): Promise<ReceiverStats> {
    return this.#ask({ cmd: 'stats' });
  }

  async arrivals(ids?: string[]): Promise<Map<string, number>> {
    const { arrivals } = await this.#ask<{ arrivals: [string, number][] }>({ cmd: 'dump', ...(ids ? { ids } : {}) });
    return new Map(arrivals);
  }

  /** Waits until `unique` webhooks have arrived in all; throws after TIMEOUT_MS or when `alive` fails. */
  async waitFor(unique: number, alive: () => void): Promise<void> {
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const s = await this.stats();
      if (s.unique >= unique) return;
      alive();
      if (Date.now() > deadline) throw new Error(`only ${s.unique} of ${unique} webhooks arrived within ${TIMEOUT_MS / 1000} s`);
      await sleep(20);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc (Linux)

const TICK_MS = 1000 / (Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100);

function processTicks(pid: number | undefined): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return NaN;
  }
}

function machineBusyTicks(): number {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return user + nice + system + irq + softirq + steal;
}

/** CPU ticks of every process named `postgres` on this machine (a local server), by pid. */
function postgresTicks(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue;
    }
    const ticks = processTicks(Number(entry));
    if (Number.isFinite(ticks)) out.set(Number(entry), ticks);
  }
  return out;
}

interface Cpu {
  payrail: number;
  receiver: number;
  bench: number;
  /** processes named postgres (0 with PGlite, or with a remote server) */
  postgres: number;
  /** the rest of the machine's busy time: the kernel's own, and anything else running (a disturbance) */
  other: number;
}

/** `other` above this (% of one core) marks a phase as disturbed. */
const DISTURBED_PCT = 30;

/** Starts a CPU window; the returned function ends it: each part as % of one core over the window. */
function cpuWindow(payrailPid: number | undefined, receiverPid: number | undefined): () => Cpu {
  const t0 = {
    wall: performance.now(),
    payrail: processTicks(payrailPid),
    receiver: processTicks(receiverPid),
    bench: process.cpuUsage(),
    postgres: postgresTicks(),
    busy: machineBusyTicks(),
  };
  return () => {
    const wall = performance.now() - t0.wall;
    const b = process.cpuUsage(t0.bench);
    const payrail = (processTicks(payrailPid) - t0.payrail) * TICK_MS;
    const receiver = (processTicks(receiverPid) - t0.receiver) * TICK_MS;
    const bench = (b.user + b.system) / 1000;
    let postgres = 0;
    for (const [pid, ticks] of postgresTicks()) postgres += (ticks - (t0.postgres.get(pid) ?? 0)) * TICK_MS;
    const busy = (machineBusyTicks() - t0.busy) * TICK_MS;
    const pct = (ms: number) => (100 * ms) / wall;
    return {
      payrail: pct(payrail),
      receiver: pct(receiver),
      bench: pct(bench),
      postgres: pct(postgres),
      other: pct(Math.max(0, busy - payrail - receiver - bench - postgres)),
    };
  };
}

// ---------------------------------------------------------------------------------------------
// setup: database, demo project, webhook_url, backlogs

async function withPostgresDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = `payrail_bench_wh_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: PG_BASE });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  databases.add(name);
  await admin.end();
  const url = new URL(PG_BASE);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    const c = new pg.Client({ connectionString: PG_BASE });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    databases.delete(name);
    await c.end();
  }
}

/** What committing one webhook needs: the demo project and the keyring createSession uses. */
interface Outbox {
  readonly db: Db;
  readonly project: Project;
  readonly keyring: Keyring;
}

async function openOutbox(db: Db, config: Config): Promise<Outbox> {
  const project = await findProjectByName(db, 'demo');
  if (!project?.webhookUrl) throw new Error('the demo project has no webhook_url');
  return { db, project, keyring: await loadKeyring(db, resolveMasterKey(config), new Date()) };
}

/**
 * Writes webhooks the way a state change does: a new session (session/create's own createSession)
 * and its webhook (the outbox writer), in the caller's transaction, `now` being the commit time
 * stored as created_at. One new session each, so per-session ordering never serializes them.
 */
async function writeWebhooks(tx: Tx, o: Outbox, count: number, at: (i: number) => Date): Promise<string[]> {
  const params = JSON.parse(SESSION_BODY) as SessionParams;
  const ids: string[] = [];
  let empty: SessionView | undefined;
  for (let i = 0; i < count; i++) {
    const now = at(i);
    const session = await createSession(tx, { clock: { now: () => now }, ids: newId, keyring: o.keyring }, o.project, params);
    // A new session has no operations yet: every new session's view is the first one's, with its own row.
    empty ??= await loadSessionView(tx, OPERATION_KINDS, session);
    ids.push((await OUTBOX.emit(tx, o.project, { ...empty, session }, WEBHOOK_TYPE, now))!);
  }
  return ids;
}

/** Queues `n` webhooks in transactions of 500 (`parallel` at a time on PostgreSQL). */
async function queueBacklog(o: Outbox, n: number, at: (i: number) => Date, state: 'pending' | 'failed', parallel: number): Promise<string[]> {
  const batches: number[] = [];
  for (let start = 0; start < n; start += 500) batches.push(start);
  const out: string[][] = [];
  const next = async (): Promise<void> => {
    const start = batches.shift();
    if (start === undefined) return;
    out.push(
      await o.db.transaction().execute(async (tx) => {
        const ids = await writeWebhooks(tx, o, Math.min(500, n - start), (i) => at(start + i));
        if (state === 'failed') await tx.updateTable('webhooks').set({ state: 'failed', last_error: 'bench: waiting for resend' }).where('id', 'in', ids).execute();
        return ids;
      }),
    );
    return next();
  };
  await Promise.all(Array.from({ length: parallel }, next));
  return out.flat();
}

interface Setup {
  readonly adminToken: string;
  readonly backlogA: string[];
  readonly backlogB: string[];
  readonly signature: string;
}

function payrailConfig(dataDir: string, dbUrl: string | undefined): Config {
  return loadConfig({ PAYRAIL_DATA_DIR: dataDir, DATABASE_URL: dbUrl ?? '', LOG_LEVEL: 'silent', PAYRAIL_MODE: 'sandbox' });
}

async function setup(engine: Engine, dataDir: string, dbUrl: string | undefined, receiverUrl: string): Promise<Setup> {
  const config = payrailConfig(dataDir, dbUrl);
  const runtime = await createRuntime(config, { startWorker: false, logger: pino({ level: 'silent' }) });
  try {
    const res = await runtime.app.inject({
      method: 'PATCH',
      url: '/admin/projects/demo',
      headers: { authorization: `Bearer ${runtime.adminToken}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ webhook_url: receiverUrl }),
    });
    if (res.statusCode !== 200) throw new Error(`setting the demo webhook_url answered ${res.statusCode}: ${res.body}`);
    for (const statement of EXTRA_SQL) await sql.raw(statement).execute(runtime.database.db);
    const t = performance.now();
    const o = await openOutbox(runtime.database.db, config);
    const now = new Date();
    const parallel = dbUrl ? 4 : 1;
    const backlogA = await queueBacklog(o, BACKLOG[engine], () => now, 'pending', parallel);
    const backlogB = await queueBacklog(o, ALONE_ONLY ? 0 : LOAD_BACKLOG[engine], (i) => new Date(B_FROM.getTime() + i), 'failed', parallel);
    log(`  queued ${backlogA.length} + ${backlogB.length} webhooks in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const signature = sign('sha256', Buffer.from(SESSION_BODY), createPrivateKey(fs.readFileSync(path.join(dataDir, 'demo.private.pem')))).toString('base64');
    return { adminToken: runtime.adminToken, backlogA, backlogB, signature };
  } finally {
    await runtime.close();
  }
}

// ---------------------------------------------------------------------------------------------
// producers: steady commits, `rate` a second for SECONDS, open loop (at most 256 outstanding)

interface Produced {
  ids: string[];
  errors: number;
  rate: number;
}

type Commit = () => Promise<string>;

async function produce(commit: Commit, rate: number): Promise<Produced> {
  const total = Math.round(rate * SECONDS);
  const ids: string[] = [];
  let errors = 0;
  let sent = 0;
  let outstanding = 0;
  const started = performance.now();
  let closed = false;
  await new Promise<void>((resolve) => {
    const settle = () => {
      if (closed && outstanding === 0) resolve();
    };
    const tick = () => {
      const elapsed = performance.now() - started;
      const due = Math.min(total, Math.floor((elapsed / 1000) * rate));
      while (sent < due && outstanding < 256) {
        sent++;
        outstanding++;
        void commit()
          .then(
            (id) => void ids.push(id),
            () => void errors++,
          )
          .finally(() => {
            outstanding--;
            settle();
          });
      }
      if (sent < total && elapsed < SECONDS * 1000) setTimeout(tick, 5);
      else {
        closed = true;
        settle();
      }
    };
    tick();
  });
  // committed over the time from the first send to the last commit's answer
  return { ids, errors, rate: (ids.length / (performance.now() - started)) * 1000 };
}

/** PostgreSQL: the bench commits each webhook (with its new session) in its own transaction. */
function directCommit(o: Outbox): Commit {
  return async () => (await o.db.transaction().execute((tx) => writeWebhooks(tx, o, 1, () => new Date())))[0]!;
}

/** Either engine: the server commits it, POST /admin/webhooks/trigger (a new session each). */
function triggerCommit(port: number, token: string, agent: Agent): Commit {
  const body = JSON.stringify({ type: WEBHOOK_TYPE });
  return async () => {
    const res = await request(`http://127.0.0.1:${port}/admin/webhooks/trigger`, {
      method: 'POST',
      dispatcher: agent,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    const json = (await res.body.json()) as { webhook_id?: string };
    if (res.statusCode !== 200 || !json.webhook_id) throw new Error(`trigger answered ${res.statusCode}`);
    return json.webhook_id;
  };
}

async function admin(port: number, token: string, method: string, url: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${port}/admin${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} /admin${url} answered ${res.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

// ---------------------------------------------------------------------------------------------
// session/create load

type Cannon = Promise<Result> & { stop(): void; on(event: 'response', fn: (client: unknown, status: number) => void): void };

function startLoad(port: number, signature: string): { cannon: Cannon; ok: () => number } {
  let ok = 0;
  const cannon = autocannon({
    url: `http://127.0.0.1:${port}/api/v1/session/create`,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': signature },
    body: SESSION_BODY,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: 3600,
    timeout: 10,
  }) as Cannon;
  cannon.on('response', (_client, status) => {
    if (status >= 200 && status < 300) ok++;
  });
  return { cannon, ok: () => ok };
}

// ---------------------------------------------------------------------------------------------
// one engine

interface Latency {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

interface Phase {
  engine: Engine;
  name: string;
  webhooks: number;
  /** deliveries/s, first to last arrival (throughput phases) */
  rate?: number;
  /** wall seconds from the start signal (spawn, or resend) to the last arrival */
  wall?: number;
  /** commits/s achieved by the producer (latency phases) */
  produced?: number;
  producerErrors?: number;
  latencyIds?: string[];
  latency?: Latency;
  /** session/create 2xx per second during the phase */
  apiRps?: number;
  cpu: Cpu;
}

interface EngineResult {
  phases: Phase[];
  baselineRps: number;
  apiResult: Result | undefined;
  problems: string[];
}

function span(arrivals: Map<string, number>, ids: string[]): { first: number; last: number } {
  let first = Infinity;
  let last = -Infinity;
  for (const id of ids) {
    const t = arrivals.get(id);
    if (t === undefined) continue;
    if (t < first) first = t;
    if (t > last) last = t;
  }
  return { first, last };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function runEngine(engine: Engine, dbUrl: string | undefined): Promise<EngineResult> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `payrail-bench-wh-${engine}-`));
  tempDirs.add(tmp);
  const dataDir = path.join(tmp, 'data');
  const env = { PAYRAIL_DATA_DIR: dataDir, DATABASE_URL: dbUrl ?? '' };
  const receiver = await ReceiverProcess.start();
  const phases: Phase[] = [];
  const problems: string[] = [];
  let proc: Payrail | undefined;
  let load: ReturnType<typeof startLoad> | undefined;
  let apiResult: Result | undefined;
  let baselineRps = NaN;
  let bench: DatabaseHandle | undefined;
  const agent = new Agent({ connections: 32 });
  const alive = () => {
    if (proc && proc.child.exitCode !== null) throw new Error(`payrail exited (${proc.child.exitCode}):\n${proc.stderrTail()}`);
  };
  try {
    const s = await setup(engine, dataDir, dbUrl, receiver.url);
    await receiver.loadKey(path.join(dataDir, 'payrail.public.pem'));
    // PostgreSQL: the bench also commits webhooks itself, next to the running payrail process.
    bench = dbUrl ? await openDatabase({ databaseUrl: dbUrl, poolSize: 8 }) : undefined;
    const outbox = bench ? await openOutbox(bench.db, payrailConfig(dataDir, dbUrl)) : undefined;
    let expected = 0;

    const latencyPhase = async (name: string, commit: Commit): Promise<Phase> => {
      const cpu = cpuWindow(proc?.child.pid, receiver.child.pid);
      const ok0 = load?.ok() ?? 0;
      const t0 = performance.now();
      const p = await produce(commit, RATE[engine]);
      expected += p.ids.length;
      await receiver.waitFor(expected, alive);
      const seconds = (performance.now() - t0) / 1000;
      const phase: Phase = {
        engine,
        name,
        webhooks: p.ids.length,
        produced: p.rate,
        producerErrors: p.errors,
        latencyIds: p.ids,
        cpu: cpu(),
        ...(load ? { apiRps: (load.ok() - ok0) / seconds } : {}),
      };
      if (p.errors) problems.push(`${engine} ${name}: ${p.errors} commits failed`);
      log(`  ${engine} ${name}: ${p.ids.length} committed at ${p.rate.toFixed(0)}/s${phase.apiRps ? `, session/create ${phase.apiRps.toFixed(0)} req/s` : ''}`);
      return phase;
    };

    // 1. `payrail worker` alone: drain backlog A (then, on PostgreSQL, steady commits from the bench)
    {
      proc = startPayrail('worker', { ...env }, await freePort());
      const cpu = cpuWindow(proc.child.pid, receiver.child.pid);
      expected += s.backlogA.length;
      await receiver.waitFor(expected, alive);
      const c = cpu();
      const { first, last } = span(await receiver.arrivals(s.backlogA), s.backlogA);
      const phase: Phase = {
        engine,
        name: '`payrail worker` alone: backlog',
        webhooks: s.backlogA.length,
        rate: s.backlogA.length / Math.max(0.001, (last - first) / 1000),
        wall: (last - proc.spawnedAt) / 1000,
        cpu: c,
      };
      phases.push(phase);
      log(`  ${engine} worker alone: ${phase.rate!.toFixed(0)} deliveries/s (${phase.webhooks} in ${((last - first) / 1000).toFixed(2)} s; ${phase.wall!.toFixed(2)} s from spawn)`);
      if (outbox) phases.push(await latencyPhase(`\`payrail worker\` alone: steady, bench commits`, directCommit(outbox)));
      await stopProcess(proc.child);
    }

    if (!ALONE_ONLY) {
      // 2. `payrail serve` (worker in-process)
      proc = startPayrail('serve', { ...env }, await freePort());
      await waitListening(proc);
      const commit = outbox ? directCommit(outbox) : triggerCommit(proc.port, s.adminToken, agent);
      const producer = outbox ? 'bench commits' : 'server commits (admin trigger)';
      if (!outbox) phases.push(await latencyPhase(`\`serve\` alone: steady, ${producer}`, commit));

      // 3. `payrail serve` under signed session/create load
      load = startLoad(proc.port, s.signature);
      await sleep(2000);
      {
        const ok0 = load.ok();
        const t0 = performance.now();
        await sleep(3000);
        baselineRps = (load.ok() - ok0) / ((performance.now() - t0) / 1000);
        log(`  ${engine} session/create alone: ${baselineRps.toFixed(0)} req/s`);
      }
      phases.push(await latencyPhase(`\`serve\` + session/create load: steady, ${producer}`, commit));
      {
        const cpu = cpuWindow(proc.child.pid, receiver.child.pid);
        const ok0 = load.ok();
        const t0 = Date.now();
        const resent = (await admin(proc.port, s.adminToken, 'POST', '/webhooks/resend', { from: B_FROM.toISOString(), to: B_TO.toISOString() })) as { resent: number };
        if (resent.resent !== s.backlogB.length) problems.push(`${engine}: resend made ${resent.resent} due, expected ${s.backlogB.length}`);
        expected += s.backlogB.length;
        await receiver.waitFor(expected, alive);
        const seconds = (Date.now() - t0) / 1000;
        const c = cpu();
        const { first, last } = span(await receiver.arrivals(s.backlogB), s.backlogB);
        const phase: Phase = {
          engine,
          name: '`serve` + session/create load: backlog',
          webhooks: s.backlogB.length,
          rate: s.backlogB.length / Math.max(0.001, (last - first) / 1000),
          wall: (last - t0) / 1000,
          apiRps: (load.ok() - ok0) / seconds,
          cpu: c,
        };
        phases.push(phase);
        log(`  ${engine} backlog under load: ${phase.rate!.toFixed(0)} deliveries/s (${phase.webhooks} in ${((last - first) / 1000).toFixed(2)} s), session/create ${phase.apiRps!.toFixed(0)} req/s`);
      }
      load.cannon.stop();
      apiResult = await load.cannon;
      load = undefined;
      await stopProcess(proc.child);
      proc = undefined;
    }
    await bench?.close();
    bench = undefined;

    // checks and latencies, from the database with no payrail process running
    const handle = await openDatabase({ databaseUrl: dbUrl, pgliteDir: path.join(dataDir, 'pglite') });
    try {
      const rows = (
        await sql<{ id: string; state: string; attempts: number; created_at: Date; n: string }>`
          SELECT w.id, w.state, w.attempts, w.created_at, count(a.id) AS n
          FROM webhooks w LEFT JOIN webhook_attempts a ON a.webhook_id = w.id
          GROUP BY w.id, w.state, w.attempts, w.created_at`.execute(handle.db)
      ).rows;
      const created = new Map(rows.map((r) => [r.id, new Date(r.created_at).getTime()]));
      const notDelivered = rows.filter((r) => r.state !== 'delivered').length;
      const notOnce = rows.filter((r) => Number(r.n) !== 1 || r.attempts !== 1).length;
      if (rows.length !== expected) problems.push(`${engine}: ${rows.length} webhooks in the database, expected ${expected}`);
      if (notDelivered) problems.push(`${engine}: ${notDelivered} webhooks not delivered`);
      if (notOnce) problems.push(`${engine}: ${notOnce} webhooks without exactly one attempt`);
      const arrivals = await receiver.arrivals();
      for (const phase of phases) {
        if (!phase.latencyIds) continue;
        const lat = phase.latencyIds
          .map((id) => (arrivals.get(id) ?? NaN) - (created.get(id) ?? NaN))
          .filter((x) => Number.isFinite(x))
          .sort((a, b) => a - b);
        if (lat.length !== phase.latencyIds.length) problems.push(`${engine} ${phase.name}: ${phase.latencyIds.length - lat.length} webhooks without an arrival or a created_at`);
        phase.latency = { n: lat.length, p50: percentile(lat, 50), p90: percentile(lat, 90), p99: percentile(lat, 99), max: lat.at(-1) ?? NaN };
      }
    } finally {
      await handle.close();
    }
    const st = await receiver.stats();
    if (st.unique !== expected) problems.push(`${engine}: the receiver saw ${st.unique} distinct webhooks, expected ${expected}`);
    if (st.duplicates) problems.push(`${engine}: ${st.duplicates} webhooks arrived more than once`);
    if (st.badSignatures) problems.push(`${engine}: ${st.badSignatures} of ${st.verified + st.badSignatures} sampled signatures did not verify`);
    if (st.missingId) problems.push(`${engine}: ${st.missingId} requests without x-payrail-webhook-id`);
    log(`  ${engine} checks: ${st.unique} delivered once each, ${st.verified} signatures verified (1 in ${VERIFY_EVERY}), ${problems.length} problems`);
    return { phases, baselineRps, apiResult, problems };
  } finally {
    load?.cannon.stop();
    if (proc) await stopProcess(proc.child);
    await bench?.close();
    await agent.close();
    receiver.child.disconnect();
    await stopProcess(receiver.child);
    fs.rmSync(tmp, { recursive: true, force: true });
    tempDirs.delete(tmp);
  }
}

// ---------------------------------------------------------------------------------------------
// report

async function machine(): Promise<string[]> {
  const cpu = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const lines = [
    `cpu: ${os.availableParallelism()} × ${cpu}`,
    `memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; ${os.type()} ${os.release()} ${os.arch()}`,
    `node: ${process.version}`,
  ];
  const git = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: ROOT, encoding: 'utf8' });
  if (git.status === 0) lines.push(`payrail: ${git.stdout.trim()}`);
  const pglite = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string };
  lines.push(`pglite: ${pglite.version}`);
  if (ENGINES.includes('postgres')) {
    const c = new pg.Client({ connectionString: PG_BASE });
    await c.connect();
    const setting = async (name: string) => (await c.query<Record<string, string>>(`SHOW ${name}`)).rows[0]?.[name];
    const host = new URL(PG_BASE);
    lines.push(
      `postgresql: ${await setting('server_version')} at ${host.hostname}:${host.port || 5432} (synchronous_commit=${await setting('synchronous_commit')}, fsync=${await setting('fsync')}, shared_buffers=${await setting('shared_buffers')})`,
    );
    await c.end();
  }
  lines.push(
    `sizes: backlogs ${ENGINES.map((e) => `${e} ${BACKLOG[e]} (worker alone) and ${LOAD_BACKLOG[e]} (under load)`).join(', ')}; steady ${ENGINES.map((e) => `${e} ${RATE[e]}/s`).join(', ')} for up to ${SECONDS} s; session/create ${CONNECTIONS} connections; payrail LOG_LEVEL=${LOG_LEVEL}`,
  );
  if (PAYRAIL_BIN !== 'bin/payrail.js') lines.push(`!! diagnostic run, payrail from ${PAYRAIL_BIN}`);
  if (EXTRA_SQL.length) lines.push(`!! diagnostic run, extra SQL at setup: ${EXTRA_SQL.join('; ')}`);
  return lines;
}

/** The figures assume a quiet machine: measure what else is running for a second before starting. */
async function othersBusyPct(ms: number): Promise<number> {
  const t0 = { busy: machineBusyTicks(), self: process.cpuUsage(), wall: performance.now() };
  await sleep(ms);
  const self = process.cpuUsage(t0.self);
  const other = ((machineBusyTicks() - t0.busy) * TICK_MS - (self.user + self.system) / 1000) / (performance.now() - t0.wall);
  return Math.max(0, 100 * other);
}

async function idleCheck(): Promise<string> {
  const pct = await othersBusyPct(1000);
  return `before the run, other processes used ${pct.toFixed(0)}% of one core${pct > 20 ? ' !! the machine is not idle: these figures are disturbed' : ''}`;
}

/** BENCH_WH_WAIT_QUIET: wait (up to that many seconds) for 3 s in a row with other processes under 20% of a core. */
async function waitQuiet(): Promise<void> {
  if (WAIT_QUIET_S <= 0) return;
  const deadline = Date.now() + WAIT_QUIET_S * 1000;
  let quiet = 0;
  while (quiet < 3 && Date.now() < deadline) quiet = (await othersBusyPct(1000)) < 20 ? quiet + 1 : 0;
  if (quiet < 3) log(`  the machine did not become idle within ${WAIT_QUIET_S} s; going on`);
}

function table(phases: Phase[], baselines: Map<Engine, number>): string {
  const head = ['engine', 'scenario', 'webhooks', 'deliveries/s', 'commit→arrival p50 / p90 / p99 / max ms', 'session/create req/s', 'CPU % payrail+receiver+bench+postgres+other'];
  const body = phases.map((p) => {
    const lat = p.latency ? `${p.latency.p50} / ${p.latency.p90} / ${p.latency.p99} / ${p.latency.max}` : '';
    const rate = p.rate !== undefined ? `${p.rate.toFixed(0)}${p.wall !== undefined ? ` (all in ${p.wall.toFixed(1)} s)` : ''}` : p.produced !== undefined ? `(steady ${p.produced.toFixed(0)}/s)` : '';
    const api = p.apiRps !== undefined ? `${p.apiRps.toFixed(0)} (alone ${(baselines.get(p.engine) ?? NaN).toFixed(0)})` : '';
    const cpu = `${p.cpu.payrail.toFixed(0)}+${p.cpu.receiver.toFixed(0)}+${p.cpu.bench.toFixed(0)}+${p.cpu.postgres.toFixed(0)}+${p.cpu.other.toFixed(0)}${p.cpu.other > DISTURBED_PCT ? ' !!' : ''}`;
    return [p.engine, p.name, String(p.webhooks), rate, lat, api, cpu];
  });
  const right = new Set([2, 3, 4, 5, 6]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(head), rule, ...body.map(line)].join('\n');
}

async function main(): Promise<number> {
  if (!process.env['BENCH_NO_BUILD']) {
    log('building dist/ (tsc -p tsconfig.build.json) ...');
    const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    if (tsc.status !== 0) throw new Error('the build failed');
  }
  const info = await machine();
  await waitQuiet();
  info.push(await idleCheck());
  log(info.join('\n'));
  const phases: Phase[] = [];
  const baselines = new Map<Engine, number>();
  const problems: string[] = [];
  for (const engine of ENGINES) {
    await waitQuiet();
    log(`${engine}:`);
    const r = engine === 'postgres' ? await withPostgresDatabase((url) => runEngine(engine, url)) : await runEngine(engine, undefined);
    phases.push(...r.phases);
    baselines.set(engine, r.baselineRps);
    problems.push(...r.problems);
    if (r.apiResult && r.apiResult.non2xx + r.apiResult.errors + r.apiResult.timeouts > 0) {
      problems.push(`${engine}: session/create load had ${r.apiResult.non2xx} non-2xx, ${r.apiResult.errors} errors, ${r.apiResult.timeouts} timeouts`);
    }
  }
  const out = ['', ...info.map((l) => `  ${l}`), '', table(phases, baselines), ''];
  let missed = 0;
  for (const p of phases) {
    if (p.name.startsWith('`payrail worker` alone') && p.rate !== undefined) {
      const ok = p.rate >= TARGET_RATE;
      if (!ok) missed++;
      out.push(`${ok ? 'ok ' : 'LOW'}  ${p.engine} / ${p.name}: ${p.rate.toFixed(0)} deliveries/s (target ${TARGET_RATE})`);
    }
    if (p.latency) {
      const ok = p.latency.p99 < TARGET_P99_MS;
      if (!ok) missed++;
      out.push(`${ok ? 'ok ' : 'HIGH'} ${p.engine} / ${p.name}: p99 ${p.latency.p99} ms commit→arrival (target < ${TARGET_P99_MS})`);
    }
  }
  for (const p of phases.filter((x) => x.cpu.other > DISTURBED_PCT)) {
    problems.push(`${p.engine} / ${p.name}: other processes used ${p.cpu.other.toFixed(0)}% of a core during the phase: disturbed`);
  }
  for (const p of problems) out.push(`!! ${p}`);
  if (problems.length) out.push('!! THESE FIGURES ARE NOT VALID: a check failed.');
  process.stdout.write(`${out.join('\n')}\n`);
  return problems.length || missed ? 1 : 0;
}

/** Interrupted: stop the processes, remove the data directories and drop the databases this run made. */
const onSignal = () => {
  for (const c of children) c.kill('SIGKILL');
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  const drop = async () => {
    if (databases.size === 0) return;
    const c = new pg.Client({ connectionString: PG_BASE });
    await c.connect();
    for (const name of databases) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
  const timer = setTimeout(() => process.exit(130), 5000);
  void drop()
    .catch(() => undefined)
    .finally(() => {
      clearTimeout(timer);
      process.exit(130);
    });
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    for (const c of children) c.kill('SIGKILL');
    process.stderr.write(`bench:webhooks: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
