/**
 * `npm run bench`: signed session/create under load, payrail against a floor measured in the same run.
 *
 * For each engine (PostgreSQL, PGlite) it starts, as separate processes:
 *   - floor:   bench/floor-server.ts, bare node:http + RSA verify + one INSERT (see that file);
 *   - payrail: `node bin/payrail.js serve` (dist/, rebuilt first), once per LOG_LEVEL measured:
 *              info (the default; its log goes to /dev/null) and warn.
 * PostgreSQL: one fresh database on the server for the run (payrail's tables and the floor's
 * table side by side), dropped at the end. PGlite: each process its own data directory.
 *
 * Then, in rounds, each server in turn (the order rotates every round): a CHECKPOINT (PostgreSQL),
 * a warm-up, and a measured closed-loop autocannon run (64 connections, one request in flight per
 * connection, one pre-signed body). Before its first run each server must answer one signed request
 * with 200 and a created session; every non-2xx, error and timeout is counted and reported, and on
 * PostgreSQL the rows written are checked against the 200s. Figures are the median over rounds; the
 * ratio is the median of the per-round ratios payrail/floor (each round's runs are adjacent in time).
 * CPU per request is read from /proc: the server process, the bench process (the load generator),
 * PostgreSQL's processes for the run's database, and everything else (other programs: a busy machine
 * is flagged). The CPU-cost ratio (floor's CPU per request over the server's) is the figure other
 * load moves least.
 *
 * Environment:
 *   BENCH_SECONDS       measured seconds per run (default 3; × BENCH_ROUNDS = 12 s per server)
 *   BENCH_ROUNDS        rounds (default 4)
 *   BENCH_WARMUP        first warm-up per server, seconds (default 3; later rounds warm up for 1 s)
 *   BENCH_CONNECTIONS   concurrent connections (default 64)
 *   BENCH_ENGINES       comma list of postgres,pglite (default both)
 *   BENCH_LOG_LEVELS    payrail LOG_LEVELs to measure (default info,warn)
 *   BENCH_EXTRA_FLOORS  diagnostic floor variants to add: comma list of tx, fk, tx+fk (see floor-server.ts)
 *   BENCH_PAYRAIL_VARIANTS  diagnostic payrail variants to add, ';'-separated, each a space-separated
 *                       list of environment settings, e.g. "PAYRAIL_WORKER=false" (run at the first LOG_LEVEL);
 *                       PAYRAIL_BIN=<path to bin/payrail.js> runs another build (a patched copy, to try a fix)
 *   BENCH_DATABASE_URL  PostgreSQL server to create the run's database on (default postgres://postgres@127.0.0.1:5432/postgres)
 *   BENCH_NO_BUILD=1    skip `tsc -p tsconfig.build.json`
 *   BENCH_WAIT_QUIET=<s>  before each run, wait up to <s> seconds for other programs to leave the CPU idle
 *   BENCH_PAYRAIL_NODE_ARGS  extra node flags for the payrail processes (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof)
 * Exit code 1 when any run had errors or non-2xx answers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import pg from 'pg';
import { freePort, machineBusyTicks, postgresTicks, processTicksOr, ticksSince, TICK_MS, withPostgresDatabase } from './lib/proc.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGET = 0.8;

function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}
const listEnv = (name: string, fallback: string) =>
  (process.env[name] ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

type Engine = 'postgres' | 'pglite';

const SECONDS = numberEnv('BENCH_SECONDS', 3);
const ROUNDS = Math.round(numberEnv('BENCH_ROUNDS', 4));
const WARMUP = numberEnv('BENCH_WARMUP', 3);
const CONNECTIONS = Math.round(numberEnv('BENCH_CONNECTIONS', 64));
const ENGINES = listEnv('BENCH_ENGINES', 'postgres,pglite') as Engine[];
const LOG_LEVELS = listEnv('BENCH_LOG_LEVELS', 'info,warn');
const EXTRA_FLOORS = listEnv('BENCH_EXTRA_FLOORS', '');
const PAYRAIL_VARIANTS = (process.env['BENCH_PAYRAIL_VARIANTS'] ?? '')
  .split(';')
  .map((v) => v.trim())
  .filter(Boolean)
  .map((v) => Object.fromEntries(v.split(/\s+/).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) as Record<string, string>);
const PG_BASE = process.env['BENCH_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
const WAIT_QUIET = Number(process.env['BENCH_WAIT_QUIET'] || 0);
const PAYRAIL_NODE_ARGS = (process.env['BENCH_PAYRAIL_NODE_ARGS'] || '').split(/\s+/).filter(Boolean);
for (const e of ENGINES) if (e !== 'postgres' && e !== 'pglite') throw new Error(`BENCH_ENGINES: unknown engine "${e}"`);
for (const v of EXTRA_FLOORS) if (!['tx', 'fk', 'tx+fk'].includes(v)) throw new Error(`BENCH_EXTRA_FLOORS: unknown variant "${v}"`);

// Same body every request: payrail does not deduplicate without an idempotency key.
const BODY = JSON.stringify({
  amount_details: { amount: 10000, currency: 'usd' },
  customer: { reference: 'bench-customer-1' },
  metadata: { order_id: 'bench-order-1', source: 'payrail-bench' },
});
const PATH = '/api/v1/session/create';

// ---------------------------------------------------------------------------------------------
// processes

interface Server {
  readonly name: string;
  readonly kind: 'floor' | 'payrail';
  readonly child: ChildProcess;
  readonly port: number;
  /** The table its session/create writes (row check on PostgreSQL). */
  readonly table: string;
  signature: string;
  warmedUp: boolean;
  stderrTail(): string;
}

const children = new Set<ChildProcess>();

async function start(name: string, kind: Server['kind'], args: string[], env: Record<string, string>, table: string): Promise<Server> {
  const port = await freePort();
  const portVar = kind === 'floor' ? 'FLOOR_PORT' : 'PORT';
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env, [portVar]: String(port) },
    // stdout (payrail's pino log, one line per request and response at info) goes to /dev/null;
    // stderr is kept for diagnostics.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let tail = '';
  child.stderr?.on('data', (c: Buffer) => {
    tail = (tail + c.toString()).slice(-4000);
  });
  const server: Server = { name, kind, child, port, table, signature: '', warmedUp: false, stderrTail: () => tail };
  await waitListening(server);
  return server;
}

async function waitListening(server: Server, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`${server.name} exited (${server.child.exitCode}) before listening:\n${server.stderrTail()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(server.port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${server.name} did not listen on ${server.port} within ${timeoutMs} ms:\n${server.stderrTail()}`);
}

async function stop(server: Server): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc (Linux): clock ticks of one process, and busy ticks of the machine.

/**
 * Cores' worth of CPU used during `ms` by anything but this process and the servers it started (idle,
 * they use almost none): other programs, and PostgreSQL working for them.
 */
async function otherLoad(ms: number): Promise<number> {
  const ours = () => [...children].reduce((a, c) => a + (processTicksOr(c.pid, NaN) || 0), 0);
  const t0 = { busy: machineBusyTicks(), ours: ours(), self: process.cpuUsage() };
  await new Promise((r) => setTimeout(r, ms));
  const self = process.cpuUsage(t0.self);
  const otherMs = (machineBusyTicks() - t0.busy - (ours() - t0.ours)) * TICK_MS - (self.user + self.system) / 1000;
  return Math.max(0, otherMs) / ms;
}

/** With BENCH_WAIT_QUIET=<seconds>, waits (up to that long) for the machine to be idle before a run. */
async function waitQuiet(): Promise<void> {
  if (!WAIT_QUIET) return;
  const deadline = Date.now() + WAIT_QUIET * 1000;
  let said = false;
  for (;;) {
    const load = await otherLoad(1000);
    if (load < 0.1) return;
    if (Date.now() > deadline) {
      process.stderr.write(`(still busy: ${load.toFixed(2)} cores; measuring anyway) `);
      return;
    }
    if (!said) process.stderr.write(`(waiting for a quiet machine: ${load.toFixed(2)} cores busy) `);
    said = true;
  }
}

// ---------------------------------------------------------------------------------------------
// load

function headersFor(signature: string): Record<string, string> {
  return { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': signature };
}

/** One signed request that must succeed before any load is sent. */
async function preflight(server: Server): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${server.port}${PATH}`, { method: 'POST', headers: headersFor(server.signature), body: BODY }).catch((err: unknown) => {
    const exit = server.child.exitCode ?? server.child.signalCode;
    throw new Error(`${server.name}: the pre-flight request failed (${String((err as Error).cause ?? err)})${exit === null ? '' : `; the server exited (${exit})`}\n${server.stderrTail()}`);
  });
  const text = await res.text();
  let ok: boolean;
  try {
    const json = JSON.parse(text) as { status?: string; session?: { id?: string; status?: string } };
    ok = json.status === 'ok' && typeof json.session?.id === 'string' && json.session.status === 'created';
  } catch {
    ok = false;
  }
  if (res.status !== 200 || !ok) throw new Error(`${server.name}: the pre-flight signed request answered ${res.status}: ${text}\n${server.stderrTail()}`);
}

function load(server: Server, seconds: number): Promise<Result> {
  return autocannon({
    url: `http://127.0.0.1:${server.port}${PATH}`,
    method: 'POST',
    headers: headersFor(server.signature),
    body: BODY,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
  });
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  bad: number;
  /**
   * CPU µs per answered request: the server process, the bench process (load generator), PostgreSQL's
   * processes, and everything else on the machine (kernel work not charged to a process, and any
   * other load: a busy machine shows here).
   */
  cpuServer: number;
  cpuBench: number;
  cpuDb: number;
  cpuOther: number;
  /** Cores' worth of CPU used by everything else during the measured run. */
  otherCores: number;
  problems: string[];
}

async function measure(server: Server, db: pg.Client | undefined): Promise<Run> {
  const dbName = db?.database;
  if (!server.warmedUp) await preflight(server);
  const count = async () => (db ? Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${server.table}`)).rows[0]?.n ?? 0) : 0);
  // Each run starts from a clean checkpoint, so one run's dirty pages are not the next one's bill.
  await db?.query('CHECKPOINT');
  await waitQuiet();
  const before = await count();
  const warm = await load(server, server.warmedUp ? 1 : WARMUP);
  server.warmedUp = true;

  const t0 = { server: processTicksOr(server.child.pid, NaN), bench: process.cpuUsage(), db: postgresTicks(dbName), busy: machineBusyTicks() };
  const r = await load(server, SECONDS);
  const benchUs = process.cpuUsage(t0.bench);
  const serverMs = (processTicksOr(server.child.pid, NaN) - t0.server) * TICK_MS;
  const dbMs = ticksSince(t0.db, postgresTicks(dbName)) * TICK_MS;
  const busyMs = (machineBusyTicks() - t0.busy) * TICK_MS;
  const benchMs = (benchUs.user + benchUs.system) / 1000;

  const problems: string[] = [];
  const codes = Object.entries(r.statusCodeStats)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, { count: n }]) => `status ${code}×${n}`);
  problems.push(...codes);
  if (r.errors) problems.push(`${r.errors} errors`);
  if (r.timeouts) problems.push(`${r.timeouts} timeouts`);
  const warmBad = warm.non2xx + warm.errors + warm.timeouts;
  if (warmBad) problems.push(`warm-up: ${warm.non2xx} non-2xx, ${warm.errors} errors, ${warm.timeouts} timeouts`);
  if (db) {
    const written = (await count()) - before;
    const answered = warm['2xx'] + r['2xx'];
    // A run's last in-flight requests are abandoned by autocannon but still written: at most one per
    // connection per run. Fewer rows than 200s would mean an answer without its write.
    if (written < answered || written > answered + 2 * CONNECTIONS) problems.push(`rows written ${written}, 200s answered ${answered}`);
  }
  if (problems.length) {
    if (server.kind === 'floor' || server.child.exitCode !== null) problems.push(`server stderr: ${server.stderrTail().trim().split('\n').slice(-3).join(' | ')}`);
    else problems.push(`payrail logs to /dev/null here${db ? "; database errors are in PostgreSQL's server log" : ''}`);
  }
  const n = Math.max(1, r['2xx']);
  return {
    rps: r['2xx'] / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok: r['2xx'],
    bad: r.non2xx + r.errors + r.timeouts + warmBad,
    cpuServer: (serverMs * 1000) / n,
    cpuBench: (benchMs * 1000) / n,
    cpuDb: (dbMs * 1000) / n,
    cpuOther: (Math.max(0, busyMs - serverMs - benchMs - dbMs) * 1000) / n,
    otherCores: Math.max(0, busyMs - serverMs - benchMs - dbMs) / (r.duration * 1000),
    problems,
  };
}

// ---------------------------------------------------------------------------------------------
// one engine

interface Row {
  engine: Engine;
  server: string;
  kind: Server['kind'];
  runs: Run[];
  /** Per round: this server's req/s over the floor's in the same round. */
  ratios: number[];
}

async function runEngine(engine: Engine, dbUrl: string | undefined): Promise<Row[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `payrail-bench-${engine}-`));
  const servers: Server[] = [];
  const db = dbUrl ? new pg.Client({ connectionString: dbUrl }) : undefined;
  try {
    await db?.connect();
    // payrail: one process per log level. On PostgreSQL they share the database and the data dir
    // (the first start creates the demo project and its key); PGlite allows one process per data
    // dir, so each has its own, with its own demo key.
    const configs: Record<string, string>[] = [
      ...LOG_LEVELS.map((level) => ({ LOG_LEVEL: level })),
      ...PAYRAIL_VARIANTS.map((extra) => ({ LOG_LEVEL: LOG_LEVELS[0] ?? 'info', ...extra })),
    ];
    for (const [i, extra] of configs.entries()) {
      const dataDir = path.join(tmp, dbUrl ? 'payrail' : `payrail-${i}`);
      const env = { HOST: '127.0.0.1', PAYRAIL_DATA_DIR: dataDir, DATABASE_URL: dbUrl ?? '', PAYRAIL_MODE: 'sandbox', ...extra };
      const label = Object.entries(extra)
        .map(([k, v]) => (k === 'PAYRAIL_BIN' ? `build ${path.basename(path.dirname(path.dirname(path.resolve(v))))}` : `${k}=${v}`))
        .join(' ');
      // A variant may name another build to run (PAYRAIL_BIN=/path/to/bin/payrail.js), e.g. a patched copy.
      const bin = extra['PAYRAIL_BIN'] ?? 'bin/payrail.js';
      const server = await start(`payrail (${label})`, 'payrail', [...PAYRAIL_NODE_ARGS, bin, 'serve'], env, 'sessions');
      server.signature = sign('sha256', Buffer.from(BODY), createPrivateKey(fs.readFileSync(path.join(dataDir, 'demo.private.pem')))).toString('base64');
      servers.push(server);
    }
    // The floor verifies with the public key of the first payrail's demo project.
    const firstDir = path.join(tmp, dbUrl ? 'payrail' : 'payrail-0');
    const privateKey = createPrivateKey(fs.readFileSync(path.join(firstDir, 'demo.private.pem')));
    const publicKeyPath = path.join(tmp, 'demo.public.pem');
    fs.writeFileSync(publicKeyPath, createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString());
    const signature = sign('sha256', Buffer.from(BODY), privateKey).toString('base64');
    const floors: Server[] = [];
    for (const variant of ['', ...EXTRA_FLOORS]) {
      const table = `floor_sessions${variant ? `_${variant.replace('+', '_')}` : ''}`;
      const env: Record<string, string> = {
        FLOOR_PUBLIC_KEY: publicKeyPath,
        FLOOR_TABLE: table,
        FLOOR_TX: variant.includes('tx') ? '1' : '',
        FLOOR_FK: variant.includes('fk') ? '1' : '',
      };
      if (dbUrl) env['FLOOR_DATABASE_URL'] = dbUrl;
      else env['FLOOR_PGLITE_DIR'] = path.join(tmp, table);
      const floor = await start(variant ? `floor +${variant}` : 'floor', 'floor', ['--import', 'tsx', 'bench/floor-server.ts'], env, table);
      floor.signature = signature;
      floors.push(floor);
    }
    servers.unshift(...floors);

    const rows: Row[] = servers.map((s) => ({ engine, server: s.name, kind: s.kind, runs: [], ratios: [] }));
    for (let round = 0; round < ROUNDS; round++) {
      const order = servers.map((_, i) => (i + round) % servers.length);
      for (const i of order) {
        const server = servers[i]!;
        process.stderr.write(`  ${engine} round ${round + 1}/${ROUNDS} ${server.name}: `);
        const run = await measure(server, db);
        rows[i]!.runs.push(run);
        process.stderr.write(
          `${run.rps.toFixed(0)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms, CPU µs/req server ${run.cpuServer.toFixed(0)} bench ${run.cpuBench.toFixed(0)} postgres ${run.cpuDb.toFixed(0)} other ${run.cpuOther.toFixed(0)}` +
            `${run.otherCores > 0.25 ? `  (!! the machine is busy with other work: ${run.otherCores.toFixed(2)} cores)` : ''}` +
            `${run.problems.length ? `\n  !! ${run.problems.join('; ')}` : ''}\n`,
        );
      }
      const floorRun = rows[0]!.runs[round]!;
      for (const row of rows.slice(1)) row.ratios.push(row.runs[round]!.rps / floorRun.rps);
    }
    return rows;
  } finally {
    for (const s of servers) await stop(s);
    await db?.end();
    fs.rmSync(tmp, { recursive: true, force: true });
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
  const pglite = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string };
  lines.push(`pglite: ${pglite.version}`);
  const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  const commit = git('rev-parse', '--short', 'HEAD');
  if (commit) lines.push(`payrail: commit ${commit}${git('status', '--porcelain', '--', 'src') ? ' with uncommitted changes in src/' : ''}`);
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
    `load: autocannon in the bench process on the same machine, ${CONNECTIONS} connections, closed loop; ${ROUNDS} rounds × ${SECONDS} s measured per server (first warm-up ${WARMUP} s, then 1 s)`,
  );
  return lines;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
};

function table(rows: Row[]): string {
  const head = ['engine', 'server', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx/errors', 'CPU µs/req server+bench+pg+other', 'payrail/floor (rounds)', 'CPU-cost ratio'];
  const body = rows.map((r) => {
    const m = (f: (x: Run) => number) => median(r.runs.map(f));
    const bad = r.runs.reduce((a, x) => a + x.bad, 0);
    const ratio = r.ratios.length
      ? `${median(r.ratios).toFixed(2)}× (${Math.min(...r.ratios).toFixed(2)}–${Math.max(...r.ratios).toFixed(2)})${median(r.ratios) < TARGET && r.kind === 'payrail' ? ' LOW' : ''}`
      : '';
    const cpu = [m((x) => x.cpuServer), m((x) => x.cpuBench), m((x) => x.cpuDb), m((x) => x.cpuOther)].map((v) => v.toFixed(0)).join('+');
    // Floor's CPU per request over this server's (server + load generator + PostgreSQL; "other" left
    // out): what the ratio would be on a machine where CPU is the limit, and little moved by other load.
    const floor = rows.find((f) => f.engine === r.engine && f.kind === 'floor');
    const cost = (x: Row) => median(x.runs.map((y) => y.cpuServer + y.cpuBench + y.cpuDb));
    const costRatio = floor && floor !== r ? `${(cost(floor) / cost(r)).toFixed(2)}×` : '';
    return [r.engine, r.server, m((x) => x.rps).toFixed(0), m((x) => x.p50).toFixed(0), m((x) => x.p99).toFixed(0), bad ? `${bad} !!` : '0', cpu, ratio, costRatio];
  });
  const right = new Set([2, 3, 4, 5, 6, 8]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(head), rule, ...body.map(line)].join('\n');
}

async function main(): Promise<number> {
  if (!process.env['BENCH_NO_BUILD']) {
    process.stderr.write('building dist/ (tsc -p tsconfig.build.json) ...\n');
    const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    if (tsc.status !== 0) throw new Error('the build failed');
  }
  const info = await machine();
  // Another CPU-heavy process on the machine (a test run, a build) skews every figure: say so.
  const idle0 = machineBusyTicks();
  await new Promise((r) => setTimeout(r, 2000));
  const busyCores = ((machineBusyTicks() - idle0) * TICK_MS) / 2000;
  info.push(`before the run, the machine was busy with ${busyCores.toFixed(2)} cores of other work${busyCores > 0.25 ? '  !! NOT QUIET: figures will be noisy' : ''}`);
  process.stderr.write(`${info.join('\n')}\n`);
  const rows: Row[] = [];
  for (const engine of ENGINES) {
    process.stderr.write(`${engine}:\n`);
    rows.push(...(engine === 'postgres' ? await withPostgresDatabase(PG_BASE, 'payrail_bench', (url) => runEngine(engine, url)) : await runEngine(engine, undefined)));
  }

  const out = ['', ...info.map((l) => `  ${l}`), '', table(rows), ''];
  const failed = rows.filter((r) => r.runs.some((x) => x.bad > 0 || x.problems.length));
  for (const r of failed) {
    for (const [i, x] of r.runs.entries()) if (x.problems.length) out.push(`!! ${r.engine} / ${r.server} round ${i + 1}: ${x.problems.join('; ')}`);
  }
  if (failed.length) out.push('!! THESE FIGURES ARE NOT VALID: some requests failed or were not written.', '');
  const all = rows.flatMap((r) => r.runs);
  const noisy = all.filter((x) => x.otherCores > 0.25);
  if (noisy.length) {
    const cores = noisy.map((x) => x.otherCores);
    out.push(
      `!! the machine was not quiet: in ${noisy.length} of ${all.length} runs other programs used ${Math.min(...cores).toFixed(2)}–${Math.max(...cores).toFixed(2)} cores.`,
      '!! req/s are then low and ratios noisy; the CPU-cost ratio is the steadier figure. Run again on a quiet machine (BENCH_WAIT_QUIET=60 helps).',
      '',
    );
  }
  for (const r of rows.filter((x) => x.kind === 'payrail')) {
    const ratio = median(r.ratios);
    out.push(`${ratio >= TARGET ? 'ok ' : 'LOW'}  ${r.engine} / ${r.server}: ${ratio.toFixed(2)}× the floor (target ${TARGET}×)`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return failed.length ? 1 : 0;
}

const onSignal = () => {
  for (const c of children) c.kill('SIGKILL');
  process.exit(130);
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    for (const c of children) c.kill('SIGKILL');
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
