/**
 * `npm run bench:crash`: how long a payer waits when workers die. Full lifecycles (card payouts and
 * card payments: init → ready_to_confirm → confirm → final) run against a real `payrail serve`
 * (API only) and separate `payrail worker` processes on PostgreSQL. The same run is done twice, side
 * by side: a baseline with no kills, then with a `kill -9` of a random worker every few seconds (a
 * replacement is started at once). Printed per run: lifecycles, kills, the time from confirm to the
 * final status (p50, p99, max), how many waited longer than the 60 s lease, how many never finished,
 * and whether the ledger's trial balance is still zero.
 *
 * Environment: SOAK_LIFECYCLES (per run, default 300), SOAK_PARALLEL (default 12), SOAK_WORKERS
 * (default 2), SOAK_KILL_EVERY_MS (default 2500), BENCH_DATABASE_URL, BENCH_NO_BUILD=1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.env['SOAK_LIFECYCLES'] || 300);
const PARALLEL = Number(process.env['SOAK_PARALLEL'] || 12);
const WORKERS = Number(process.env['SOAK_WORKERS'] || 2);
const KILL_EVERY_MS = Number(process.env['SOAK_KILL_EVERY_MS'] || 2500);
const PG_BASE = process.env['BENCH_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
const BIN = path.join(ROOT, 'bin', 'payrail.js');

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function start(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; out: () => string; exited: Promise<void> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  return { child, out: () => out, exited: new Promise((r) => child.once('exit', () => r())) };
}

interface Api {
  call(method: string, body: unknown): Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  admin(method: string, url: string, body?: unknown): Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function api(base: string, key: KeyObject, token: string): Api {
  return {
    async call(method, body) {
      const raw = JSON.stringify(body);
      const res = await fetch(`${base}/api/v1/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': sign('sha256', Buffer.from(raw), key).toString('base64') },
        body: raw,
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (res.status >= 500) throw new Error(`${method}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    },
    async admin(method, url, body) {
      const res = await fetch(`${base}/admin${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return (await res.json()) as Record<string, unknown>;
    },
  };
}

const CARD = { type: 'bank_card', bank_card: { number: '4242424242424242', expiration_month: '12', expiration_year: '35', security_code: '123' } };

/** One lifecycle; returns the milliseconds from confirm to the final status, or undefined if it never got there. */
async function lifecycle(a: Api, i: number): Promise<number | undefined> {
  const payout = i % 2 === 0;
  const init = payout
    ? await a.call('session/init/payout', { payment_method: { type: 'card', card: { type: 'bank_card', bank_card: { number: '4242424242424242' } } }, participant_details: { recipient: { full_name: 'Soak Test' } }, amount_details: { amount: 1000 + (i % 500), currency: 'usd' } })
    : await a.call('session/init/payment', { payment_details: { type: 'card', card: CARD }, amount_details: { amount: 1000 + (i % 500), currency: 'usd' }, customer: { reference: `soak-${i}` } });
  if (init['status'] !== 'ok') throw new Error(`lifecycle ${i}: ${JSON.stringify(init)}`);
  const sid = (init['session'] as { id: string }).id;
  const status = async () => (await a.call('session/status', { session_id: sid }))['session'] as { status: string; next_action?: string };
  const until = async (done: (s: { status: string; next_action?: string }) => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const s = await status();
      if (done(s)) return s;
      if (Date.now() > deadline) return undefined;
      await sleep(50);
    }
  };
  if (!(await until((s) => s.next_action === 'confirm', 180_000))) return undefined;
  await a.call('session/confirm', { session_id: sid });
  const confirmedAt = Date.now();
  const fin = await until((s) => s.status === 'accepted' || s.status === 'cancelled', 180_000);
  return fin ? Date.now() - confirmedAt : undefined;
}

async function run(label: string, kills: boolean, env: NodeJS.ProcessEnv, a: Api) {
  const workers = Array.from({ length: WORKERS }, () => start(['worker'], env));
  let killed = 0;
  let stop = false;
  const killer = (async () => {
    while (kills && !stop) {
      await sleep(KILL_EVERY_MS);
      if (stop) break;
      const i = Math.floor(Math.random() * workers.length);
      workers[i]!.child.kill('SIGKILL');
      await workers[i]!.exited;
      killed++;
      workers[i] = start(['worker'], env);
    }
  })();
  const times: number[] = [];
  let unfinished = 0;
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < N) {
        const t = await lifecycle(a, next++);
        if (t === undefined) unfinished++;
        else times.push(t);
      }
    }),
  );
  stop = true;
  await killer;
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  times.sort((x, y) => x - y);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? NaN;
  const tb = await a.admin('GET', '/ledger/trial-balance');
  return {
    run: label,
    lifecycles: times.length + unfinished,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    kills: killed,
    'p50 ms': q(0.5),
    'p99 ms': q(0.99),
    'max ms': times.at(-1) ?? NaN,
    'over 60 s': times.filter((t) => t > 60_000).length,
    unfinished,
    'trial balance zero': tb['balanced'],
  };
}

async function main() {
  if (!process.env['BENCH_NO_BUILD']) spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const dbName = `payrail_soak_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_BASE });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(PG_BASE);
  url.pathname = `/${dbName}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-soak-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    PAYRAIL_DATA_DIR: dataDir,
    PAYRAIL_MODE: 'sandbox',
    PAYRAIL_MASTER_KEY: randomBytes(32).toString('hex'),
    DATABASE_URL: url.toString(),
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
  };
  const server = start(['serve'], { ...env, PAYRAIL_WORKER: 'false' });
  try {
    for (let i = 0; !server.out().includes('payrail is listening'); i++) {
      if (i > 600) throw new Error(`the server did not start:\n${server.out()}`);
      await sleep(100);
    }
    const a = api(`http://127.0.0.1:${port}`, createPrivateKey(fs.readFileSync(path.join(dataDir, 'demo.private.pem'))), fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim());
    console.log(`crash soak: ${N} lifecycles per run, ${PARALLEL} in parallel, ${WORKERS} worker processes, PostgreSQL`);
    const rows = [await run('baseline (no kills)', false, env, a), await run(`kill -9 a worker every ${KILL_EVERY_MS} ms`, true, env, a)];
    console.table(rows);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
