/**
 * `node --import tsx bench/metrics-overhead.ts`: what counting requests for /metrics costs.
 *
 * 1. In process: the work the onSend hook does per answer (src/edge/http/metrics.ts: the route's
 *    label, the error code read from an envelope, one counter and one histogram observation),
 *    2,000,000 times over 20 routes, as CPU ns per request: the precise figure.
 * 2. Over HTTP: two server processes of this script (`--serve`), the runtime as `payrail serve`
 *    builds it (worker and request log on, info logging to /dev/null), one with the instrumentation
 *    and one without (RuntimeOptions.instrument = false), measured in rounds in alternating order
 *    with autocannon: GET /health (the cheapest route, where the hook's share is largest) and a
 *    signed session/create. For each: req/s, p99, and the server's CPU µs per request (utime+stime
 *    from /proc/<pid>/stat: its own counters, steadier than req/s on a busy machine). Medians over
 *    the rounds; the cost is the median of each round's paired difference, with its range. On a
 *    shared machine the range is several µs wide: part 1 resolves what part 2 cannot.
 *
 * Environment: BENCH_SECONDS (3), BENCH_ROUNDS (7), BENCH_CONNECTIONS (16), BENCH_CALLS (health,create),
 * BENCH_DATABASE_URL (PostgreSQL; default: PGlite in a temporary directory), BENCH_VERBOSE=1 (every run).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPrivateKey, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../src/platform/config/config.js';
import { createRuntime } from '../src/runtime.js';
import { createMetrics } from '../src/platform/metrics/metrics.js';
import { requestObserver } from '../src/edge/http/metrics.js';
import { systemClock } from '../src/kernel/clock.js';
import type { Db } from '../src/platform/db/database.js';

const SELF = fileURLToPath(import.meta.url);
const num = (name: string, fallback: number) => Number(process.env[name] || fallback);
const TARGETS = (process.env['BENCH_CALLS'] || 'health,create').split(',') as ('health' | 'create')[];

/** The child: one runtime on the port it is given, instrumented or not. */
async function serve(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = pino({ level: 'info' }, pino.destination('/dev/null'));
  const runtime = await createRuntime(config, { logger, instrument: process.env['BENCH_INSTRUMENT'] === '1' });
  await runtime.app.listen({ port: 0, host: '127.0.0.1' });
  const address = runtime.app.server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
  process.once('SIGTERM', () => void runtime.close().then(() => process.exit(0)));
}

function microBench(): { okNs: number; errorNs: number } {
  const metrics = createMetrics({ db: undefined as unknown as Db, clock: systemClock, poolStats: () => ({ max: 1, total: 1, idle: 1, waiting: 0 }), info: { version: 'bench', mode: 'sandbox', database: 'pglite' } });
  const routes = Array.from({ length: 20 }, (_, i) => `/api/v1/method-${i}/x`);
  const hook = requestObserver(metrics);
  const N = 2_000_000;
  const time = (status: number, code: string | undefined) => {
    for (let i = 0; i < 10_000; i++) hook(routes[i % 20], status, code, 4.2);
    const before = process.cpuUsage();
    for (let i = 0; i < N; i++) hook(routes[i % 20], status, code, 4.2);
    const used = process.cpuUsage(before);
    return ((used.user + used.system) * 1000) / N;
  };
  return { okNs: time(200, undefined), errorNs: time(400, 'invalid_request') };
}

interface Child {
  readonly child: ChildProcess;
  readonly port: number;
  readonly dataDir: string;
  readonly drop: () => Promise<void>;
}

const TICK_MS = 1000 / (Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100);
function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

async function start(instrument: boolean): Promise<Child> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-bench-metrics-'));
  const base = process.env['BENCH_DATABASE_URL'];
  let url: string | undefined;
  let drop = async () => undefined as void;
  if (base) {
    const name = `payrail_bench_metrics_${process.pid}_${instrument ? 'on' : 'off'}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(base);
    u.pathname = `/${name}`;
    url = u.toString();
    drop = async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, '--serve'], {
    env: {
      ...process.env,
      PAYRAIL_DATA_DIR: dataDir,
      BENCH_INSTRUMENT: instrument ? '1' : '0',
      // Load shedding would refuse requests of a saturated run; this measures the request path.
      PAYRAIL_SHED_EVENT_LOOP_DELAY_MS: '0',
      PAYRAIL_SHED_DB_WAITING: '0',
      ...(url ? { DATABASE_URL: url } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += String(c);
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, port, dataDir, drop };
}

async function measure(c: Child, target: 'health' | 'create', seconds: number, connections: number) {
  const key = createPrivateKey(fs.readFileSync(path.join(c.dataDir, 'demo.private.pem')));
  const body = JSON.stringify({ amount_details: { amount: 10000, currency: 'usd' }, metadata: { order_id: 'bench-1' } });
  const opts =
    target === 'health'
      ? { url: `http://127.0.0.1:${c.port}/health`, method: 'GET' }
      : {
          url: `http://127.0.0.1:${c.port}/api/v1/session/create`,
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': sign('sha256', Buffer.from(body), key).toString('base64') },
        };
  const cpu0 = cpuMs(c.child.pid!);
  const r = await autocannon({ ...opts, connections, duration: seconds });
  const cpu = cpuMs(c.child.pid!) - cpu0;
  const answered = r['2xx'];
  if (r.non2xx || r.errors || r.timeouts) throw new Error(`${target}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  return { rps: answered / r.duration, p99: r.latency.p99, cpuUs: (cpu * 1000) / answered };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const seconds = num('BENCH_SECONDS', 3);
  const rounds = num('BENCH_ROUNDS', 7);
  const connections = num('BENCH_CONNECTIONS', 16);
  const engine = process.env['BENCH_DATABASE_URL'] ? 'PostgreSQL' : 'PGlite';

  const micro = microBench();
  console.log('1. the hook alone, in process (CPU per answered request)');
  console.log(`   success (200):            ${micro.okNs.toFixed(0)} ns`);
  console.log(`   error (400, code parsed): ${micro.errorNs.toFixed(0)} ns`);

  const servers = { off: await start(false), on: await start(true) };
  const results: Record<string, { rps: number[]; p99: number[]; cpuUs: number[] }> = {};
  try {
    for (const target of TARGETS) {
      // Warm-up: JIT, caches, the database's first pages.
      for (const s of Object.values(servers)) await measure(s, target, 1, connections);
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
        for (const variant of order) {
          const m = await measure(servers[variant], target, seconds, connections);
          const k = `${target} ${variant}`;
          results[k] ??= { rps: [], p99: [], cpuUs: [] };
          results[k].rps.push(m.rps);
          results[k].p99.push(m.p99);
          results[k].cpuUs.push(m.cpuUs);
          if (process.env['BENCH_VERBOSE']) console.log(`   round ${round + 1} ${k}: ${m.rps.toFixed(0)} req/s, ${m.cpuUs.toFixed(1)} µs CPU/req`);
        }
      }
    }
  } finally {
    for (const s of Object.values(servers)) {
      s.child.kill('SIGTERM');
      await new Promise((r) => s.child.once('exit', r));
      await s.drop();
      fs.rmSync(s.dataDir, { recursive: true, force: true });
    }
  }

  console.log(`\n2. over HTTP (${engine}, ${connections} connections, ${rounds} rounds of ${seconds} s, medians)`);
  console.log('   call            metrics   req/s    p99 ms   server CPU µs/req');
  for (const target of TARGETS) {
    for (const variant of ['off', 'on'] as const) {
      const r = results[`${target} ${variant}`]!;
      console.log(`   ${target.padEnd(15)} ${variant.padEnd(8)} ${median(r.rps).toFixed(0).padStart(7)}  ${median(r.p99).toFixed(1).padStart(7)}   ${median(r.cpuUs).toFixed(1).padStart(8)}`);
    }
    const off = results[`${target} off`]!;
    const on = results[`${target} on`]!;
    // Paired by round (the two runs of a round are adjacent in time): a busy machine's drift cancels.
    const dCpu = on.cpuUs.map((x, i) => x - off.cpuUs[i]!);
    const dRps = on.rps.map((x, i) => (x / off.rps[i]! - 1) * 100);
    const signed = (x: number, digits: number) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
    console.log(
      `   ${target.padEnd(15)} cost     ${signed(median(dCpu), 1)} µs CPU per request (${signed((median(dCpu) / median(off.cpuUs)) * 100, 1)} %; rounds ${signed(Math.min(...dCpu), 1)} … ${signed(Math.max(...dCpu), 1)}), ${signed(median(dRps), 1)} % req/s`,
    );
  }
}

if (process.argv[2] === '--serve') await serve();
else await main();
