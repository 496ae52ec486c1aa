import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freshDatabase, type TestDatabase } from './helpers/test-db.js';
import { ensureBuilt, ROOT } from './helpers/worker-process.js';
import { freePort } from './helpers/server-process.js';

/**
 * `npm pack` gives a package that works outside the clone: the tarball holds everything the server
 * reads at run time (dist/, the migrations, the pages' browser scripts), and installed into an empty
 * directory it starts with `npx payrail serve` and answers a signed `npx payrail call`.
 *
 * In the suite only the tarball's contents are checked (a second or two): it is packed with
 * --ignore-scripts from the dist/ that ensureBuilt() made, since `prepare` is the same build
 * (checked below) and running it here would rewrite dist/ under the other test files' running
 * processes. The install takes 30–70 s and the registry (for the dependencies), so it runs with
 * PAYRAIL_PACK_INSTALL=1, as scripts/check-pack.sh does: then the tarball comes from a plain
 * `npm pack` (its `prepare` builds dist/), as a user makes it.
 */
const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 15_000 }).status === 0;
const npmFound = has('npm', ['--version']);
const install = process.env['PAYRAIL_PACK_INSTALL'] === '1';

let tmp: string;
let tarball: string;
let packed: string[] = [];
let tdb: TestDatabase | undefined;
let server: ChildProcess | undefined;

describe('npm pack', { skip: !npmFound && 'npm is not on PATH' }, () => {
  before(async () => {
    if (!install) await ensureBuilt();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-pack-'));
    const r = spawnSync('npm', ['pack', ...(install ? [] : ['--ignore-scripts']), '--json', '--pack-destination', tmp], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
    assert.equal(r.status, 0, r.stderr);
    const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(tmp, info!.filename);
    packed = info!.files.map((f) => f.path);
  });

  after(async () => {
    // The server runs under npx: its whole process group goes.
    if (server?.pid && server.exitCode === null) process.kill(-server.pid, 'SIGKILL');
    await tdb?.drop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the tarball holds what the server reads at run time, and no source, test or map', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
    assert.equal(pkg.scripts['prepare'], 'npm run build', 'a plain `npm pack` builds dist/ first');
    const wanted = [
      'package.json',
      'README.md',
      pkg.bin['payrail']!,
      'dist/cli.js',
      ...fs.readdirSync(path.join(ROOT, 'src/platform/db/migrations')).filter((f) => f.endsWith('.sql')).map((f) => `src/platform/db/migrations/${f}`),
      ...fs.readdirSync(path.join(ROOT, 'src/edge/pages/client')).map((f) => `src/edge/pages/client/${f}`),
    ];
    for (const file of wanted) assert.ok(packed.includes(file), `${file} is missing from the tarball`);
    // Every compiled module of src/ is there (a file left out of the build would fail at import).
    const compiled = packed.filter((f) => f.startsWith('dist/') && f.endsWith('.js'));
    assert.ok(compiled.length > 100, `${compiled.length} compiled modules`);
    assert.deepEqual(packed.filter((f) => /\.map$|\.test\.js$|^test\/|^bench\/|^src\/.*\.ts$|^\.payrail/.test(f)), []);
  });

  test('installed into an empty directory, `npx payrail serve` starts and answers a signed call', { timeout: 240_000 }, async (t) => {
    if (!install) return t.skip('installing takes the registry and 30–70 s: run scripts/check-pack.sh (PAYRAIL_PACK_INSTALL=1)');
    if (!has('npm', ['ping', '--fetch-timeout=5000', '--fetch-retries=0'])) return t.skip('the npm registry cannot be reached: installing the dependencies needs it');
    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    const installed = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app, encoding: 'utf8', timeout: 180_000 });
    assert.equal(installed.status, 0, `${installed.stdout}${installed.stderr}`);

    tdb = await freshDatabase();
    const port = await freePort();
    const env = { PATH: process.env['PATH'], HOME: process.env['HOME'], PORT: String(port), LOG_LEVEL: 'warn', ...(tdb.url ? { DATABASE_URL: tdb.url } : {}) };
    let out = '';
    server = spawn('npx', ['payrail', 'serve'], { cwd: app, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 60_000;
    while (!out.includes('payrail is listening on')) {
      assert.ok(server.exitCode === null && Date.now() < deadline, `no banner from npx payrail serve:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(out, tdb.url ? /\(sandbox mode, PostgreSQL\)/ : /embedded PGlite in /, 'the database the test asked for');
    // The data dir is the new directory's own .payrail, and the CLI finds the server through it.
    assert.match(out, new RegExp(`private key: ${path.join(fs.realpathSync(app), '.payrail', 'demo.private.pem').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}|private key: ${path.join(app, '.payrail', 'demo.private.pem').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const call = spawnSync('npx', ['payrail', 'call', 'session/create', '{}'], { cwd: app, env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(call.status, 0, `${call.stdout}${call.stderr}`);
    const answer = JSON.parse(call.stdout) as { status: string; session: { id: string; status: string } };
    assert.equal(answer.status, 'ok');
    assert.equal(answer.session.status, 'created');

    // What the pages and the reference load from the package: the browser scripts and Redoc's bundle.
    const base = `http://127.0.0.1:${port}`;
    for (const [url, type] of [['/widget/tokenize.js', 'text/javascript'], ['/docs/redoc.standalone.js', 'text/javascript'], ['/openapi.json', 'application/json']] as const) {
      const res = await fetch(`${base}${url}`);
      assert.equal(res.status, 200, url);
      assert.ok(res.headers.get('content-type')?.startsWith(type), `${url}: ${res.headers.get('content-type')}`);
      assert.ok((await res.text()).length > 100, url);
    }
  });
});
