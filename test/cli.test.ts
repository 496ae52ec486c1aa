import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TIMESTAMP, signBody } from './helpers/harness.js';
import { postSigned } from './helpers/peer.js';
import { defaultWireSettings, fingerprintOf } from './helpers/wire.js';
import { freshDatabase, onPostgres, type TestDatabase } from './helpers/test-db.js';
import { freePort } from './helpers/server-process.js';

/**
 * The real thing: `node bin/payrail.js serve` as a child process on a temp data dir and a free
 * port, driven over real sockets and by the CLI's own `call` and `project` commands.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'payrail.js');

interface Server {
  readonly child: ChildProcess;
  readonly port: number;
  readonly baseUrl: string;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

// Never leave a server running, whatever ends this process (a failed test, a runner timeout).
const children = new Set<ChildProcess>();
const killChildren = () => {
  for (const child of children) child.kill('SIGKILL');
};
process.on('exit', killChildren);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    killChildren();
    process.exit(128 + (signal === 'SIGTERM' ? 15 : 2));
  });
}

let dataDir: string;
let tdb: TestDatabase;

/** Only what payrail reads, so nothing from the outer environment (PAYRAIL_*, DATABASE_URL) leaks in. */
function envFor(port: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    PAYRAIL_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    // debug: the shutdown test waits for the "incoming request" line of a request still arriving.
    LOG_LEVEL: 'debug',
    ...(tdb.url ? { DATABASE_URL: tdb.url } : {}),
  };
}

function startServer(port: number): Server {
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env: envFor(port), stdio: ['ignore', 'pipe', 'pipe'] });
  const server: Server = {
    child,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.stdout!.on('data', (d: Buffer) => (server.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (server.stderr += d.toString()));
  return server;
}

async function waitFor(what: string, probe: () => boolean | Promise<boolean>, server: Server, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  let exitCode: number | null | undefined;
  void server.exited.then((c) => (exitCode = c));
  for (;;) {
    if (await probe()) return;
    if (exitCode !== undefined) throw new Error(`server exited (${exitCode}) before ${what}:\n${server.stderr}\n${server.stdout}`);
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}:\n${server.stderr}\n${server.stdout}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitUntilHealthy(server: Server): Promise<void> {
  await waitFor(
    '/health',
    async () => {
      try {
        return (await fetch(`${server.baseUrl}/health`)).status === 200;
      } catch {
        return false;
      }
    },
    server,
  );
}

/** Runs `payrail <args>` to completion. */
async function cli(args: string[], port: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: envFor(port), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, stdout, stderr };
}

/** The server's exit code, or a failure if it is still running after `ms`. */
async function exitCode(s: Server, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running ${ms} ms later:\n${s.stderr}`)), ms);
  });
  try {
    return await Promise.race([s.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const pretty = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

let server: Server;
let demoKey: KeyObject;
let created: { status: string; session: { id: string; status: string; created_at: string; updated_at: string } };
const extraServers: Server[] = [];

/** Newest modification time of the sources the build is made from (tests excluded). */
function newestSource(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((newest, e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return Math.max(newest, newestSource(p));
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? Math.max(newest, fs.statSync(p).mtimeMs) : newest;
  }, 0);
}

before(async () => {
  // bin/payrail.js runs dist/: build it when it is missing or older than the sources it comes from.
  const built = path.join(ROOT, 'dist', 'cli.js');
  if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < newestSource(path.join(ROOT, 'src'))) {
    const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    // tsc emits despite type errors; those are the typecheck's business, a missing build is ours.
    if (tsc.status !== 0) process.stderr.write(`tsc -p tsconfig.build.json exited ${tsc.status}:\n${tsc.stdout}${tsc.stderr}`);
    assert.ok(fs.existsSync(built), `the build did not produce dist/cli.js:\n${tsc.stdout}${tsc.stderr}`);
  }
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-cli-'));
  tdb = await freshDatabase();
  server = startServer(await freePort());
  await waitUntilHealthy(server);
  demoKey = createPrivateKey(fs.readFileSync(path.join(dataDir, 'demo.private.pem')));
});

after(async () => {
  for (const s of [server, ...extraServers]) {
    if (s && s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill('SIGKILL');
      await s.exited;
    }
  }
  await tdb?.drop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('payrail serve', () => {
  test('prints its banner and keeps its secrets owner-only (0600)', () => {
    assert.match(server.stderr, new RegExp(`payrail is listening on http://127\\.0\\.0\\.1:${server.port}  \\(sandbox mode, ${onPostgres ? 'PostgreSQL' : 'embedded PGlite'}`));
    assert.match(server.stderr, /project: demo {3}private key: .*demo\.private\.pem {2}\(new\)/);
    for (const file of ['admin-token', 'demo.private.pem', 'master.key']) {
      const mode = fs.statSync(path.join(dataDir, file)).mode & 0o777;
      assert.equal(mode.toString(8), '600', `${file} has mode ${mode.toString(8)}`);
    }
    assert.equal(fs.existsSync(path.join(dataDir, 'payrail.lock')), !onPostgres, 'the data dir is locked exactly when PGlite is used');
  });

  test('answers a signed session/create over a real socket', async () => {
    const res = await postSigned(server.baseUrl, 'session/create', { amount_details: { amount: 4200, currency: 'usd' }, metadata: 'cli' }, { key: demoKey });
    assert.equal(res.status, 200, res.body);
    created = JSON.parse(res.body);
    const s = created.session;
    assert.match(s.id, /^ps_\d+$/);
    assert.match(s.created_at, TIMESTAMP);
    assert.deepEqual(created, { status: 'ok', session: { id: s.id, status: 'created', created_at: s.created_at, updated_at: s.created_at } });
  });
});

describe('payrail call', () => {
  test('session/status prints the pretty-printed answer and exits 0', async () => {
    const out = await cli(['call', 'session/status', JSON.stringify({ session_id: created.session.id })], server.port);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, pretty(created));
    assert.equal(out.stderr, '');
  });

  test('an unknown session prints the error envelope and exits 1', async () => {
    const out = await cli(['call', 'session/status', '{"session_id":"ps_404"}'], server.port);
    assert.equal(out.code, 1);
    assert.equal(out.stdout, pretty({ status: 'error', error: { code: 'session_not_found', description: 'session ps_404 not found' } }));
  });

  test('a body that is not JSON is a usage error (exit 2) and sends nothing', async () => {
    const out = await cli(['call', 'session/create', '{oops'], server.port);
    assert.equal(out.code, 2);
    assert.equal(out.stdout, '');
    assert.match(out.stderr, /^payrail: the request body is not valid JSON: /);
  });
});

describe('payrail project', () => {
  test('project show demo prints the demo project', async () => {
    const out = await cli(['project', 'show', 'demo'], server.port);
    assert.equal(out.code, 0, out.stderr);
    const body = JSON.parse(out.stdout);
    assert.equal(out.stdout, pretty(body));
    const p = body.project;
    assert.match(p.keys[0].id, /^key_\d+$/);
    assert.match(p.created_at, TIMESTAMP);
    assert.deepEqual(body, {
      status: 'ok',
      project: {
        name: 'demo',
        settings: { ...defaultWireSettings(), allow_partial_refunds: true },
        keys: [{ id: p.keys[0].id, fingerprint: fingerprintOf(demoKey), created_at: p.created_at }],
        created_at: p.created_at,
        updated_at: p.created_at,
      },
    });
  });

  test('project update --capture-mode manual sets the setting; a wrong value is refused by the server with its message', async () => {
    const set = await cli(['project', 'update', 'demo', '--capture-mode', 'manual'], server.port);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(JSON.parse(set.stdout).project.settings.capture_mode, 'manual');
    const bad = await cli(['project', 'update', 'demo', '--capture-mode', 'later'], server.port);
    assert.equal(bad.code, 1);
    assert.equal(JSON.parse(bad.stdout).error.code, 'invalid_request');
    assert.match(JSON.parse(bad.stdout).error.description, /capture_mode must be "auto" or "manual"/);
    const back = await cli(['project', 'update', 'demo', '--capture-mode', 'auto'], server.port);
    assert.equal(JSON.parse(back.stdout).project.settings.capture_mode, 'auto');
  });

  test('project show of an unknown project exits 1 with not_found', async () => {
    const out = await cli(['project', 'show', 'nobody'], server.port);
    assert.equal(out.code, 1);
    assert.equal(out.stdout, pretty({ status: 'error', error: { code: 'not_found', description: 'project "nobody" does not exist' } }));
  });
});

describe('payrail wallet topup', () => {
  test('a reference is booked once: the second run says already_booked and the wallet is credited once', async () => {
    const run = () => cli(['wallet', 'topup', 'demo', '7.00', 'usd', '--reference', 'cli-ref-1'], server.port);
    const first = await run();
    assert.equal(first.code, 0, first.stderr);
    assert.equal(JSON.parse(first.stdout).already_booked, false);
    const usd = (out: string) => JSON.parse(out).wallets.find((w: { amount_details: { currency: string } }) => w.amount_details.currency === 'USD' || w.amount_details.currency === 'usd').amount_details.amount;
    const second = await run();
    assert.equal(second.code, 0, second.stderr);
    assert.equal(JSON.parse(second.stdout).already_booked, true);
    assert.equal(JSON.parse(second.stdout).topup_id, 'demo/cli-ref-1');
    assert.equal(usd(second.stdout), usd(first.stdout), 'the second run credited nothing');
  });

  test('sends an idempotency key, and retries a dropped connection with the same key', async () => {
    const seen: { key: string | undefined; body: string }[] = [];
    const fake = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ key: req.headers['x-partner-idempotency-key'] as string | undefined, body });
        if (seen.length === 1) return req.socket.destroy(); // the first attempt: the connection drops
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","topup_id":"tu_1","already_booked":false,"wallets":[]}');
      });
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    try {
      const out = await cli(['wallet', 'topup', 'demo', '100', 'usd', '--minor'], (fake.address() as net.AddressInfo).port);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stderr, /retrying with the same idempotency key/);
      assert.equal(seen.length, 2);
      assert.match(seen[0]!.key ?? '', /^cli-[0-9a-f-]{36}$/);
      assert.equal(seen[1]!.key, seen[0]!.key);
      assert.equal(seen[1]!.body, seen[0]!.body);
      assert.equal(seen[0]!.body, '{"amount":100,"currency":"usd"}', '--minor sends the amount as given');
    } finally {
      await new Promise((resolve) => fake.close(resolve));
    }
  });
});

describe('a second instance on the same data dir', () => {
  test('is refused with exit 2 while the first holds the embedded database', { skip: onPostgres && 'the data-dir lock guards embedded PGlite only' }, async () => {
    const second = startServer(await freePort());
    extraServers.push(second);
    assert.equal(await exitCode(second, 30_000), 2, second.stderr);
    assert.match(second.stderr, new RegExp(`^payrail: the embedded database in ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another payrail process \\(pid ${server.child.pid}\\)`));
    assert.equal(fs.readFileSync(path.join(dataDir, 'payrail.lock'), 'utf8'), String(server.child.pid), 'the refused process touched the lock');
  });

  test('on PostgreSQL serves the same data alongside the first, and stops cleanly', { skip: !onPostgres && 'needs PostgreSQL' }, async () => {
    const second = startServer(await freePort());
    extraServers.push(second);
    await waitUntilHealthy(second);
    const out = await cli(['call', 'session/status', JSON.stringify({ session_id: created.session.id }), '--url', second.baseUrl], server.port);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, pretty(created));
    second.child.kill('SIGTERM');
    assert.equal(await exitCode(second, 20_000), 0, second.stderr);
  });
});

describe('shutdown', () => {
  // Partners' HTTP clients keep connections alive; this one never hangs up on its own.
  const agent = new http.Agent({ keepAlive: true });
  after(() => agent.destroy());

  test('SIGTERM lets a request in flight finish with its answer', async () => {
    const raw = JSON.stringify({ amount_details: { amount: 1, currency: 'eur' }, metadata: 'in flight at SIGTERM' });
    const mark = server.stdout.length;
    const req = http.request({
      agent,
      host: '127.0.0.1',
      port: server.port,
      method: 'POST',
      path: '/api/v1/session/create',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(raw), 'x-partner-project': 'demo', 'x-partner-sign': signBody(raw, demoKey) },
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
    });
    // Headers and part of the body: the server has the request in hand but cannot finish it yet.
    req.write(raw.slice(0, 20));
    const arrived = () => server.stdout.slice(mark).split('\n').some((line) => line.includes('incoming request') && line.includes('/api/v1/session/create'));
    await waitFor('the request to arrive', arrived, server, 10_000);

    server.child.kill('SIGTERM');
    await waitFor('the shutdown to begin', () => server.stdout.slice(mark).includes('shutting down: finishing requests in flight'), server, 10_000);
    req.end(raw.slice(20));

    const res = await answer;
    assert.equal(res.status, 200, res.body);
    const session = JSON.parse(res.body).session;
    assert.deepEqual(JSON.parse(res.body), { status: 'ok', session: { id: session.id, status: 'created', created_at: session.created_at, updated_at: session.created_at } });
  });

  test(
    'the process exits 0 within 3 s of the last answer, even while a client keeps its idle connection open',
    async () => {
      assert.equal(await exitCode(server, 3_000), 0);
    },
  );

  test('once clients hang up it has exited 0, released the data dir lock, and refuses connections', async () => {
    agent.destroy();
    assert.equal(await exitCode(server, 20_000), 0, server.stderr);
    assert.equal(fs.existsSync(path.join(dataDir, 'payrail.lock')), false, 'the lock file is left behind');
    await assert.rejects(fetch(`${server.baseUrl}/health`));
  });
});
