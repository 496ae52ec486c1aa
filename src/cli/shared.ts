import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../platform/config/config.js';
import { request, UnreachableError, type Answer } from './http.js';
import { renderPretty, useColour } from './output.js';

/**
 * What every command shares: the configuration (read once, after the global options have set the
 * environment), the server's base URL, the admin token, and printing an answer. Nothing here imports
 * the server: `payrail call` and `--help` must start fast.
 */
export class UsageError extends Error {}

let cached: Config | undefined;

export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

/** How answers are printed: `json` is exactly the server's JSON, pretty-printed; `pretty` adds major units and colour. */
export type OutputFormat = 'json' | 'pretty';
let format: OutputFormat | undefined;

export function setOutputFormat(value: string | undefined): void {
  if (value === undefined) return;
  if (value !== 'json' && value !== 'pretty') throw new UsageError('--output must be json or pretty');
  format = value;
}

/** Pretty on a terminal, plain JSON when piped (scripts and tests read it). */
export function outputFormat(): OutputFormat {
  return format ?? (process.stdout.isTTY ? 'pretty' : 'json');
}

/**
 * The server: --url, else PAYRAIL_URL, else HOST/PORT when either is set, else the URL the server
 * wrote into its data dir (`server-url`, when it does), else http://127.0.0.1:8131.
 */
export function baseUrl(flag?: string): string {
  if (flag) return flag.replace(/\/+$/, '');
  if (process.env['PAYRAIL_URL']) return process.env['PAYRAIL_URL'].replace(/\/+$/, '');
  const c = config();
  if (!process.env['PORT'] && !process.env['HOST']) {
    const file = path.join(c.dataDir, 'server-url');
    const written = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
    if (written && URL.canParse(written)) return written.replace(/\/+$/, '');
  }
  const host = c.host === '0.0.0.0' ? '127.0.0.1' : c.host === '::' ? '::1' : c.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${c.port}`;
}

export function print(value: unknown): void {
  const text = outputFormat() === 'pretty' ? renderPretty(value, useColour(process.stdout)) : JSON.stringify(value, null, 2);
  process.stdout.write(`${text}\n`);
}

/** Prints the answer (pretty JSON, or as is when not JSON): 0 for a 2xx, 1 for the server's error. */
export async function printResponse(res: Answer): Promise<number> {
  const text = await res.text();
  try {
    print(JSON.parse(text));
  } catch {
    process.stdout.write(`${text}\n`);
  }
  return res.ok ? 0 : 1;
}

export function adminToken(): string {
  const c = config();
  if (c.adminToken) return c.adminToken;
  const file = path.join(c.dataDir, 'admin-token');
  if (!fs.existsSync(file)) throw new UsageError(`no admin token: set PAYRAIL_ADMIN_TOKEN or start the server once to create ${file}`);
  return fs.readFileSync(file, 'utf8').trim();
}

/**
 * Every mutating admin call carries an idempotency key (a new one per command, or --idempotency-key),
 * and is retried with that key when the connection fails: a retry replays the first answer instead of
 * doing the work twice.
 */
export async function adminRequest(method: string, urlPath: string, body?: unknown, opts: { url?: string | undefined; idempotencyKey?: string | undefined } = {}): Promise<Answer> {
  const mutating = method !== 'GET';
  const key = mutating ? (opts.idempotencyKey ?? `cli-${randomUUID()}`) : undefined;
  const headers: Record<string, string> = {
    authorization: `Bearer ${adminToken()}`,
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(key ? { 'x-partner-idempotency-key': key } : {}),
  };
  const raw = body === undefined ? undefined : JSON.stringify(body);
  const url = `${baseUrl(opts.url)}/admin${urlPath}`;
  for (let attempt = 1; ; attempt++) {
    try {
      return await request(method, url, headers, raw);
    } catch (err) {
      if (!mutating || attempt >= 3 || err instanceof UnreachableError) throw err;
      process.stderr.write(`payrail: ${method} ${urlPath} failed (${(err as Error).message}); retrying with the same idempotency key\n`);
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

/** An admin call whose answer is printed; the command's exit code. */
export async function adminPrint(method: string, urlPath: string, body?: unknown, opts: { url?: string | undefined; idempotencyKey?: string | undefined } = {}): Promise<number> {
  return printResponse(await adminRequest(method, urlPath, body, opts));
}

/** `--help` text after the options: one or more examples, as the issue asks of every command. */
export function examples(...lines: string[]): string {
  return `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

let exit = 0;
/** A command's exit code (0 ok, 1 the server answered an error); usage errors are thrown instead. */
export function setExit(code: number): void {
  exit = code;
}
export function exitCode(): number {
  return exit;
}
