import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WebhookType } from '../../src/platform/db/schema.js';
import { loadKeyring } from '../../src/platform/keys/keyring.js';
import { resolveMasterKey } from '../../src/platform/keys/master-key.js';
import { findProjectByName } from '../../src/domain/projects/project.repo.js';
import type { Runtime } from '../../src/runtime.js';
import { loadSessionView } from '../../src/domain/sessions/session-view.js';
import { createSession } from '../../src/domain/sessions/session.service.js';
import { newId } from '../../src/kernel/ids.js';

/**
 * `payrail worker` as a real child process (the compiled CLI, as an operator runs it), a webhook
 * receiver that answers after a random delay (so deliveries are in flight at any moment), and a
 * bulk outbox filler. Used by the crash and multi-worker tests.
 */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'payrail.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * bin/payrail.js runs dist/. Build it when it is missing, or older than src/ (the worker process
 * must run the code under test, not a stale build). A lock directory keeps two test files from
 * building at once.
 */
export async function ensureBuilt(): Promise<void> {
  const cli = path.join(ROOT, 'dist', 'cli.js');
  const fresh = () => fs.existsSync(cli) && fs.statSync(cli).mtimeMs >= newestSource(path.join(ROOT, 'src'));
  if (fresh()) return;
  const lock = path.join(ROOT, 'dist.build-lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (Date.now() > deadline) throw new Error(`${lock} has been held for 2 minutes; remove it if no build is running`, { cause: err });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (fresh()) return; // built by someone else meanwhile
    const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(tsc.status, 0, `build failed:\n${tsc.stdout}${tsc.stderr}`);
  } finally {
    fs.rmdirSync(lock);
  }
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The worker id it announces on stderr (the value it writes to webhooks.locked_by). */
  readonly id: Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Only what payrail reads, so nothing from the outer environment (PAYRAIL_*, DATABASE_URL) leaks in. */
export function workerEnv(dataDir: string, databaseUrl: string | undefined): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    PAYRAIL_DATA_DIR: dataDir,
    PAYRAIL_MODE: 'sandbox',
    PORT: '0',
    LOG_LEVEL: 'warn',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
}

export function spawnWorker(env: NodeJS.ProcessEnv): WorkerProcess {
  const child = spawn(process.execPath, [BIN, 'worker'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let announce: (id: string) => void = () => undefined;
  let fail: (err: Error) => void = () => undefined;
  const id = new Promise<string>((resolve, reject) => {
    announce = resolve;
    fail = reject;
  });
  id.catch(() => undefined); // only awaited by tests that need it
  const onData = (d: Buffer) => {
    out += d.toString();
    const m = /payrail worker (\S+) running/.exec(out);
    if (m) announce(m[1]!);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      fail(new Error(`worker ${child.pid} exited (${code ?? signal}) before announcing itself:\n${out}`));
      resolve({ code, signal });
    }),
  );
  return { child, pid: child.pid!, id, exited, output: () => out };
}

/** Stops a worker that may still be running (after-hook cleanup): SIGKILL by pid, then wait for it. */
export async function killIfRunning(w: WorkerProcess | undefined): Promise<void> {
  if (!w || w.child.exitCode !== null || w.child.signalCode !== null) return;
  w.child.kill('SIGKILL');
  await w.exited;
}

export interface Arrival {
  readonly webhookId: string;
  readonly sessionId: string;
  /** A tag the test sets (e.g. which worker run was going when this arrived). */
  readonly tag: number;
}

export interface DelayedReceiver {
  readonly url: string;
  readonly arrivals: Arrival[];
  /** Stamped on every arrival from now on. */
  tag: number;
  /** Called synchronously as each webhook is fully read, before it is answered. */
  onArrival: ((a: Arrival, n: number) => void) | undefined;
  close(): Promise<void>;
}

/** Records every POST by its x-payrail-webhook-id, then answers 200 after a random delay in [minMs, maxMs]. */
export async function startDelayedReceiver(minMs: number, maxMs: number): Promise<DelayedReceiver> {
  const arrivals: Arrival[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const state: { tag: number; onArrival: DelayedReceiver['onArrival'] } = { tag: 0, onArrival: undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let sessionId = '?';
      try {
        sessionId = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { session: { id: string } }).session.id);
      } catch {
        // recorded with an unknown session; the assertions will show it
      }
      const a: Arrival = { webhookId: String(req.headers['x-payrail-webhook-id'] ?? '?'), sessionId, tag: state.tag };
      arrivals.push(a);
      state.onArrival?.(a, arrivals.length);
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      }, minMs + Math.random() * (maxMs - minMs));
      timers.add(timer);
    });
    req.on('error', () => undefined); // the sender was killed mid-request
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    arrivals,
    get tag() {
      return state.tag;
    },
    set tag(t: number) {
      state.tag = t;
    },
    get onArrival() {
      return state.onArrival;
    },
    set onArrival(fn) {
      state.onArrival = fn;
    },
    async close() {
      timers.forEach(clearTimeout);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const TYPES: readonly WebhookType[] = ['ready_to_confirm', 'ready_to_capture', 'action_required', 'payment_finished', 'payment_refunded'];

/**
 * Queues `sessions × perSession` webhooks for the demo project through the real outbox writer
 * (enqueueWebhook), each session's in order. By default one transaction per session (creating it
 * and queueing its webhooks); `sessionsPerTransaction` commits more at once (all of them: the whole
 * backlog appears at one moment). Returns the queued webhook ids.
 * (POST /admin/webhooks/trigger does the same one webhook per transaction: 2,000 take ~20 s on PGlite.)
 */
export async function queueWebhooks(runtime: Runtime, sessions: number, perSession: number, sessionsPerTransaction = 1): Promise<string[]> {
  const { db } = runtime.database;
  const deps = { clock: runtime.clock, ids: newId, keyring: await loadKeyring(db, resolveMasterKey(runtime.config), runtime.clock.now()) };
  const project = await findProjectByName(db, 'demo');
  assert.ok(project?.webhookUrl, 'the demo project needs a webhook_url');
  const ids: string[] = [];
  for (let s = 0; s < sessions; s += sessionsPerTransaction) {
    await db.transaction().execute(async (tx) => {
      for (let k = s; k < Math.min(sessions, s + sessionsPerTransaction); k++) {
        const view = await loadSessionView(tx, runtime.domain.operations, await createSession(tx, deps, project, {}));
        for (let i = 0; i < perSession; i++) {
          const id = await runtime.domain.events.emit(tx, project, view, TYPES[i % TYPES.length]!, runtime.clock.now());
          assert.ok(id);
          ids.push(id);
        }
      }
    });
  }
  return ids;
}

/** Checks that, for every session, the first arrivals of its webhooks came in creation (seq) order. */
export function assertSessionOrder(arrivals: readonly Arrival[], rows: readonly { id: string; session_id: string; seq: string | number }[]): void {
  const seqOf = new Map(rows.map((r) => [r.id, BigInt(r.seq)]));
  const seen = new Set<string>();
  const lastSeq = new Map<string, bigint>();
  for (const a of arrivals) {
    if (seen.has(a.webhookId)) continue;
    seen.add(a.webhookId);
    const seq = seqOf.get(a.webhookId);
    assert.ok(seq !== undefined, `an unknown webhook arrived: ${a.webhookId}`);
    const prev = lastSeq.get(a.sessionId);
    assert.ok(prev === undefined || prev < seq, `session ${a.sessionId}: webhook ${a.webhookId} (seq ${seq}) first arrived after seq ${prev}`);
    lastSeq.set(a.sessionId, seq);
  }
}
