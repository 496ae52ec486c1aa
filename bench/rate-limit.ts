/**
 * `node --import tsx bench/rate-limit.ts`: what a per-project rate limit costs a request.
 *
 * Two `payrail serve` processes on one fresh PostgreSQL database: one counting in memory, one in
 * Redis (PAYRAIL_REDIS_URL). Two projects: `demo` with no limit, and `limited` with a limit far
 * above the load (1,000,000 per second), so every request is counted and none refused. Each round
 * measures, in rotating order, a closed-loop autocannon run of signed `session/status` (a read: the
 * cheapest call, where the limiter's share shows most) against:
 *   - no limit            (demo, memory server): the baseline
 *   - limit, memory store (limited, memory server)
 *   - limit, Redis store  (limited, Redis server): one Redis round trip more per request
 * and prints req/s, p50/p99 and the server's CPU µs per request side by side (medians over rounds).
 *
 * Environment: BENCH_SECONDS (default 4), BENCH_ROUNDS (3), BENCH_CONNECTIONS (32),
 * BENCH_DATABASE_URL, BENCH_REDIS_URL (default redis://127.0.0.1:6379), BENCH_NO_BUILD=1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { freePort, processTicks, TICK_MS } from './lib/proc.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env['BENCH_SECONDS'] || 4);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] || 3);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] || 32);
const PG_BASE = process.env['BENCH_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env['BENCH_REDIS_URL'] || 'redis://127.0.0.1:6379';
const children = new Set<ChildProcess>();

async function serve(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['bin/payrail.js', 'serve'], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), PAYRAIL_MODE: 'sandbox', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  let tail = '';
  child.stderr?.on('data', (c: Buffer) => (tail = (tail + c.toString()).slice(-2000)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${tail}`);
    if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) return { child, url };
    if (i > 600) throw new Error(`server did not start:\n${tail}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function admin(url: string, token: string, method: string, p: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${url}/admin${p}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return JSON.parse(text);
}

async function signedPost(url: string, project: string, key: KeyObject, method: string, body: unknown): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const raw = JSON.stringify(body);
  const res = await fetch(`${url}/api/v1/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-partner-project': project, 'x-partner-sign': sign('sha256', Buffer.from(raw), key).toString('base64') },
    body: raw,
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`${method}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

interface Case {
  readonly name: string;
  readonly url: string;
  readonly pid: number | undefined;
  readonly headers: Record<string, string>;
  readonly body: string;
  runs: { rps: number; p50: number; p99: number; cpuUs: number; bad: number }[];
}

async function measure(c: Case): Promise<void> {
  const t0 = processTicks(c.pid);
  const r = await autocannon({ url: `${c.url}/api/v1/session/status`, method: 'POST', headers: c.headers, body: c.body, connections: CONNECTIONS, duration: SECONDS, timeout: 10 });
  const ok = Math.max(1, r['2xx']);
  c.runs.push({ rps: r['2xx'] / r.duration, p50: r.latency.p50, p99: r.latency.p99, cpuUs: ((processTicks(c.pid) - t0) * TICK_MS * 1000) / ok, bad: r.non2xx + r.errors + r.timeouts });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;

async function main(): Promise<void> {
  if (!process.env['BENCH_NO_BUILD']) {
    const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    if (tsc.status !== 0) throw new Error('the build failed');
  }
  const name = `payrail_ratelimit_${process.pid}_${Date.now()}`;
  const c0 = new pg.Client({ connectionString: PG_BASE });
  await c0.connect();
  await c0.query(`CREATE DATABASE ${name}`);
  await c0.end();
  const dbUrl = new URL(PG_BASE);
  dbUrl.pathname = `/${name}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-ratelimit-'));
  try {
    const env = { PAYRAIL_DATA_DIR: tmp, DATABASE_URL: dbUrl.toString() };
    const memory = await serve(env);
    const redis = await serve({ ...env, PAYRAIL_REDIS_URL: REDIS_URL, PAYRAIL_REDIS_PREFIX: `payrail-bench-${randomBytes(4).toString('hex')}:` });
    const token = fs.readFileSync(path.join(tmp, 'admin-token'), 'utf8').trim();
    const demoKey = createPrivateKey(fs.readFileSync(path.join(tmp, 'demo.private.pem')));
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await admin(memory.url, token, 'POST', '/projects', {
      name: 'limited',
      public_key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      settings: { rate_limit: { requests_per_second: 1_000_000, burst: 1_000_000 } },
    });
    await new Promise((r) => setTimeout(r, 1500)); // the Redis server's directory sees the new project
    const caseFor = async (label: string, server: { child: ChildProcess; url: string }, project: string, key: KeyObject): Promise<Case> => {
      const created = await signedPost(server.url, project, key, 'session/create', { amount_details: { amount: 100, currency: 'usd' } });
      const body = JSON.stringify({ session_id: created['session'].id });
      const headers = { 'content-type': 'application/json', 'x-partner-project': project, 'x-partner-sign': sign('sha256', Buffer.from(body), key).toString('base64') };
      return { name: label, url: server.url, pid: server.child.pid, headers, body, runs: [] };
    };
    const cases = [
      await caseFor('no limit', memory, 'demo', demoKey),
      await caseFor('limit, memory store', memory, 'limited', privateKey),
      await caseFor('limit, Redis store', redis, 'limited', privateKey),
    ];
    for (const c of cases) await measure(c); // warm-up, not counted
    for (const c of cases) c.runs.length = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < cases.length; i++) {
        const c = cases[(i + round) % cases.length]!;
        await measure(c);
        const r = c.runs.at(-1)!;
        process.stderr.write(`  round ${round + 1} ${c.name}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms, ${r.cpuUs.toFixed(0)} µs CPU/req${r.bad ? `, ${r.bad} non-2xx!!` : ''}\n`);
      }
    }
    const base = median(cases[0]!.runs.map((r) => r.rps));
    const baseCpu = median(cases[0]!.runs.map((r) => r.cpuUs));
    const lines = [
      '',
      `  ${os.availableParallelism()} × ${os.cpus()[0]?.model}; node ${process.version}; signed session/status, ${CONNECTIONS} connections, ${ROUNDS} rounds × ${SECONDS} s, medians`,
      '',
      '| case                 |  req/s | vs no limit | p50 ms | p99 ms | server CPU µs/req | non-2xx |',
      '|----------------------|-------:|------------:|-------:|-------:|------------------:|--------:|',
      ...cases.map((c) => {
        const m = (f: (r: Case['runs'][number]) => number) => median(c.runs.map(f));
        const cpu = m((r) => r.cpuUs);
        return `| ${c.name.padEnd(20)} | ${m((r) => r.rps).toFixed(0).padStart(6)} | ${`${((100 * m((r) => r.rps)) / base).toFixed(0)} %`.padStart(11)} | ${m((r) => r.p50).toFixed(0).padStart(6)} | ${m((r) => r.p99).toFixed(0).padStart(6)} | ${`${cpu.toFixed(0)} (${cpu - baseCpu >= 0 ? '+' : ''}${(cpu - baseCpu).toFixed(0)})`.padStart(17)} | ${String(c.runs.reduce((a, r) => a + r.bad, 0)).padStart(7)} |`;
      }),
      '',
    ];
    process.stdout.write(lines.join('\n'));
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    const c1 = new pg.Client({ connectionString: PG_BASE });
    await c1.connect();
    await c1.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c1.end();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  for (const c of children) c.kill('SIGKILL');
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 2;
});
