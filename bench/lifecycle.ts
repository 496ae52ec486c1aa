/**
 * `npm run bench:lifecycle`: whole payment and payout lifecycles under load, against a real
 * `payrail serve` process, with real signed webhooks to a local receiver.
 *
 * - acquiring: session/init/payment (card 4242…) → ready_to_confirm received → session/confirm →
 *   payment_finished received and its signature verified;
 * - payout, hot wallet: the same with session/init/payout to a card, every payout from one project;
 * - payout, spread: the same over 50 projects, each with its own wallet.
 * Many lifecycles run in parallel (BENCH_PARALLEL, default 32); each is timed from the init request
 * to the verified payment_finished. Printed: completed lifecycles per second, p50 and p99.
 * Run on PostgreSQL (a fresh database, dropped after) and on PGlite (a fresh data directory).
 *
 * Environment: BENCH_LIFECYCLES (per scenario, default 400), BENCH_PARALLEL (default 32),
 * BENCH_ENGINES (postgres,pglite), BENCH_DATABASE_URL, BENCH_NO_BUILD=1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.env['BENCH_LIFECYCLES'] || 400);
const PARALLEL = Number(process.env['BENCH_PARALLEL'] || 32);
const ENGINES = (process.env['BENCH_ENGINES'] || 'postgres,pglite').split(',');
const PG_BASE = process.env['BENCH_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

interface Waiter {
  resolve: (body: { type: string; session: Record<string, unknown> }) => void;
}

/** The partner's webhook receiver: verifies every signature and hands each webhook to its waiter. */
function receiver(serverKey: () => KeyObject) {
  const waiters = new Map<string, Waiter>(); // `${session}:${type}`
  const early = new Map<string, { type: string; session: Record<string, unknown> }>();
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
        w.resolve(body);
      } else early.set(key, body);
      res.writeHead(200).end();
    });
  });
  return {
    server,
    badSignatures: () => bad,
    wait(sessionId: string, type: string) {
      const key = `${sessionId}:${type}`;
      const got = early.get(key);
      if (got) {
        early.delete(key);
        return Promise.resolve(got);
      }
      return new Promise<{ type: string; session: Record<string, unknown> }>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no ${type} for ${sessionId} in 60 s`)), 60_000);
        waiters.set(key, { resolve: (b) => (clearTimeout(t), resolve(b)) });
      });
    },
  };
}

interface Server {
  url: string;
  dataDir: string;
  proc: ChildProcess;
  admin(method: string, p: string, body?: unknown): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function startServer(engine: string, databaseUrl: string | undefined): Promise<Server> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-bench-'));
  const port = await freePort();
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin/payrail.js'), 'serve'], {
    env: { ...process.env, PORT: String(port), PAYRAIL_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/ready`)).ok) break;
    } catch {
      // not yet
    }
    if (i > 300) throw new Error(`${engine}: payrail did not start`);
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

async function run(label: string, lifecycle: (i: number) => Promise<void>) {
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
  times.sort((a, b) => a - b);
  return { label, done: times.length, failures, perSecond: times.length / seconds, p50: pct(times, 50), p99: pct(times, 99) };
}

async function benchEngine(engine: string) {
  let dbName: string | undefined;
  let databaseUrl: string | undefined;
  if (engine === 'postgres') {
    dbName = `payrail_bench_${process.pid}`;
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
  const srv = await startServer(engine, databaseUrl);
  try {
    serverKey = createPublicKey(fs.readFileSync(path.join(srv.dataDir, 'payrail.public.pem')));
    const demoKey = createPrivateKey(fs.readFileSync(path.join(srv.dataDir, 'demo.private.pem')));
    await srv.admin('PATCH', '/projects/demo', { webhook_url: hook });
    const projects: { name: string; key: KeyObject }[] = [];
    for (let i = 0; i < 50; i++) {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const name = `shop${i}`;
      await srv.admin('POST', '/projects', { name, public_key: publicKey.export({ type: 'spki', format: 'pem' }).toString(), settings: { webhook_url: hook } });
      await srv.admin('POST', `/projects/${name}/wallet/topup`, { amount: 100_000_000, currency: 'usd' });
      projects.push({ name, key: privateKey });
    }
    const lifecycle = (project: string, key: KeyObject, method: string, body: unknown) => async () => {
      const started = await call(srv.url, project, key, method, body);
      const id = started.session.id as string;
      await rx.wait(id, 'ready_to_confirm');
      await call(srv.url, project, key, 'session/confirm', { session_id: id });
      const done = await rx.wait(id, 'payment_finished');
      const op = ((done.session['acquiring_payments'] ?? done.session['payments']) as { status: string }[])[0]!;
      if (op.status !== 'succeeded') throw new Error(`${id} ended ${op.status}`);
    };
    const card = { type: 'card', card: { type: 'bank_card', bank_card: { number: '4242424242424242', expiration_month: '12', expiration_year: '30', security_code: '123' } } };
    const payment = { payment_details: card, amount_details: { amount: 1000, currency: 'usd' }, customer: { reference: 'bench' } };
    const payout = {
      payment_method: { type: 'card', card: { type: 'bank_card', bank_card: { number: '4242424242424242' } } },
      amount_details: { amount: 100, currency: 'usd' },
      participant_details: { recipient: { full_name: 'Bench Recipient' } },
    };
    const results = [
      await run('acquiring', () => lifecycle('demo', demoKey, 'session/init/payment', payment)()),
      await run('payout, one project (hot wallet)', () => lifecycle('demo', demoKey, 'session/init/payout', payout)()),
      await run('payout, 50 projects', (i) => lifecycle(projects[i % 50]!.name, projects[i % 50]!.key, 'session/init/payout', payout)()),
    ];
    const tb = await srv.admin('GET', '/ledger/trial-balance');
    return { engine, results, badSignatures: rx.badSignatures(), balanced: tb.balanced as boolean };
  } finally {
    srv.proc.kill('SIGTERM');
    await new Promise((r) => srv.proc.once('exit', r));
    rx.server.close();
    fs.rmSync(srv.dataDir, { recursive: true, force: true });
    if (dbName) {
      const c = new pg.Client({ connectionString: PG_BASE });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    }
  }
}

if (process.env['BENCH_NO_BUILD'] !== '1') {
  const b = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  if (b.status !== 0) process.exit(1);
}
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`);
console.log(`lifecycles per scenario: ${N}, in parallel: ${PARALLEL}\n`);
let failed = false;
for (const engine of ENGINES) {
  const r = await benchEngine(engine);
  console.log(`${engine}  (webhook signatures failing verification: ${r.badSignatures}; trial balance ${r.balanced ? 'zero' : 'NOT ZERO'})`);
  console.log('  scenario                             done  failed  lifecycles/s   p50 ms   p99 ms');
  for (const x of r.results) {
    console.log(`  ${x.label.padEnd(36)} ${String(x.done).padStart(4)}  ${String(x.failures).padStart(6)}  ${x.perSecond.toFixed(1).padStart(12)}  ${x.p50.toFixed(0).padStart(7)}  ${x.p99.toFixed(0).padStart(7)}`);
    if (x.failures > 0) failed = true;
  }
  if (r.badSignatures > 0 || !r.balanced) failed = true;
  console.log();
}
process.exit(failed ? 1 : 0);
