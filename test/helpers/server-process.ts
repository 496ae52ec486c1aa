import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { signBody } from './harness.js';
import { ROOT } from './worker-process.js';

/**
 * `payrail serve` as a real child process (the compiled CLI; build it first with ensureBuilt()
 * from worker-process.ts), on a port of its choosing, and plain HTTP calls to it: signed partner
 * calls and admin calls with the data dir's admin token.
 */
const BIN = path.join(ROOT, 'bin', 'payrail.js');

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** http://127.0.0.1:<port>, once the banner is printed. */
  readonly url: Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

export function spawnServer(env: NodeJS.ProcessEnv): ServerProcess {
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let listening: (url: string) => void = () => undefined;
  let fail: (err: Error) => void = () => undefined;
  const url = new Promise<string>((resolve, reject) => {
    listening = resolve;
    fail = reject;
  });
  url.catch(() => undefined); // awaited by the tests that need it
  const onData = (d: Buffer) => {
    out += d.toString();
    const m = /payrail is listening on (http:\/\/\S+)/.exec(out);
    if (m) listening(m[1]!);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      fail(new Error(`server ${child.pid} exited (${code ?? signal}) before listening:\n${out}`));
      resolve({ code, signal });
    }),
  );
  return { child, pid: child.pid!, url, exited, output: () => out };
}

/** Waits for the banner, at most `ms`. */
export async function listening(s: ServerProcess, ms = 60_000): Promise<string> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`server ${s.pid} not listening after ${ms} ms:\n${s.output()}`)), ms).unref());
  return Promise.race([s.url, timeout]);
}

/** SIGKILL by pid if still running, and wait for the exit (after-hook cleanup). */
export async function killServer(s: ServerProcess | undefined): Promise<void> {
  if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill('SIGKILL');
  await s.exited;
}

/** SIGTERM by pid and wait for a clean exit. */
export async function stopServer(s: ServerProcess): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill('SIGTERM');
  assert.deepEqual(await s.exited, { code: 0, signal: null }, s.output());
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** A signed partner call over a real socket, with an optional idempotency key. */
export async function signedPost(
  baseUrl: string,
  method: string,
  raw: string,
  opts: { key: KeyObject; project?: string; idempotencyKey?: string; version?: 'v1' | 'v2' },
): Promise<HttpAnswer> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-partner-project': opts.project ?? 'demo',
    'x-partner-sign': signBody(raw, opts.key),
  };
  if (opts.idempotencyKey !== undefined) headers['x-partner-idempotency-key'] = opts.idempotencyKey;
  const res = await fetch(`${baseUrl}/api/${opts.version ?? 'v1'}/${method}`, { method: 'POST', headers, body: raw });
  return { status: res.status, body: await res.text() };
}

/** An admin call with the token the server keeps in its data dir. */
export async function adminCall(baseUrl: string, dataDir: string, method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown): Promise<HttpAnswer> {
  const token = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const res = await fetch(`${baseUrl}/admin${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.text() };
}

/** Runs `fn` over `items` with at most `concurrency` at a time, in order of start. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** A port nothing listens on now, on loopback (for a server process the test starts). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}
