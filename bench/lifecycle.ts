/**
 * `npm run bench:lifecycle`: whole payment and payout lifecycles under load, against a real
 * `payrail serve` process, with real signed webhooks to a local receiver, side by side with the
 * floor (bench/floor-server.ts: a bare signed session/create, one INSERT) measured in the same run.
 *
 * - acquiring: session/init/payment (card 4242…) → ready_to_confirm received → session/confirm →
 *   payment_finished received and its signature verified;
 * - payout, hot wallet: the same with session/init/payout to a card, every payout from one project;
 * - payout, spread: the same over 50 projects, each with its own wallet.
 *
 * For each engine (and, with BENCH_LARGE=1, again on a large database: 1M sessions, 200k payments
 * with 200k refunds and 1M delivered webhooks on PostgreSQL; a tenth of that on PGlite, generated
 * with generate_series), it prints:
 * - statements per lifecycle by step, counted inside the server process (bench/count-statements.mjs:
 *   every pg query, every PGlite Query/Execute message, BEGIN and COMMIT included) over BENCH_COUNT
 *   lifecycles run one at a time, and their unloaded latency;
 * - lifecycles/s with BENCH_PARALLEL in flight, p50/p99 (from the init request to the verified
 *   payment_finished), CPU ms per lifecycle of the server process and of PostgreSQL's processes
 *   (from /proc, so the figures hold on a busy machine);
 * - the floor's req/s and CPU per request, and what one lifecycle costs in floor requests
 *   (floor req/s ÷ lifecycles/s, and CPU per lifecycle ÷ floor CPU per request).
 *
 * Environment: BENCH_LIFECYCLES (per scenario, default 400), BENCH_PARALLEL (default 32),
 * BENCH_COUNT (sequential lifecycles counted, default 20), BENCH_FLOOR_SECONDS (default 5),
 * BENCH_ENGINES (postgres,pglite), BENCH_LARGE=1, BENCH_SIZES (empty,large; overrides BENCH_LARGE),
 * BENCH_DATABASE_URL, BENCH_NO_BUILD=1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import autocannon from 'autocannon';
import pg from 'pg';
import { freePort, postgresTicks, processTicksOr, TICK_MS } from './lib/proc.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.env['BENCH_LIFECYCLES'] || 400);
const PARALLEL = Number(process.env['BENCH_PARALLEL'] || 32);
const COUNT = Number(process.env['BENCH_COUNT'] || 20);
const FLOOR_SECONDS = Number(process.env['BENCH_FLOOR_SECONDS'] || 5);
const ENGINES = (process.env['BENCH_ENGINES'] || 'postgres,pglite').split(',');
const SIZES = (process.env['BENCH_SIZES'] || (process.env['BENCH_LARGE'] === '1' ? 'empty,large' : 'empty')).split(',') as ('empty' | 'large')[];
const PG_BASE = process.env['BENCH_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
// ---------------------------------------------------------------------------------------------
// CPU from /proc (bench/lib/proc.ts): the server's process and PostgreSQL's processes for one database.

function cpuMeter(pid: number | undefined, database: string | undefined) {
  const t0 = { proc: processTicksOr(pid, 0), db: postgresTicks(database) };
  return () => {
    const db = postgresTicks(database);
    let dbTicks = 0;
    for (const [p, t] of db) dbTicks += t - (t0.db.get(p) ?? 0);
    return { serverMs: (processTicksOr(pid, 0) - t0.proc) * TICK_MS, dbMs: dbTicks * TICK_MS };
  };
}

// ---------------------------------------------------------------------------------------------
// The partner's webhook receiver: verifies every signature and hands each webhook to its waiter.

type Hook = { type: string; session: Record<string, unknown> };

function receiver(serverKey: () => KeyObject) {
  const waiters = new Map<string, (body: Hook) => void>(); // `${session}:${type}`
  const early = new Map<string, Hook>();
  let bad = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      const raw = Buffer.concat(chunks);
      if (!verify('sha256', raw, serverKey(), Buffer.from(String(req.headers['x-partner-sign']), 'base64'))) bad++;
      const body = JSON.parse(raw.toString()) as { type: string; session: { id: string } };
      const key = `${body.session.id}:${body.type}`;
      const w = waiters.get(key);
      if (w) {
        waiters.delete(key);
        w(body);
      } else early.set(key, body);
      res.writeHead(200).end();
    });
  });
  return {
    server,
    badSignatures: () => bad,
    wait(sessionId: string, type: string): Promise<Hook> {
      const key = `${sessionId}:${type}`;
      const got = early.get(key);
      if (got) {
        early.delete(key);
        return Promise.resolve(got);
      }
      return new Promise<Hook>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no ${type} for ${sessionId} in 60 s`)), 60_000);
        waiters.set(key, (b) => (clearTimeout(t), resolve(b)));
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// payrail, with the statement counter (bench/count-statements.mjs) loaded.

interface Server {
  url: string;
  dataDir: string;
  proc: ChildProcess;
  admin(method: string, p: string, body?: unknown): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Statements sent since the server started, by text (running totals: take differences). */
  counts(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

async function startServer(engine: string, databaseUrl: string | undefined, dataDir: string): Promise<Server> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', path.join(ROOT, 'bench/count-statements.mjs'), path.join(ROOT, 'bin/payrail.js'), 'serve'], {
    env: { ...process.env, PORT: String(port), PAYRAIL_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/ready`)).ok) break;
    } catch {
      // not yet
    }
    if (i > 600) throw new Error(`${engine}: payrail did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const token = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  return {
    url,
    dataDir,
    proc,
    async admin(method, p, body) {
      const res = await fetch(`${url}/admin${p}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const json = await res.json();
      if (!res.ok) throw new Error(`${method} ${p}: ${JSON.stringify(json)}`);
      return json;
    },
    counts() {
      return new Promise((resolve) => {
        const on = (m: { counter?: string; counts?: Record<string, number> }) => {
          if (m?.counter !== 'counts') return;
          proc.off('message', on);
          resolve(new Map(Object.entries(m.counts ?? {})));
        };
        proc.on('message', on);
        proc.send({ counter: 'read' });
      });
    },
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

async function call(url: string, project: string, key: KeyObject, method: string, body: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const raw = JSON.stringify(body);
  const res = await fetch(`${url}/api/v1/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-partner-project': project, 'x-partner-sign': sign('sha256', Buffer.from(raw), key).toString('base64') },
    body: raw,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method}: ${JSON.stringify(json)}`);
  return json;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

// ---------------------------------------------------------------------------------------------
// A large database: rows generated in SQL, in the shape payrail writes them.

const LARGE = { postgres: { sessions: 1_000_000, refunds: 200_000 }, pglite: { sessions: 100_000, refunds: 100_000 } };

function seedSql(sessions: number, refunds: number): string[] {
  const ts = `timestamptz '2026-01-01' + make_interval(secs => g)`;
  return [
    `INSERT INTO sessions (id, project_id, status, next_action, params, created_at, updated_at, finished_at, api_version)
     SELECT 'ps_seed' || g, (SELECT id FROM projects WHERE name = 'demo'), 'accepted', NULL, '{"amount_details":{"amount":1000,"currency":"usd"}}', ${ts}, ${ts}, ${ts}, 'v1'
     FROM generate_series(1, ${sessions}) g`,
    `INSERT INTO payments (id, session_id, project_id, stage, amount, currency, captured_amount, payment_details, created_at, updated_at, finished_at)
     SELECT 'pm_seed' || g, 'ps_seed' || g, (SELECT id FROM projects WHERE name = 'demo'), 'succeeded', 1000, 'usd', 1000, '{"type":"card"}', ${ts}, ${ts}, ${ts}
     FROM generate_series(1, ${refunds}) g`,
    `INSERT INTO refunds (id, payment_id, session_id, project_id, status, amount, currency, created_at, finished_at)
     SELECT 'rf_seed' || g, 'pm_seed' || g, 'ps_seed' || g, (SELECT id FROM projects WHERE name = 'demo'), 'accepted', 1000, 'usd', ${ts}, ${ts}
     FROM generate_series(1, ${refunds}) g`,
    `INSERT INTO webhooks (id, project_id, session_id, type, body, state, attempts, next_attempt_at, cycle_started_at, created_at)
     SELECT 'wh_seed' || g, (SELECT id FROM projects WHERE name = 'demo'), 'ps_seed' || g, 'payment_finished', '{}', 'delivered', 1, ${ts}, ${ts}, ${ts}
     FROM generate_series(1, ${sessions}) g`,
    `ANALYZE`,
  ];
}

async function seedLarge(engine: string, databaseUrl: string | undefined, dataDir: string): Promise<void> {
  const size = engine === 'postgres' ? LARGE.postgres : LARGE.pglite;
  const t0 = performance.now();
  const statements = seedSql(size.sessions, size.refunds);
  if (databaseUrl) {
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    for (const s of statements) await c.query(s);
    await c.query('CHECKPOINT');
    await c.end();
  } else {
    const db = await PGlite.create(path.join(dataDir, 'pglite'));
    for (const s of statements) await db.exec(s);
    await db.close();
  }
  process.stderr.write(`  seeded ${size.sessions} sessions, ${size.refunds} payments and refunds, ${size.sessions} webhooks in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}

// ---------------------------------------------------------------------------------------------
// The floor: a bare signed session/create, one INSERT, its own process.

async function measureFloor(engine: string, databaseUrl: string | undefined, dbName: string | undefined, demoKey: KeyObject) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-floor-'));
  const keyPath = path.join(dir, 'demo.public.pem');
  fs.writeFileSync(keyPath, createPublicKey(demoKey).export({ type: 'spki', format: 'pem' }));
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/floor-server.ts')], {
    cwd: ROOT,
    env: { ...process.env, FLOOR_PORT: String(port), FLOOR_PUBLIC_KEY: keyPath, ...(databaseUrl ? { FLOOR_DATABASE_URL: databaseUrl } : { FLOOR_PGLITE_DIR: path.join(dir, 'pglite') }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => d.toString().includes('floor listening') && resolve());
    proc.once('exit', () => reject(new Error(`${engine}: the floor did not start`)));
  });
  const body = JSON.stringify({ amount_details: { amount: 10000, currency: 'usd' }, customer: { reference: 'bench' } });
  const opts = {
    url: `http://127.0.0.1:${port}/api/v1/session/create`,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': sign('sha256', Buffer.from(body), demoKey).toString('base64') },
    connections: 64,
    timeout: 10,
  };
  try {
    await autocannon({ ...opts, duration: 2 });
    const cpu = cpuMeter(proc.pid, dbName);
    const r = await autocannon({ ...opts, duration: FLOOR_SECONDS });
    const used = cpu();
    const n = Math.max(1, r['2xx']);
    return { rps: r['2xx'] / r.duration, p50: r.latency.p50, p99: r.latency.p99, cpuUs: ((used.serverMs + used.dbMs) * 1000) / n, serverUs: (used.serverMs * 1000) / n, dbUs: (used.dbMs * 1000) / n };
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

type Lifecycle = (i: number, mark?: (phase: string) => Promise<void>) => Promise<void>;

async function loaded(label: string, lifecycle: Lifecycle, cpu: () => { serverMs: number; dbMs: number }) {
  const times: number[] = [];
  let next = 0;
  let failures = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      for (let i = next++; i < N; i = next++) {
        const s = performance.now();
        try {
          await lifecycle(i);
          times.push(performance.now() - s);
        } catch (err) {
          failures++;
          if (failures <= 3) console.error(`${label}: ${(err as Error).message}`);
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const used = cpu();
  times.sort((a, b) => a - b);
  const done = Math.max(1, times.length);
  return { label, done: times.length, failures, perSecond: times.length / seconds, p50: pct(times, 50), p99: pct(times, 99), serverMs: used.serverMs / done, dbMs: used.dbMs / done };
}

/**
 * Lifecycles one at a time, the statements of each step counted in the server: differences of the
 * server's running totals at each mark, so nothing falls between two reads. What runs between one
 * lifecycle's last webhook and the next one's init call (the last attempt's record, polling) is a
 * step of its own; after the last lifecycle the bench waits 100 ms for it.
 */
async function counted(srv: Server, lifecycle: Lifecycle) {
  const phases = new Map<string, Map<string, number>>();
  const times: number[] = [];
  let last = await srv.counts();
  const mark = async (phase: string) => {
    const now = await srv.counts();
    const into = phases.get(phase) ?? new Map<string, number>();
    for (const [k, v] of now) if (v - (last.get(k) ?? 0) > 0) into.set(k, (into.get(k) ?? 0) + v - (last.get(k) ?? 0));
    phases.set(phase, into);
    last = now;
  };
  for (let i = 0; i < COUNT; i++) {
    if (i > 0) await mark('5 after payment_finished (the attempt\'s record, polling)');
    const s = performance.now();
    await lifecycle(i, mark);
    times.push(performance.now() - s);
  }
  await new Promise((r) => setTimeout(r, 100));
  await mark('5 after payment_finished (the attempt\'s record, polling)');
  times.sort((a, b) => a - b);
  const per = [...phases].map(([phase, m]) => ({ phase, total: [...m.values()].reduce((a, b) => a + b, 0) / COUNT, statements: [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / COUNT] as const) }));
  return { phases: per, total: per.reduce((a, p) => a + p.total, 0), p50: pct(times, 50) };
}

async function benchEngine(engine: string, size: 'empty' | 'large') {
  let dbName: string | undefined;
  let databaseUrl: string | undefined;
  if (engine === 'postgres') {
    dbName = `payrail_bench_${process.pid}_${size}`;
    const c = new pg.Client({ connectionString: PG_BASE });
    await c.connect();
    await c.query(`CREATE DATABASE ${dbName}`);
    await c.end();
    const u = new URL(PG_BASE);
    u.pathname = `/${dbName}`;
    databaseUrl = u.toString();
  }
  let serverKey: KeyObject | undefined;
  const rx = receiver(() => serverKey!);
  await new Promise<void>((r) => rx.server.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${(rx.server.address() as net.AddressInfo).port}/hooks`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-bench-'));
  let srv = await startServer(engine, databaseUrl, dataDir);
  try {
    if (size === 'large') {
      if (engine === 'pglite') await srv.stop(); // PGlite: one process per data directory
      await seedLarge(engine, databaseUrl, dataDir);
      if (engine === 'pglite') srv = await startServer(engine, databaseUrl, dataDir);
    }
    serverKey = createPublicKey(fs.readFileSync(path.join(srv.dataDir, 'payrail.public.pem')));
    const demoKey = createPrivateKey(fs.readFileSync(path.join(srv.dataDir, 'demo.private.pem')));
    await srv.admin('PATCH', '/projects/demo', { webhook_url: hook });
    await srv.admin('POST', '/projects/demo/wallet/topup', { amount: 100_000_000, currency: 'usd' });
    const projects: { name: string; key: KeyObject }[] = [];
    for (let i = 0; i < 50; i++) {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const name = `shop${i}`;
      await srv.admin('POST', '/projects', { name, public_key: publicKey.export({ type: 'spki', format: 'pem' }).toString(), settings: { webhook_url: hook } });
      await srv.admin('POST', `/projects/${name}/wallet/topup`, { amount: 100_000_000, currency: 'usd' });
      projects.push({ name, key: privateKey });
    }
    const lifecycle =
      (project: (i: number) => { name: string; key: KeyObject }, method: string, body: unknown): Lifecycle =>
      async (i, mark) => {
        const { name, key } = project(i);
        const started = await call(srv.url, name, key, method, body);
        await mark?.('1 init call');
        const id = started.session.id as string;
        await rx.wait(id, 'ready_to_confirm');
        await mark?.('2 init → ready_to_confirm webhook (jobs, delivery)');
        await call(srv.url, name, key, 'session/confirm', { session_id: id });
        await mark?.('3 confirm call');
        const done = await rx.wait(id, 'payment_finished');
        await mark?.('4 confirm → payment_finished webhook (jobs, delivery)');
        const op = ((done.session['acquiring_payments'] ?? done.session['payments'] ?? done.session['payouts']) as { status: string }[])[0]!;
        if (op.status !== 'succeeded') throw new Error(`${id} ended ${op.status}`);
      };
    const demo = () => ({ name: 'demo', key: demoKey });
    const card = { type: 'card', card: { type: 'bank_card', bank_card: { number: '4242424242424242', expiration_month: '12', expiration_year: '30', security_code: '123' } } };
    const payment = { payment_details: card, amount_details: { amount: 1000, currency: 'usd' }, customer: { reference: 'bench' } };
    const payout = {
      payment_method: { type: 'card', card: { type: 'bank_card', bank_card: { number: '4242424242424242' } } },
      amount_details: { amount: 100, currency: 'usd' },
      participant_details: { recipient: { full_name: 'Bench Recipient' } },
    };
    const acquiring = lifecycle(demo, 'session/init/payment', payment);
    const payoutHot = lifecycle(demo, 'session/init/payout', payout);
    const payoutSpread = lifecycle((i) => projects[i % 50]!, 'session/init/payout', payout);
    const counts = { acquiring: await counted(srv, acquiring), payout: await counted(srv, payoutHot) };
    const results = [];
    for (const [label, lc] of [
      ['acquiring', acquiring],
      ['payout, one project (hot wallet)', payoutHot],
      ['payout, 50 projects', payoutSpread],
    ] as const) {
      if (dbName) await pgCheckpoint(databaseUrl!);
      results.push(await loaded(label, lc, cpuMeter(srv.proc.pid, dbName)));
    }
    const tb = await srv.admin('GET', '/ledger/trial-balance');
    await srv.stop();
    const floor = await measureFloor(engine, databaseUrl, dbName, demoKey);
    return { engine, size, results, counts, floor, badSignatures: rx.badSignatures(), balanced: tb.balanced as boolean };
  } finally {
    if (srv.proc.exitCode === null && srv.proc.signalCode === null) await srv.stop();
    rx.server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (dbName) {
      const c = new pg.Client({ connectionString: PG_BASE });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    }
  }
}

async function pgCheckpoint(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('CHECKPOINT');
  await c.end();
}

function report(r: Awaited<ReturnType<typeof benchEngine>>): boolean {
  const { floor } = r;
  console.log(`${r.engine}, ${r.size} database  (webhook signatures failing verification: ${r.badSignatures}; trial balance ${r.balanced ? 'zero' : 'NOT ZERO'})`);
  console.log(`  floor (signed session/create, one INSERT, 64 connections): ${floor.rps.toFixed(0)} req/s, p50 ${floor.p50} ms, p99 ${floor.p99} ms, CPU µs/req ${floor.cpuUs.toFixed(0)} (server ${floor.serverUs.toFixed(0)}, postgres ${floor.dbUs.toFixed(0)})`);
  console.log('  scenario                           done failed  lifecycles/s  p50 ms  p99 ms  floor req/lifecycle  CPU ms/lifecycle (server+pg)  CPU in floor req');
  let failed = r.badSignatures > 0 || !r.balanced;
  for (const x of r.results) {
    const cpu = x.serverMs + x.dbMs;
    console.log(
      `  ${x.label.padEnd(33)} ${String(x.done).padStart(5)} ${String(x.failures).padStart(6)}  ${x.perSecond.toFixed(1).padStart(12)}  ${x.p50.toFixed(0).padStart(6)}  ${x.p99.toFixed(0).padStart(6)}  ${(floor.rps / x.perSecond).toFixed(1).padStart(19)}  ${`${cpu.toFixed(1)} (${x.serverMs.toFixed(1)}+${x.dbMs.toFixed(1)})`.padStart(28)}  ${((cpu * 1000) / floor.cpuUs).toFixed(1).padStart(16)}`,
    );
    if (x.failures > 0) failed = true;
  }
  for (const [label, c] of Object.entries(r.counts)) {
    console.log(`  statements per ${label} lifecycle, one at a time (${COUNT} counted; unloaded p50 ${c.p50.toFixed(0)} ms): ${c.total.toFixed(1)}`);
    for (const p of c.phases) {
      console.log(`    ${p.total.toFixed(1).padStart(5)}  ${p.phase}`);
      for (const [sql, n] of p.statements) if (n >= 0.05) console.log(`           ${n.toFixed(2).padStart(5)}  ${sql}`);
    }
  }
  console.log();
  return failed;
}

if (process.env['BENCH_NO_BUILD'] !== '1') {
  const b = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  if (b.status !== 0) process.exit(1);
}
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, load ${os.loadavg()[0]!.toFixed(2)}`);
console.log(`lifecycles per scenario: ${N}, in parallel: ${PARALLEL}; statements counted over ${COUNT} lifecycles run one at a time\n`);
let failed = false;
for (const engine of ENGINES) for (const size of SIZES) failed = report(await benchEngine(engine, size)) || failed;
process.exit(failed ? 1 : 0);
