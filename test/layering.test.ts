import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

/**
 * The layering of src/ (docs/architecture.md) is enforced by lint: these imports must fail
 * `npm run check`, and the tree as it is must have no folder that imports another which imports it
 * back (type imports included).
 */
const eslint = new ESLint({ cwd: process.cwd() });

async function lintAs(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.resolve(file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const forbidden: [file: string, importLine: string, message: RegExp][] = [
  ['src/kernel/x.ts', "import type { Db } from '../platform/db/database.js';", /src\/kernel imports nothing/],
  ['src/platform/jobs/x.ts', "import { paymentOperations } from '../../domain/payments/payment.kind.js';", /src\/platform imports only/],
  ['src/domain/ledger/x.ts', "import { renderSession } from '../../edge/wire/session.wire.js';", /sit below sessions|src\/domain imports only/],
  ['src/domain/sessions/x.ts', "import type { Payment } from '../payments/payment.repo.js';", /operation-kind port/],
  ['src/domain/tokens/x.ts', "import { findSession } from '../sessions/session.repo.js';", /sit below sessions and operations/],
  ['src/domain/payouts/x.ts', "import type { Payment } from '../payments/payment.repo.js';", /do not import each other/],
  ['src/domain/refunds/x.ts', "import type { Payout } from '../payouts/payout.repo.js';", /refunds sit below/],
  ['src/domain/payments/x.ts', "import { SandboxCardProcessor } from '../../connectors/sandbox/sandbox-card-processor.js';", /src\/domain imports only|do not import each other/],
  ['src/edge/api/x.ts', "import { SandboxRails } from '../../connectors/sandbox/sandbox-rails.js';", /composition root/],
  ['src/edge/api/x.ts', "import { createRuntime } from '../../runtime.js';", /composition root/],
  ['src/domain/payments/x.ts', "import Fastify from 'fastify';", /only src\/edge speaks HTTP/],
];

test('an import that climbs a layer fails lint, with the rule that says why', async () => {
  for (const [file, line, message] of forbidden) {
    const messages = await lintAs(file, `${line}\nexport const x = 1;\n`);
    assert.ok(messages.some((m) => message.test(m)), `${file}: ${line} → ${JSON.stringify(messages)}`);
  }
});

test('imports that go down a layer pass', async () => {
  const allowed: [string, string][] = [
    ['src/domain/payments/x.ts', "import type { Db } from '../../platform/db/database.js';"],
    ['src/domain/payments/x.ts', "import type { Session } from '../sessions/session.repo.js';"],
    ['src/edge/api/x.ts', "import { paymentOperations } from '../../domain/payments/payment.kind.js';"],
    ['src/connectors/sandbox/x.ts', "import type { CardProcessor } from '../../domain/payments/card-processor.port.js';"],
  ];
  for (const [file, line] of allowed) {
    assert.deepEqual(await lintAs(file, `${line}\nexport type X = 1;\n`), [], `${file}: ${line}`);
  }
});

test('no two folders of src/ import each other, directly or round a loop (type imports included)', () => {
  const edges = new Map<string, Set<string>>();
  const nodeOf = (file: string) => {
    const rel = path.relative('src', file);
    return path.dirname(rel) === '.' ? rel.replace(/\.ts$/, '') : path.dirname(rel);
  };
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? walk(p) : /\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [p] : [];
    });
  for (const file of walk('src')) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = path.relative(process.cwd(), path.resolve(path.dirname(file), m[1]!).replace(/\.js$/, '.ts'));
      const [a, b] = [nodeOf(file), nodeOf(target)];
      if (a !== b) edges.set(a, (edges.get(a) ?? new Set()).add(b));
    }
  }
  // A loop exists iff some folder reaches itself.
  const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
    [...(edges.get(from) ?? [])].some((n) => n === to || (!seen.has(n) && (seen.add(n), reaches(n, to, seen))));
  const loops = [...edges.keys()].filter((n) => reaches(n, n));
  assert.deepEqual(loops, []);
  assert.ok(edges.size > 15, `the graph was read (${edges.size} folders)`);
});
