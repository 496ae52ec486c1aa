import { createPrivateKey, randomBytes, randomUUID, sign } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './platform/config/config.js';
import { openDatabase } from './platform/db/database.js';
import { migrate } from './platform/db/migrate.js';
import { rewrapDataKeys } from './platform/keys/keyring.js';
import { resolveMasterKey } from './platform/keys/master-key.js';
import { serve } from './main.js';
import { writeSecretFile } from './platform/keys/secret-file.js';
import { createRuntime } from './runtime.js';
import { parseDuration } from './kernel/time.js';

/**
 * `payrail <command>`: thin commands over the same functions the server uses, or over its HTTP API.
 * Exit codes: 0 ok, 1 the server answered an error, 2 bad usage or configuration.
 */
const USAGE = `usage: payrail <command>

  serve                                start the server (same as npm start)
  migrate                              apply database migrations and exit
  call <method> [json|@file]           send a signed API request and print the answer
       [--project demo] [--key <pem>] [--api v1|v2] [--idempotency-key <k>] [--url <base>]
       [--timestamp]   sign with X-PARTNER-TIMESTAMP (projects with the replay guard on)
  project create <name> --public-key <pem file> [--webhook-url <u>] [--auto-confirm] [--allow-partial-refunds] [--api-version v1|v2] [--capture-mode auto|manual]
  project show <name>
  project update <name> [--webhook-url <u>|--no-webhook-url] [--auto-confirm true|false] [--allow-partial-refunds true|false] [--api-version v1|v2] [--capture-mode auto|manual]
                 [--contractors a,b,c]   (aliases that revenue_split_info may name; '' clears)
  project add-key <name> <pem file>
  project delete-key <name> <key id>
  worker                               run only the background worker (webhook delivery, timed jobs)
  clock show | clock advance <90s|15m|4h|2d>   read or move the sandbox clock (due work runs on the way)
  webhooks list <session id>           a session's webhooks with every delivery attempt
  webhooks resend <webhook id> | webhooks resend --from <iso> --to <iso> [--project p]
  webhooks tail                        print delivery attempts as they happen (Ctrl-C to stop)
  trigger <webhook type> [--session <id>] [--project demo]   (sandbox) queue a webhook for a session
  wallet topup <project> <amount in minor units> <currency> [--reference R]
                                        prefund a project's payout wallet (a reference is booked once)
  wallet show <project>                 wallet balances and every ledger account of the project
  ledger trial-balance                  every currency must sum to zero
  report payouts --from <iso> --to <iso> [--project demo]     the daily payouts report as CSV
  keys rotate-master [--new-key <64 hex>]   re-wrap the data keys under a new master key (server stopped when embedded)

The server is reached at PAYRAIL_URL, or http://HOST:PORT; admin commands use PAYRAIL_ADMIN_TOKEN or <data dir>/admin-token.`;

class UsageError extends Error {}

function baseUrl(config: Config, flag?: string): string {
  if (flag) return flag.replace(/\/+$/, '');
  if (process.env['PAYRAIL_URL']) return process.env['PAYRAIL_URL'].replace(/\/+$/, '');
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '::1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
}

function readBody(arg: string | undefined): string {
  if (arg === undefined) return '{}';
  const text = arg.startsWith('@') ? fs.readFileSync(arg === '@-' ? 0 : arg.slice(1), 'utf8') : arg;
  try {
    JSON.parse(text);
  } catch (err) {
    throw new UsageError(`the request body is not valid JSON: ${(err as Error).message}`);
  }
  return text.trim();
}

async function printResponse(res: Response): Promise<number> {
  const text = await res.text();
  let out = text;
  try {
    out = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // not JSON: print as is
  }
  process.stdout.write(`${out}\n`);
  return res.ok ? 0 : 1;
}

async function call(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      project: { type: 'string', default: 'demo' },
      key: { type: 'string' },
      api: { type: 'string', default: 'v1' },
      'idempotency-key': { type: 'string' },
      url: { type: 'string' },
      timestamp: { type: 'boolean', default: false },
    },
  });
  const [method, bodyArg] = positionals;
  if (!method) throw new UsageError('call needs a method, e.g. payrail call session/create \'{"amount_details":{"amount":10000,"currency":"usd"}}\'');
  if (values.api !== 'v1' && values.api !== 'v2') throw new UsageError('--api must be v1 or v2');
  const keyPath = values.key ?? path.join(config.dataDir, `${values.project}.private.pem`);
  if (!fs.existsSync(keyPath)) throw new UsageError(`no private key at ${keyPath}: pass --key <pem file> (or start the server once in sandbox mode to create the demo key)`);
  const body = readBody(bodyArg);
  // --timestamp: for a project with the replay guard on, sign timestamp + "." + body (docs/security.md).
  const timestamp = values.timestamp ? String(Math.floor(Date.now() / 1000)) : undefined;
  const signed = timestamp === undefined ? body : `${timestamp}.${body}`;
  const signature = sign('sha256', Buffer.from(signed), createPrivateKey(fs.readFileSync(keyPath))).toString('base64');
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-partner-project': values.project, 'x-partner-sign': signature };
  if (timestamp !== undefined) headers['x-partner-timestamp'] = timestamp;
  if (values['idempotency-key']) headers['x-partner-idempotency-key'] = values['idempotency-key'];
  const url = `${baseUrl(config, values.url)}/api/${values.api}/${method.replace(/^\/+/, '')}`;
  return printResponse(await fetch(url, { method: 'POST', headers, body }));
}

function adminToken(config: Config): string {
  if (config.adminToken) return config.adminToken;
  const file = path.join(config.dataDir, 'admin-token');
  if (!fs.existsSync(file)) throw new UsageError(`no admin token: set PAYRAIL_ADMIN_TOKEN or start the server once to create ${file}`);
  return fs.readFileSync(file, 'utf8').trim();
}

/**
 * Every mutating admin call carries an idempotency key (a new one per command, or --idempotency-key),
 * and is retried with that key when the connection fails: a retry replays the first answer instead of
 * doing the work twice.
 */
async function adminRequest(config: Config, method: string, urlPath: string, body?: unknown, base?: string, idempotencyKey?: string): Promise<Response> {
  const mutating = method !== 'GET';
  const key = mutating ? (idempotencyKey ?? `cli-${randomUUID()}`) : undefined;
  const init = {
    method,
    headers: {
      authorization: `Bearer ${adminToken(config)}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(key ? { 'x-partner-idempotency-key': key } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  };
  const url = `${baseUrl(config, base)}/admin${urlPath}`;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (err) {
      if (!mutating || attempt >= 3) throw err;
      process.stderr.write(`payrail: ${method} ${urlPath} failed (${(err as Error).message}); retrying with the same idempotency key\n`);
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

function boolFlag(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(`--${name} must be true or false`);
}

async function project(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'public-key': { type: 'string' },
      'webhook-url': { type: 'string' },
      'no-webhook-url': { type: 'boolean' },
      'auto-confirm': { type: 'string' },
      'allow-partial-refunds': { type: 'string' },
      'api-version': { type: 'string' },
      'capture-mode': { type: 'string' },
      contractors: { type: 'string' },
      url: { type: 'string' },
    },
  });
  const [sub, name, extra] = positionals;
  if (!sub || !name) throw new UsageError('project needs a subcommand and a project name');
  const settings: Record<string, unknown> = {};
  if (values['webhook-url'] !== undefined) settings['webhook_url'] = values['webhook-url'];
  if (values['no-webhook-url']) settings['webhook_url'] = null;
  if (values['api-version'] !== undefined) settings['api_version'] = values['api-version'];
  if (values['capture-mode'] !== undefined) settings['capture_mode'] = values['capture-mode'];
  // Split payments: the contractor aliases revenue_split_info may name, comma-separated ('' for none).
  if (values.contractors !== undefined) settings['contractors'] = values.contractors.split(',').map((a) => a.trim()).filter((a) => a !== '');
  const autoConfirm = sub === 'create' && values['auto-confirm'] === '' ? true : boolFlag(values['auto-confirm'], 'auto-confirm');
  if (autoConfirm !== undefined) settings['auto_confirm'] = autoConfirm;
  const partial = boolFlag(values['allow-partial-refunds'], 'allow-partial-refunds');
  if (partial !== undefined) settings['allow_partial_refunds'] = partial;

  const base = '/projects';
  const send = async (method: string, url: string, body?: unknown) => printResponse(await adminRequest(config, method, url, body, values.url));
  const pem = (file: string | undefined, what: string) => {
    if (!file) throw new UsageError(`${what} needs a PEM file`);
    return fs.readFileSync(file, 'utf8');
  };
  const enc = encodeURIComponent;
  switch (sub) {
    case 'create':
      return send('POST', base, { name, public_key: pem(values['public-key'], 'project create --public-key'), settings });
    case 'show':
      return send('GET', `${base}/${enc(name)}`);
    case 'update':
      return send('PATCH', `${base}/${enc(name)}`, settings);
    case 'add-key':
      return send('POST', `${base}/${enc(name)}/keys`, { public_key: pem(extra, 'project add-key') });
    case 'delete-key':
      if (!extra) throw new UsageError('project delete-key needs a key id (see payrail project show)');
      return send('DELETE', `${base}/${enc(name)}/keys/${enc(extra)}`);
    default:
      throw new UsageError(`unknown project subcommand "${sub}"`);
  }
}

async function clock(config: Config, args: string[]): Promise<number> {
  const [sub, amount] = args;
  if (sub === 'show' || sub === undefined) return printResponse(await adminRequest(config, 'GET', '/clock'));
  if (sub !== 'advance' || !amount) throw new UsageError('usage: payrail clock advance <90s|15m|4h|2d>');
  let ms: number;
  try {
    ms = parseDuration(amount);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (ms < 1000) throw new UsageError('advance the clock by at least 1s');
  // A long advance plays out a lot of work: show where it is, once a second, until it answers.
  const answer = adminRequest(config, 'POST', '/clock/advance', { seconds: Math.floor(ms / 1000) });
  let done = false;
  const watch = (async () => {
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000).unref());
      if (done) return;
      const res = await adminRequest(config, 'GET', '/clock').catch(() => undefined);
      const p = res?.ok ? ((await res.json()) as { clock?: { advancing?: { now: string; to: string; steps: number; ran: number } } }).clock?.advancing : undefined;
      if (p && !done) process.stderr.write(`advancing: clock at ${p.now} (to ${p.to}), ${p.steps} stops, ${p.ran} runs\n`);
    }
  })();
  try {
    return printResponse(await answer);
  } finally {
    done = true;
    void watch;
  }
}

async function webhooks(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { from: { type: 'string' }, to: { type: 'string' }, project: { type: 'string' }, interval: { type: 'string', default: '500' } },
  });
  const [sub, id] = positionals;
  switch (sub) {
    case 'list':
      if (!id) throw new UsageError('webhooks list needs a session id');
      return printResponse(await adminRequest(config, 'GET', `/sessions/${encodeURIComponent(id)}/webhooks`));
    case 'resend':
      if (id) return printResponse(await adminRequest(config, 'POST', `/webhooks/${encodeURIComponent(id)}/resend`));
      if (!values.from || !values.to) throw new UsageError('webhooks resend needs a webhook id, or --from and --to');
      return printResponse(await adminRequest(config, 'POST', '/webhooks/resend', { from: values.from, to: values.to, ...(values.project ? { project: values.project } : {}) }));
    case 'tail':
      return tail(config, Number(values.interval));
    default:
      throw new UsageError('usage: payrail webhooks list|resend|tail');
  }
}

/** Follows the attempt log: one line per attempt, as it happens. */
async function tail(config: Config, intervalMs: number): Promise<number> {
  let cursor: string | undefined;
  process.stderr.write('following webhook deliveries (Ctrl-C to stop)\n');
  for (;;) {
    const res = await adminRequest(config, 'GET', `/webhooks/attempts${cursor ? `?after=${cursor}` : ''}`);
    if (!res.ok) return printResponse(res);
    const page = (await res.json()) as { cursor: string; attempts: { attempted_at: string; type: string; session_id: string; webhook_id: string; http_status: number | null; latency_ms: number; error: string | null; url: string | null }[] };
    for (const a of page.attempts) {
      const outcome = a.http_status !== null ? `HTTP ${a.http_status}` : `failed: ${a.error}`;
      process.stdout.write(`${a.attempted_at}  ${a.type.padEnd(17)} ${a.session_id}  ${a.webhook_id}  → ${a.url ?? '(no url)'}  ${outcome}  ${a.latency_ms} ms\n`);
    }
    cursor = page.cursor;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

async function trigger(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { session: { type: 'string' }, project: { type: 'string', default: 'demo' } } });
  const [type] = positionals;
  if (!type) throw new UsageError('trigger needs a webhook type: ready_to_confirm, ready_to_capture, action_required, payment_finished, payment_refunded');
  return printResponse(await adminRequest(config, 'POST', '/webhooks/trigger', { type, project: values.project, ...(values.session ? { session_id: values.session } : {}) }));
}

async function wallet(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { reference: { type: 'string' }, 'idempotency-key': { type: 'string' } },
  });
  const [sub, name, amount, currency] = positionals;
  if (sub === 'show' && name) return printResponse(await adminRequest(config, 'GET', `/projects/${encodeURIComponent(name)}/wallet`));
  if (sub === 'topup' && name && amount && currency) {
    if (!/^\d+$/.test(amount)) throw new UsageError('the amount is a whole number of minor units (10000 = 100.00)');
    const body = { amount: Number(amount), currency, ...(values.reference ? { reference: values.reference } : {}) };
    return printResponse(await adminRequest(config, 'POST', `/projects/${encodeURIComponent(name)}/wallet/topup`, body, undefined, values['idempotency-key']));
  }
  throw new UsageError('usage: payrail wallet topup <project> <amount> <currency> [--reference R] [--idempotency-key K] | payrail wallet show <project>');
}

async function report(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { from: { type: 'string' }, to: { type: 'string' }, project: { type: 'string', default: 'demo' } } });
  if (positionals[0] !== 'payouts' || !values.from || !values.to) throw new UsageError('usage: payrail report payouts --from <iso date-time> --to <iso date-time> [--project demo]');
  const q = new URLSearchParams({ project: values.project, from: values.from, to: values.to });
  const res = await adminRequest(config, 'GET', `/reports/payouts.csv?${q}`);
  if (!res.ok) return printResponse(res);
  process.stdout.write(await res.text());
  return 0;
}

async function runWorker(config: Config): Promise<number> {
  const runtime = await createRuntime(config, { startWorker: true });
  process.stderr.write(`payrail worker ${runtime.worker.id} running (webhook delivery and timed jobs); Ctrl-C to stop\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await runtime.close();
  return 0;
}

/**
 * The new key is written next to the old one before the database changes, and takes the old one's
 * place only after the commit: a crash in between leaves master.key.new to recover with.
 */
async function rotateMaster(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'new-key': { type: 'string' } } });
  if (positionals[0] !== 'rotate-master') throw new UsageError('usage: payrail keys rotate-master [--new-key <64 hex characters>]');
  const fresh = values['new-key'] ?? randomBytes(32).toString('hex');
  if (!/^[0-9a-f]{64}$/i.test(fresh)) throw new UsageError('--new-key must be 64 hex characters (openssl rand -hex 32)');
  const oldMaster = resolveMasterKey(config);
  const fileManaged = !config.masterKey;
  const file = path.join(config.dataDir, 'master.key');
  if (fileManaged) writeSecretFile(`${file}.new`, `${fresh}\n`);
  const handle = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: path.join(config.dataDir, 'pglite') });
  try {
    const n = await rewrapDataKeys(handle.db, oldMaster, Buffer.from(fresh, 'hex'));
    if (fileManaged) {
      fs.renameSync(file, `${file}.old`);
      fs.renameSync(`${file}.new`, file);
      process.stdout.write(`re-wrapped ${n} data keys; the new master key is in ${file} (the previous one in ${file}.old: delete it once backups are safe)\n`);
    } else {
      process.stdout.write(`re-wrapped ${n} data keys; set PAYRAIL_MASTER_KEY=${fresh} on every instance before restarting them\n`);
    }
    return 0;
  } finally {
    await handle.close();
  }
}

async function runMigrations(config: Config): Promise<number> {
  const handle = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: path.join(config.dataDir, 'pglite') });
  try {
    const applied = await migrate(handle.db);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'the database is up to date\n');
    return 0;
  } finally {
    await handle.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const config = loadConfig();
    switch (command) {
      case 'serve':
        await serve(config);
        return -1; // keeps running
      case 'migrate':
        return await runMigrations(config);
      case 'call':
        return await call(config, rest);
      case 'project':
        return await project(config, rest);
      case 'worker':
        return await runWorker(config);
      case 'clock':
        return await clock(config, rest);
      case 'webhooks':
        return await webhooks(config, rest);
      case 'trigger':
        return await trigger(config, rest);
      case 'wallet':
        return await wallet(config, rest);
      case 'ledger':
        if (rest[0] !== 'trial-balance') throw new UsageError('usage: payrail ledger trial-balance');
        return printResponse(await adminRequest(config, 'GET', '/ledger/trial-balance'));
      case 'report':
        return await report(config, rest);
      case 'keys':
        return await rotateMaster(config, rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      process.stderr.write(`payrail: ${err.message}\n`);
      return 2;
    }
    if ((err as NodeJS.ErrnoException).cause && (err as Error).message === 'fetch failed') {
      process.stderr.write(`payrail: could not reach the server (${String((err as { cause: Error }).cause.message)}); is it running? (npm start)\n`);
      return 2;
    }
    process.stderr.write(`payrail: ${(err as Error).message}\n`);
    return 2;
  }
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
