import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How long `payrail call` takes from exec to exit, beside a bare `node -e 0` on the same machine
 * (the floor any Node CLI pays). The call goes to a stub answering at once, so this is the CLI's own
 * cost: Node start, commander, reading and signing with the key, one HTTP round trip. Run it with
 * `node --import tsx bench/cli-start.ts [runs]` after `npm run build`.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'payrail.js');
const runs = Number(process.argv[2] ?? 15);

if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'index.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-cli-start-'));
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
fs.writeFileSync(path.join(dataDir, 'demo.private.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));

// The stub runs in a child process: spawnSync below blocks this one's event loop.
const stub = `require('http').createServer((q, s) => { q.resume(); q.on('end', () => s.writeHead(200, {'content-type': 'application/json'}).end('{"status":"ok"}')); }).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });`;
const server = spawn(process.execPath, ['-e', stub], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<number>((resolve) => server.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));

function time(args: string[], env: NodeJS.ProcessEnv = process.env): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    if (i >= 2) out.push(ms); // the first two warm the file cache
  }
  return out.sort((a, b) => a - b);
}

const median = (xs: number[]) => xs[Math.floor(xs.length / 2)]!;
const env = { PATH: process.env['PATH'], HOME: process.env['HOME'], PAYRAIL_DATA_DIR: dataDir };
try {
  const rows: [string, number[]][] = [
    ['node -e 0 (bare Node start)', time(['-e', '0'])],
    ['payrail --version', time([BIN, '--version'], env)],
    ['payrail call session/status (signed, to a stub)', time([BIN, 'call', '--url', `http://127.0.0.1:${port}`, 'session/status', '{"session_id":"ps_1"}'], env)],
  ];
  const bare = median(rows[0]![1]);
  console.log(`CLI start time, ${runs} runs each (median, min–max), on ${os.cpus().length} cores`);
  for (const [name, xs] of rows) {
    const m = median(xs);
    console.log(`  ${name.padEnd(50)} ${m.toFixed(0).padStart(5)} ms  (${xs[0]!.toFixed(0)}–${xs[xs.length - 1]!.toFixed(0)})  ${name.startsWith('node') ? '' : `+${(m - bare).toFixed(0)} ms over bare Node`}`);
  }
} finally {
  server.kill();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
