import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../src/cli/index.js';
import { FLOWS } from '../src/cli/trigger-flows.js';
import { adminCall, killServer, listening, pool, spawnServer, type ServerProcess } from './helpers/server-process.js';
import { freshDatabase, type TestDatabase } from './helpers/test-db.js';
import { ensureBuilt, ROOT, workerEnv } from './helpers/worker-process.js';

/**
 * The CLI as a user runs it: `node bin/payrail.js …` as child processes against a real server
 * process, from other directories, with its help, suggestions, completion, output formats and
 * `trigger` flows.
 */
const BIN = path.join(ROOT, 'bin', 'payrail.js');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let root: string;
let dataDir: string;
let tdb: TestDatabase;
let server: ServerProcess;
let url: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; node?: string[] } = {}): Promise<Run> {
  const env = o.env ?? { PATH: process.env['PATH'], HOME: process.env['HOME'], PAYRAIL_DATA_DIR: dataDir, PAYRAIL_URL: url };
  const child = spawn(process.execPath, [...(o.node ?? []), BIN, ...args], { cwd: o.cwd ?? root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

before(async () => {
  await ensureBuilt();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-cli-cmds-'));
  // The data dir is <root>/.payrail, so that a CLI run anywhere under root finds it by walking up.
  dataDir = path.join(root, '.payrail');
  tdb = await freshDatabase();
  server = spawnServer(workerEnv(dataDir, tdb.url));
  url = await listening(server);
});

after(async () => {
  await killServer(server);
  await tdb?.drop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/** Every command path of the program: ['call'], ['project', 'create'], … */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

describe('help, version, suggestions', () => {
  test('every command and subcommand answers --help with exit 0, its usage and an example', async () => {
    const paths = commandPaths(buildProgram()).filter((p) => p[p.length - 1] !== 'help');
    assert.ok(paths.length >= 30, `the program was enumerated (${paths.length} commands)`);
    for (const expected of [['call'], ['project', 'add-key'], ['clock', 'advance'], ['wallet', 'topup'], ['trigger'], ['listen'], ['logs', 'tail'], ['completion'], ['keys', 'rotate-master']]) {
      assert.ok(paths.some((p) => p.join(' ') === expected.join(' ')), `${expected.join(' ')} is a command`);
    }
    const runs = await pool(paths, 2, (p) => cli([...p, '--help']));
    paths.forEach((p, i) => {
      const out = runs[i]!;
      assert.equal(out.code, 0, `${p.join(' ')} --help: ${out.stderr}`);
      assert.match(out.stdout, new RegExp(`^Usage: payrail ${p.join(' ')}\\b`), p.join(' '));
      assert.match(out.stdout, /\nExamples?:\n {2}\$ /, `${p.join(' ')} --help has an example`);
    });
  });

  test('--version prints the package version', async () => {
    const out = await cli(['--version']);
    assert.deepEqual(out, { code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  test('a mistyped command or option gets a suggestion and exit 2', async () => {
    const cmd = await cli(['cal', 'session/status']);
    assert.equal(cmd.code, 2);
    assert.equal(cmd.stdout, '');
    assert.match(cmd.stderr, /^payrail: unknown command 'cal'\n\(Did you mean call\?\)/);
    const sub = await cli(['project', 'shw', 'demo']);
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /Did you mean show\?/);
    const opt = await cli(['call', 'session/status', '--projet', 'demo']);
    assert.equal(opt.code, 2);
    assert.match(opt.stderr, /unknown option '--projet'\n\(Did you mean --project\?\)/);
  });

  test('no command prints the help on stderr and exits 2; a missing argument exits 2', async () => {
    const none = await cli([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Usage: payrail \[options\] \[command\]/);
    const missing = await cli(['webhooks', 'list']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing required argument 'session-id'/);
  });
});

describe('lazy imports', () => {
  // A resolve hook in the CLI's own process lists every module it loads.
  const hook = `data:text/javascript,${encodeURIComponent(
    `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent("export async function resolve(s, c, n) { const r = await n(s, c); process.stderr.write('LOADED ' + r.url + '\\\\n'); return r; }"));`,
  )}`;
  for (const args of [['call', 'session/status', '{"session_id":"ps_1"}'], ['--help'], ['--version'], ['trigger', '--list']]) {
    test(`payrail ${args[0]} does not load the server (runtime, main, database, routes)`, async () => {
      const out = await cli(args, { node: ['--import', hook] });
      const loaded = out.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice(7));
      assert.ok(loaded.some((u) => u.endsWith('/dist/cli/index.js')), `the hook saw the CLI load:\n${out.stderr}`);
      const heavy = loaded.filter((u) => /\/dist\/(runtime|main)\.js$|\/dist\/(edge|domain|connectors|platform\/db)\/|node_modules\/(fastify|pino|kysely|@electric-sql|pg)\//.test(u));
      assert.deepEqual(heavy, []);
    });
  }
});

describe('the data dir', () => {
  test('is found by walking up from a subdirectory (no PAYRAIL_DATA_DIR)', async () => {
    const deep = path.join(root, 'shop', 'src', 'handlers');
    fs.mkdirSync(deep, { recursive: true });
    const env = { PATH: process.env['PATH'], HOME: process.env['HOME'], PAYRAIL_URL: url };
    const show = await cli(['project', 'show', 'demo'], { cwd: deep, env });
    assert.equal(show.code, 0, show.stderr);
    assert.equal(JSON.parse(show.stdout).project.name, 'demo');
    const call = await cli(['call', 'session/create', '{"amount_details":{"amount":100,"currency":"usd"}}'], { cwd: deep, env });
    assert.equal(call.code, 0, call.stderr);
    assert.match(JSON.parse(call.stdout).session.id, /^ps_\d+$/);
  });

  test('the server is found from the data dir\'s server-url when no --url, PAYRAIL_URL, HOST or PORT is set', async () => {
    const file = path.join(dataDir, 'server-url');
    fs.writeFileSync(file, `${url}\n`);
    try {
      const out = await cli(['project', 'show', 'demo'], { cwd: path.join(root, 'shop'), env: { PATH: process.env['PATH'], HOME: process.env['HOME'] } });
      assert.equal(out.code, 0, out.stderr);
      const port = await cli(['project', 'show', 'demo'], { cwd: path.join(root, 'shop'), env: { PATH: process.env['PATH'], PORT: '1' } });
      assert.equal(port.code, 2, 'an explicit PORT wins over the file');
      assert.match(port.stderr, /could not reach the server at http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/);
    } finally {
      fs.rmSync(file);
    }
  });

  test('--data-dir names it from anywhere; a wrong one says where it looked', async () => {
    const env = { PATH: process.env['PATH'], HOME: process.env['HOME'], PAYRAIL_URL: url };
    const ok = await cli(['--data-dir', dataDir, 'project', 'show', 'demo'], { cwd: os.tmpdir(), env });
    assert.equal(ok.code, 0, ok.stderr);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-nowhere-'));
    try {
      const bad = await cli(['call', 'session/create', '--data-dir', empty], { cwd: empty, env });
      assert.equal(bad.code, 2);
      assert.equal(bad.stderr, `payrail: no private key at ${path.join(empty, 'demo.private.pem')}: pass --key <pem file> (or start the server once in sandbox mode to create the demo key)\n`);
    } finally {
      fs.rmSync(empty, { recursive: true });
    }
  });
});

describe('output', () => {
  test('--output pretty shows major units beside minor, without colour when piped', async () => {
    const out = await cli(['wallet', 'show', 'demo', '--output', 'pretty']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /"amount": 100000000 \(1000000\.00 USD\)/);
    const ESC = '\u001b[';
    assert.ok(!out.stdout.includes(ESC), 'no colour codes when piped');
    const coloured = await cli(['wallet', 'show', 'demo', '--output', 'pretty'], { env: { PATH: process.env['PATH'], PAYRAIL_DATA_DIR: dataDir, PAYRAIL_URL: url, FORCE_COLOR: '1' } });
    assert.ok(coloured.stdout.includes(`${ESC}36m100000000${ESC}0m ${ESC}2m(1000000.00 USD)`), coloured.stdout);
    const plain = await cli(['wallet', 'show', 'demo', '--output', 'pretty', '--no-color'], { env: { PATH: process.env['PATH'], PAYRAIL_DATA_DIR: dataDir, PAYRAIL_URL: url, FORCE_COLOR: '1' } });
    assert.ok(!plain.stdout.includes(ESC), '--no-color wins over FORCE_COLOR');
  });

  test('wallet topup: 1.50 is major units, --minor takes minor units, a bare number is refused', async () => {
    const usd = (out: Run) => (JSON.parse(out.stdout).wallets as { amount_details: { amount: number; currency: string } }[]).find((w) => w.amount_details.currency.toLowerCase() === 'usd')!.amount_details.amount;
    const before = usd(await cli(['wallet', 'show', 'demo']));
    const major = await cli(['wallet', 'topup', 'demo', '1.50', 'usd']);
    assert.equal(major.code, 0, major.stderr);
    assert.equal(usd(major), before + 150);
    const minor = await cli(['wallet', 'topup', 'demo', '150', 'usd', '--minor']);
    assert.equal(usd(minor), before + 300);
    const bare = await cli(['wallet', 'topup', 'demo', '150', 'usd']);
    assert.equal(bare.code, 2);
    assert.equal(bare.stderr, 'payrail: "150" is ambiguous; write the amount in major units with 2 decimals (100.00 USD), or a whole number of minor units with --minor (10000 --minor)\n');
    const jpy = await cli(['wallet', 'topup', 'demo', '1.5', 'jpy']);
    assert.equal(jpy.code, 2);
    assert.match(jpy.stderr, /JPY has 0 decimals/);
  });

  test('completion bash completes commands, subcommands and trigger events', async (t) => {
    const script = await cli(['completion', 'bash']);
    assert.equal(script.code, 0);
    const file = path.join(root, 'completion.bash');
    fs.writeFileSync(file, script.stdout);
    const complete = async (...words: string[]) => {
      const run = spawn('bash', ['-c', `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _payrail; echo "\${COMPREPLY[*]}"`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      run.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise((resolve) => run.on('close', resolve));
      if (code === 127) t.skip('no bash');
      return out.trim();
    };
    assert.equal(await complete('payrail', 'pro'), 'project');
    assert.equal(await complete('payrail', 'project', 'add'), 'add-key');
    assert.equal(await complete('payrail', 'trigger', 'payout.r'), 'payout.returned');
    assert.match(await complete('payrail', 'call', '--pro'), /^--project$/);
    const zsh = await cli(['completion', 'zsh']);
    assert.match(zsh.stdout, /^#compdef payrail\n/);
    assert.equal((await cli(['completion', 'fish'])).code, 2);
  });
});

describe('long commands and the server log', () => {
  test('clock advance draws the server\'s progress on stderr while it runs; stdout is the answer alone', async () => {
    const posted: string[] = [];
    const fake = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const send = (v: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(v));
        if (req.method === 'GET') return send({ status: 'ok', clock: { now: '2026-01-16T00:00:00.000000Z', advancing: { from: '2026-01-01T00:00:00Z', to: '2026-01-31T00:00:00Z', now: '2026-01-16T00:00:00Z', steps: 3, ran: 7 } } });
        posted.push(body);
        setTimeout(() => send({ status: 'ok', ran: 9, steps: 4 }), 2300);
      });
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    try {
      const out = await cli(['clock', 'advance', '30d'], { env: { PATH: process.env['PATH'], PAYRAIL_DATA_DIR: dataDir, PAYRAIL_URL: `http://127.0.0.1:${(fake.address() as AddressInfo).port}` } });
      assert.equal(out.code, 0, out.stderr);
      assert.deepEqual(posted, ['{"seconds":2592000}']);
      assert.match(out.stderr, /^advancing: \[#{10}\.{10}\] {2}50% {2}clock at 2026-01-16T00:00:00Z \(to 2026-01-31T00:00:00Z\), 3 stops, 7 runs$/m);
      assert.deepEqual(JSON.parse(out.stdout), { status: 'ok', ran: 9, steps: 4 });
    } finally {
      await new Promise((resolve) => fake.close(resolve));
    }
  });

  test('PAYRAIL_LOG_FORMAT=pretty gives readable log lines (pino-pretty), the default when piped is JSON', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-pretty-'));
    // Its own embedded database: the log format does not depend on the engine, and a second server on the
    // shared PostgreSQL database would need this data dir's master key.
    const pretty = spawnServer({ ...workerEnv(dir, undefined), LOG_LEVEL: 'info', PAYRAIL_LOG_FORMAT: 'pretty' });
    try {
      await listening(pretty);
      await new Promise((r) => setTimeout(r, 300));
      assert.match(pretty.output(), /\] INFO.*: Server listening at http:\/\/127\.0\.0\.1:\d+/);
      assert.doesNotMatch(pretty.output(), /^\{"level"/m);
      assert.match(server.output(), /payrail is listening/);
    } finally {
      await killServer(pretty);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface TriggerAnswer {
  status: string;
  event: string;
  session_id: string;
  webhooks: { id: string; type: string; state: string }[];
}

async function trigger(...args: string[]): Promise<TriggerAnswer> {
  const out = await cli(['trigger', ...args]);
  assert.equal(out.code, 0, `${out.stderr}\n${out.stdout}`);
  return JSON.parse(out.stdout) as TriggerAnswer;
}

/** The session's webhooks as the admin API lists them (the bodies, to check the outcome). */
async function bodies(sessionId: string): Promise<{ type: string; body: { session: Record<string, { status: string; error?: { code: string }; refunds?: { status: string }[] }[]> & { status: string } } }[]> {
  const res = await adminCall(url, dataDir, 'GET', `/sessions/${sessionId}/webhooks`);
  assert.equal(res.status, 200, res.body);
  return JSON.parse(res.body).webhooks;
}

describe('payrail trigger runs real flows', () => {
  test('--list names every event with the webhooks it ends with', async () => {
    const out = await cli(['trigger', '--list']);
    assert.equal(out.code, 0);
    for (const f of FLOWS) assert.match(out.stdout, new RegExp(`^ {2}${f.name.replace('.', '\\.')} .*\\n.*webhooks: ${f.promises.join(' → ')}$`, 'm'));
  });

  const cases: [string, string[], (hooks: Awaited<ReturnType<typeof bodies>>) => void][] = [
    ['payment.succeeded', ['ready_to_confirm', 'payment_finished'], (h) => assert.equal(h.at(-1)!.body.session['acquiring_payments']![0]!.status, 'succeeded')],
    ['payment.3ds', ['ready_to_confirm', 'action_required', 'payment_finished'], (h) => assert.equal(h.at(-1)!.body.session['acquiring_payments']![0]!.status, 'succeeded')],
    ['payment.declined', ['ready_to_confirm', 'payment_finished'], (h) => assert.deepEqual([h.at(-1)!.body.session['acquiring_payments']![0]!.status, h.at(-1)!.body.session['acquiring_payments']![0]!.error?.code], ['failed', 'card_declined'])],
    ['refund.succeeded', ['ready_to_confirm', 'payment_finished', 'payment_refunded'], (h) => assert.equal(h.at(-1)!.body.session['acquiring_payments']![0]!.refunds!.at(-1)!.status, 'accepted')],
    ['payout.succeeded', ['ready_to_confirm', 'payment_finished'], (h) => assert.equal(h.at(-1)!.body.session['payments']![0]!.status, 'succeeded')], // v1 lists payouts as payments,
  ];
  for (const [event, types, outcome] of cases) {
    test(`${event} ends in ${types.join(', ')}`, async () => {
      const answer = await trigger(event);
      assert.equal(answer.status, 'ok');
      assert.match(answer.session_id, /^ps_\d+$/);
      assert.deepEqual(answer.webhooks.map((w) => w.type), types);
      const hooks = await bodies(answer.session_id);
      assert.deepEqual(hooks.map((w) => w.type), types, 'the admin API lists the same webhooks');
      outcome(hooks);
    });
  }

  test('--override and --fixture change the starting request', async () => {
    const fixture = path.join(root, 'eur.json');
    fs.writeFileSync(fixture, JSON.stringify({ amount_details: { currency: 'eur' }, metadata: 'from a fixture' }));
    const answer = await trigger('payment.succeeded', '--fixture', fixture, '--override', 'amount_details.amount=2500');
    const payment = (await bodies(answer.session_id)).at(-1)!.body.session['acquiring_payments']![0]! as unknown as { amount_details: unknown; status: string };
    assert.deepEqual(payment.amount_details, { amount: 2500, currency: 'eur' });
    assert.equal(payment.status, 'succeeded');
  });

  test('a flow the server refuses stops with exit 1 and the server error', async () => {
    const out = await cli(['trigger', 'payment.succeeded', '--override', 'amount_details.currency=zzz']);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /trigger payment\.succeeded stopped: session\/init\/payment answered 400: \{"code":"invalid_request"/);
  });

  test('an unknown event is a usage error; a webhook type re-sends only with --session', async () => {
    const bad = await cli(['trigger', 'payment_finished']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown event "payment_finished" \("payment_finished" looks like a webhook type: re-send one for a session with --session ps_…\)/);
    const sid = (await trigger('payout.succeeded')).session_id;
    // The re-send goes to the admin API, which needs a webhook_url: its refusal shows it was reached.
    const resend = await cli(['trigger', 'payment_finished', '--session', sid]);
    assert.equal(resend.code, 1);
    assert.match(JSON.parse(resend.stdout).error.description, /has no webhook_url/);
  });
});
