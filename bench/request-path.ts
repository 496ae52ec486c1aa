/**
 * `node --import tsx bench/request-path.ts`: the partner API's request path, side by side with the floor in one
 * run, on PostgreSQL and PGlite:
 *   - session/create            signed, one pre-signed body (as `npm run bench`);
 *   - session/status            signed, of one session created before the run;
 *   - session/create + key      signed, a new X-PARTNER-IDEMPOTENCY-KEY on every request (each one
 *                               a first attempt: the key is claimed and completed);
 * against the floor (bench/floor-server.ts: bare node:http, RSA verify, one autocommit INSERT).
 *
 * For each engine it starts the floor and one `payrail serve` (dist/, rebuilt first; LOG_LEVEL=info
 * with its log to /dev/null, worker and request log on: the server as shipped), each with the
 * preload bench/count-statements.mjs, then measures every (server, call) in rounds, in rotating
 * order: a warm-up, then a closed-loop autocannon run (BENCH_CONNECTIONS, one request in flight per
 * connection). For each run:
 *   - req/s and p50/p99 of the 2xx answers (any non-2xx or error is reported and fails the run);
 *   - statements per request: every statement the server process sent during the run (its worker's
 *     polls and the request log's batched INSERTs included) over the answers;
 *   - CPU µs per request of the server process (utime+stime from /proc/<pid>/stat: its own
 *     counters, so the figure holds on a busy machine) and of PostgreSQL's processes for the run's
 *     database.
 * Figures are medians over rounds; the ratio is the median of per-round ratios to the floor's
 * req/s, and the CPU-cost ratio is the floor's (server + PostgreSQL) CPU per request over payrail's:
 * what the req/s ratio is where CPU is the limit, and the steadier figure on a busy machine.
 *
 * Environment: BENCH_SECONDS (3), BENCH_ROUNDS (3), BENCH_WARMUP (2; later rounds 1 s),
 * BENCH_CONNECTIONS (64), BENCH_ENGINES (postgres,pglite), BENCH_CALLS (create,status,idempotent),
 * BENCH_VARIANTS (';'-separated env settings for extra payrail processes measured on create, e.g.
 * "PAYRAIL_REQUEST_LOG_RETENTION=off;LOG_LEVEL=warn"), BENCH_DATABASE_URL, BENCH_NO_BUILD=1.
 * Exit code 1 when any run had errors or non-2xx answers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import pg from 'pg';
import { freePort, postgresTicks, processTicks, ticksSince, TICK_MS, withPostgresDatabase } from './lib/proc.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const num = (name: string, fallback: number) => Number(process.env[name] || fallback);
const SECONDS = num('BENCH_SECONDS', 3);
const ROUNDS = num('BENCH_ROUNDS', 3);
const WARMUP = num('BENCH_WARMUP', 2);
const CONNECTIONS = num('BENCH_CONNECTIONS', 64);
const ENGINES = (process.env['BENCH_ENGINES'] || 'postgres,pglite').split(',') as ('postgres' | 'pglite')[];
const CALLS = (process.env['BENCH_CALLS'] || 'create,status,idempotent').split(',') as Call[];
const VARIANTS = (process.env['BENCH_VARIANTS'] || '')
  .split(';')
  .map((v) => v.trim())
  .filter(Boolean);
const PG_BASE = process.env['BENCH_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
const TARGET: Record<Call, number> = { create: 0.8, status: 0.7, idempotent: 0.7 };

type Call = 'create' | 'status' | 'idempotent';
const CREATE_BODY = JSON.stringify({
  amount_details: { amount: 10000, currency: 'usd' },
  customer: { reference: 'bench-customer-1' },
  metadata: { order_id: 'bench-order-1', source: 'payrail-bench' },
});

interface Server {
  readonly name: string;
  readonly kind: 'floor' | 'payrail';
  readonly child: ChildProcess;
  readonly port: number;
  readonly statementsFile: string;
  key: KeyObject | undefined;
  warmed: Set<Call>;
  statusBody: string;
  tail(): string;
}

const children = new Set<ChildProcess>();

async function start(name: string, kind: Server['kind'], args: string[], env: Record<string, string>, tmp: string): Promise<Server> {
  const port = await freePort();
  const statementsFile = path.join(tmp, `statements-${port}.json`);
  const child = spawn(process.execPath, ['--import', './bench/count-statements.mjs', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, [kind === 'floor' ? 'FLOOR_PORT' : 'PORT']: String(port), BENCH_STATEMENTS_FILE: statementsFile },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let tail = '';
  child.stderr?.on('data', (c: Buffer) => (tail = (tail + c.toString()).slice(-4000)));
  const server: Server = { name, kind, child, port, statementsFile, key: undefined, warmed: new Set(), statusBody: '', tail: () => tail };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited before listening:\n${tail}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => (sock.destroy(), resolve(true)));
      sock.once('error', () => resolve(false));
    });
    if (ok) return server;
    if (Date.now() > deadline) throw new Error(`${name} did not listen:\n${tail}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(server: Server): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(t);
}

async function statements(server: Server): Promise<number> {
  fs.rmSync(server.statementsFile, { force: true });
  server.child.kill('SIGUSR2');
  for (let i = 0; i < 100; i++) {
    try {
      return (JSON.parse(fs.readFileSync(server.statementsFile, 'utf8')) as { statements: number }).statements;
    } catch {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  throw new Error(`${server.name}: no statement count`);
}

const signed = (key: KeyObject, body: string) => sign('sha256', Buffer.from(body), key).toString('base64');
const baseHeaders = (signature: string): Record<string, string> => ({ 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': signature });

function request(server: Server, call: Call): { path: string; body: string; headers: Record<string, string> } {
  const key = server.key!;
  if (call === 'status') return { path: '/api/v1/session/status', body: server.statusBody, headers: baseHeaders(signed(key, server.statusBody)) };
  return { path: '/api/v1/session/create', body: CREATE_BODY, headers: baseHeaders(signed(key, CREATE_BODY)) };
}

let keySeq = 0;
function load(server: Server, call: Call, seconds: number): Promise<Result> {
  const { path: p, body, headers } = request(server, call);
  const run = `${process.pid}-${Date.now()}`;
  return autocannon({
    url: `http://127.0.0.1:${server.port}${p}`,
    method: 'POST',
    headers,
    body,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
    // A new key per request: each is a first attempt, claimed and completed.
    ...(call === 'idempotent' ? { requests: [{ setupRequest: (req: { headers: Record<string, string> }) => ({ ...req, headers: { ...headers, 'x-partner-idempotency-key': `bench-${run}-${keySeq++}` } }) }] } : {}),
  } as Parameters<typeof autocannon>[0]);
}

async function preflight(server: Server, call: Call): Promise<void> {
  const { path: p, body, headers } = request(server, call);
  const res = await fetch(`http://127.0.0.1:${server.port}${p}`, { method: 'POST', headers: call === 'idempotent' ? { ...headers, 'x-partner-idempotency-key': `preflight-${Date.now()}` } : headers, body });
  const text = await res.text();
  const json = JSON.parse(text) as { status?: string; session?: { id?: string } };
  if (res.status !== 200 || json.status !== 'ok' || typeof json.session?.id !== 'string') throw new Error(`${server.name} ${call}: pre-flight answered ${res.status}: ${text}\n${server.tail()}`);
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  bad: number;
  statements: number;
  cpuServer: number;
  cpuDb: number;
  problems: string[];
}

async function measure(server: Server, call: Call, db: pg.Client | undefined): Promise<Run> {
  if (!server.warmed.has(call)) await preflight(server, call);
  await db?.query('CHECKPOINT');
  const warm = await load(server, call, server.warmed.has(call) ? 1 : WARMUP);
  server.warmed.add(call);
  const t0 = { server: processTicks(server.child.pid), db: postgresTicks(db?.database), statements: await statements(server) };
  const r = await load(server, call, SECONDS);
  const serverMs = (processTicks(server.child.pid) - t0.server) * TICK_MS;
  const dbMs = ticksSince(t0.db, postgresTicks(db?.database)) * TICK_MS;
  const sent = (await statements(server)) - t0.statements;
  const problems = Object.entries(r.statusCodeStats)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, { count }]) => `status ${code}×${count}`);
  if (r.errors) problems.push(`${r.errors} errors`);
  if (r.timeouts) problems.push(`${r.timeouts} timeouts`);
  const warmBad = warm.non2xx + warm.errors + warm.timeouts;
  if (warmBad) problems.push(`warm-up: ${warmBad} non-2xx/errors`);
  const n = Math.max(1, r['2xx']);
  return {
    rps: r['2xx'] / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    bad: r.non2xx + r.errors + r.timeouts + warmBad,
    statements: sent / n,
    cpuServer: (serverMs * 1000) / n,
    cpuDb: (dbMs * 1000) / n,
    problems,
  };
}

interface Row {
  engine: string;
  label: string;
  call: Call;
  kind: Server['kind'];
  runs: Run[];
  ratios: number[];
}

async function runEngine(engine: 'postgres' | 'pglite', dbUrl: string | undefined): Promise<Row[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `payrail-rp-${engine}-`));
  const db = dbUrl ? new pg.Client({ connectionString: dbUrl }) : undefined;
  const servers: Server[] = [];
  try {
    await db?.connect();
    const payrails: { server: Server; calls: Call[]; label: string }[] = [];
    for (const [i, variant] of ['', ...VARIANTS].entries()) {
      const extra = Object.fromEntries(variant.split(/\s+/).filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      const dataDir = path.join(tmp, dbUrl && i === 0 ? 'payrail' : `payrail-${i}`);
      // On PostgreSQL the variants share the database and so the demo project (and its key).
      if (dbUrl && i > 0) fs.cpSync(path.join(tmp, 'payrail'), dataDir, { recursive: true });
      const env = { HOST: '127.0.0.1', PAYRAIL_DATA_DIR: dataDir, DATABASE_URL: dbUrl ?? '', PAYRAIL_MODE: 'sandbox', LOG_LEVEL: 'info', ...extra };
      const label = variant ? `payrail ${variant}` : 'payrail';
      const server = await start(label, 'payrail', ['bin/payrail.js', 'serve'], env, tmp);
      server.key = createPrivateKey(fs.readFileSync(path.join(dataDir, 'demo.private.pem')));
      const created = await fetch(`http://127.0.0.1:${server.port}/api/v1/session/create`, { method: 'POST', headers: baseHeaders(signed(server.key, CREATE_BODY)), body: CREATE_BODY });
      const id = ((await created.json()) as { session: { id: string } }).session.id;
      server.statusBody = JSON.stringify({ session_id: id });
      servers.push(server);
      payrails.push({ server, calls: i === 0 ? CALLS : ['create'], label });
    }
    const first = payrails[0]!.server;
    const publicKeyPath = path.join(tmp, 'demo.public.pem');
    fs.writeFileSync(publicKeyPath, createPublicKey(first.key!).export({ type: 'spki', format: 'pem' }).toString());
    const floorEnv: Record<string, string> = { FLOOR_PUBLIC_KEY: publicKeyPath, FLOOR_TABLE: 'floor_sessions', ...(dbUrl ? { FLOOR_DATABASE_URL: dbUrl } : { FLOOR_PGLITE_DIR: path.join(tmp, 'floor') }) };
    const floor = await start('floor', 'floor', ['--import', 'tsx', 'bench/floor-server.ts'], floorEnv, tmp);
    floor.key = first.key;
    servers.unshift(floor);

    const targets: { server: Server; call: Call; row: Row }[] = [{ server: floor, call: 'create', row: { engine, label: 'floor', call: 'create', kind: 'floor', runs: [], ratios: [] } }];
    for (const p of payrails) for (const call of p.calls) targets.push({ server: p.server, call, row: { engine, label: p.label, call, kind: 'payrail', runs: [], ratios: [] } });
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < targets.length; k++) {
        const t = targets[(k + round) % targets.length]!;
        process.stderr.write(`  ${engine} ${round + 1}/${ROUNDS} ${t.row.label} ${t.call}: `);
        const run = await measure(t.server, t.call, db);
        t.row.runs.push(run);
        process.stderr.write(
          `${run.rps.toFixed(0)} req/s p50 ${run.p50} p99 ${run.p99} ms, ${run.statements.toFixed(2)} stmt/req, CPU µs/req server ${run.cpuServer.toFixed(0)} pg ${run.cpuDb.toFixed(0)}${run.problems.length ? `\n  !! ${run.problems.join('; ')}` : ''}\n`,
        );
      }
      const floorRun = targets[0]!.row.runs[round]!;
      for (const t of targets.slice(1)) t.row.ratios.push(t.row.runs[round]!.rps / floorRun.rps);
    }
    return targets.map((t) => t.row);
  } finally {
    for (const s of servers) await stop(s);
    await db?.end();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function table(rows: Row[]): string {
  const head = ['engine', 'server', 'call', 'req/s', 'p50 ms', 'p99 ms', 'stmt/req', 'CPU µs/req server+pg', 'ratio (rounds)', 'CPU-cost ratio'];
  const floorCost = new Map(rows.filter((r) => r.kind === 'floor').map((r) => [r.engine, median(r.runs.map((x) => x.cpuServer + x.cpuDb))]));
  const body = rows.map((r) => {
    const m = (f: (x: Run) => number) => median(r.runs.map(f));
    const ratio = median(r.ratios);
    const cost = m((x) => x.cpuServer + x.cpuDb);
    return [
      r.engine,
      r.label,
      r.call === 'idempotent' ? 'create + key' : r.call,
      m((x) => x.rps).toFixed(0),
      m((x) => x.p50).toFixed(0),
      m((x) => x.p99).toFixed(0),
      m((x) => x.statements).toFixed(2),
      `${m((x) => x.cpuServer).toFixed(0)}+${m((x) => x.cpuDb).toFixed(0)}`,
      r.kind === 'floor' ? '' : `${ratio.toFixed(2)}× (${Math.min(...r.ratios).toFixed(2)}–${Math.max(...r.ratios).toFixed(2)})${ratio < TARGET[r.call] ? ' LOW' : ''}`,
      r.kind === 'floor' ? '' : `${((floorCost.get(r.engine) ?? NaN) / cost).toFixed(2)}×`,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  return [line(head), `|${widths.map((w, i) => (i >= 3 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`, ...body.map(line)].join('\n');
}

async function main(): Promise<number> {
  if (!process.env['BENCH_NO_BUILD']) {
    process.stderr.write('building dist/ ...\n');
    const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    if (tsc.status !== 0) throw new Error('the build failed');
  }
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  const info = [
    `cpu: ${os.availableParallelism()} × ${os.cpus()[0]?.model ?? '?'}; node ${process.version}; commit ${git}${spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() ? ' + uncommitted src/' : ''}`,
    `load: autocannon in this process, ${CONNECTIONS} connections, ${ROUNDS} rounds × ${SECONDS} s per (server, call); load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  ];
  process.stderr.write(`${info.join('\n')}\n`);
  const rows: Row[] = [];
  for (const engine of ENGINES) rows.push(...(engine === 'postgres' ? await withPostgresDatabase(PG_BASE, 'payrail_bench_rp', (url) => runEngine(engine, url)) : await runEngine(engine, undefined)));
  const out = ['', ...info, '', table(rows), ''];
  const failed = rows.filter((r) => r.runs.some((x) => x.problems.length));
  for (const r of failed) for (const [i, x] of r.runs.entries()) if (x.problems.length) out.push(`!! ${r.engine} ${r.label} ${r.call} round ${i + 1}: ${x.problems.join('; ')}`);
  for (const r of rows.filter((x) => x.kind === 'payrail')) {
    const ratio = median(r.ratios);
    out.push(`${ratio >= TARGET[r.call] ? 'ok ' : 'LOW'}  ${r.engine} ${r.label} ${r.call}: ${ratio.toFixed(2)}× the floor (target ${TARGET[r.call]}×)`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return failed.length ? 1 : 0;
}

process.once('SIGINT', () => {
  for (const c of children) c.kill('SIGKILL');
  process.exit(130);
});
main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    for (const c of children) c.kill('SIGKILL');
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
