import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { newKeyPair, signBody, startHarness, type Harness } from './helpers/harness.js';
import { bankCard, USD } from './helpers/acquiring.js';
import { caseArb, protocolProbes, type FuzzCase } from './helpers/fuzz-cases.js';
import { Raw, serialize } from './helpers/fuzz-hostile.js';
import { checkAnswer, describeLog, normalise, parseLog, send, sendRaw, truncate, visible, type LogLine, type Problem, type WireAnswer, type WireRequest } from './helpers/fuzz-http.js';
import { operationsOf, type Operation, type SchemaHints } from './helpers/fuzz-schema.js';

/**
 * Property test over the whole HTTP surface: every operation of the server's own OpenAPI document
 * (GET /openapi.json: a new route is covered without editing this file), partner methods signed
 * with the demo project's key and admin routes with the bearer token, gets generated hostile
 * requests over a real socket (valid-ish bodies from the request schema with one field mutated,
 * wrong types, NUL and control characters, lone surrogates, 100k strings, huge and non-JSON
 * numbers, depth-5000+ nesting, unknown and `__proto__` keys, non-JSON and non-object bodies,
 * hostile path and query parameters, odd headers, bad signatures and tokens).
 *
 * Properties: no answer is 5xx; every non-2xx answer is `{"status":"error","error":{"code",
 * "description"}}` with a code from ERROR_STATUS and the HTTP status it maps to; bad credentials are
 * refused before the body is judged; and afterwards the server still answers /health, /ready and
 * a valid signed call.
 *
 * Deterministic: fixed seed (FUZZ_SEED, printed), cases sampled per operation with fast-check
 * (each operation with its own seed derived from its id). FUZZ_RUNS sets the number of requests
 * (default 3000, about 10 s on PGlite); FUZZ_REPORT=<file> writes every failure as JSON, and
 * FUZZ_TRACE=<file> one JSON line per request (operation, input shape, status, code, answer).
 * A failure prints, de-duplicated, the operation, the request (truncated), the answer and the
 * server's log line (with stack) for that request.
 */

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261121);
const RUNS = Math.max(1, Number(process.env['FUZZ_RUNS'] ?? 3000));
const REQUEST_TIMEOUT_MS = 15_000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1', '']);

let h: Harness;
let base: URL;
let agent: http.Agent;
let ops: Operation[];
let doc: Record<string, unknown>;
let otherKey: ReturnType<typeof newKeyPair>;
/** Public tokens for the public (X-PUBLIC-TOKEN) routes, used in turn: the tokenize route takes each once. */
const publicTokens: string[] = [];
/** Where demo's webhooks go: a loopback receiver that answers 200, so deliveries render and complete. */
let receiver: http.Server | undefined;

const PARTNER_REFUSALS = ['identification_error', 'authentication_error', 'payload_too_large'];
const ADMIN_REFUSALS = ['authentication_error', 'payload_too_large'];

const cardDestination = (number: string) => ({ type: 'card', card: { type: 'bank_card', bank_card: { number } } });

/** FNV-1a: an operation's own seed, so that adding an operation does not change the others' cases. */
function hash(s: string): number {
  let x = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s.charCodeAt(i), 0x01000193);
  return x >>> 0;
}

/** Generated strings never make the server call out: any absolute URL not on loopback is rewritten. */
function keepLoopback(v: unknown): unknown {
  if (typeof v === 'string') {
    if (!/^[a-z][a-z0-9+.-]*:/i.test(v) || !URL.canParse(v)) return v;
    const u = new URL(v);
    return u.host === '' || LOOPBACK.has(u.hostname) || u.hostname.startsWith('127.') ? v : 'http://127.0.0.1:9/rewritten';
  }
  if (v instanceof Raw || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(keepLoopback);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: keepLoopback(x), enumerable: true, writable: true, configurable: true });
  return out;
}

/** The case as it goes on the wire: credentials, `{i}` filled in, the body's bytes. */
function toWire(c: FuzzCase, i: number): WireRequest {
  const body = c.body === undefined ? undefined : serialize(keepLoopback(c.body));
  const headers: Record<string, string | string[]> = body !== undefined ? { 'content-type': 'application/json' } : {};
  const signed = body ?? Buffer.alloc(0);
  const variant = c.auth.t === 'bad' ? c.auth.variant : undefined;
  if (c.op.auth === 'partner') {
    const good = signBody(signed, h.demoKey);
    headers['x-partner-project'] = 'demo';
    headers['x-partner-sign'] = good;
    switch (variant) {
      case undefined:
        break;
      case 'no-sign':
        delete headers['x-partner-sign'];
        break;
      case 'empty-sign':
        headers['x-partner-sign'] = '';
        break;
      case 'garbage-sign':
        headers['x-partner-sign'] = '!!not*base64%%';
        break;
      case 'random-sign':
        headers['x-partner-sign'] = Buffer.from(Array.from({ length: 256 }, (_, k) => (k * 131 + i) % 256)).toString('base64');
        break;
      case 'other-body-sign':
        headers['x-partner-sign'] = signBody(Buffer.concat([signed, Buffer.from(' ')]), h.demoKey);
        break;
      case 'other-key-sign':
        headers['x-partner-sign'] = signBody(signed, otherKey.privateKey);
        break;
      case 'truncated-sign':
        headers['x-partner-sign'] = good.slice(0, -8);
        break;
      case 'duplicate-sign':
        headers['x-partner-sign'] = ['AAAA', good];
        break;
      case 'no-project':
        delete headers['x-partner-project'];
        break;
      case 'unknown-project':
        headers['x-partner-project'] = 'no_such_project';
        break;
      case 'hostile-project':
        headers['x-partner-project'] = ['demo\u00ff', '../demo', 'd'.repeat(4000), 'demo%00', "demo' OR '1'='1"][i % 5]!;
        break;
      case 'empty-project':
        headers['x-partner-project'] = '';
        break;
      default:
        throw new Error(`unknown auth variant ${variant}`);
    }
  } else if (c.op.auth === 'admin') {
    const token = h.runtime.adminToken;
    headers['authorization'] = `Bearer ${token}`;
    switch (variant) {
      case undefined:
        break;
      case 'no-auth':
        delete headers['authorization'];
        break;
      case 'bearer-empty':
        headers['authorization'] = 'Bearer ';
        break;
      case 'wrong-token':
        headers['authorization'] = `Bearer ${token.slice(0, -1)}${token.endsWith('a') ? 'b' : 'a'}`;
        break;
      case 'basic':
        headers['authorization'] = `Basic ${Buffer.from(`admin:${token}`).toString('base64')}`;
        break;
      case 'token-only':
        headers['authorization'] = token;
        break;
      case 'long-token':
        headers['authorization'] = `Bearer ${'t'.repeat(8000)}`;
        break;
      case 'latin1-token':
        headers['authorization'] = `Bearer ${token}\u00ff`;
        break;
      case 'token-prefix':
        headers['authorization'] = `Bearer ${token.slice(0, 8)}`;
        break;
      default:
        throw new Error(`unknown auth variant ${variant}`);
    }
  } else if (publicTokens.length > 0) {
    if (variant === 'garbage-public-token') headers['x-public-token'] = 'garbage\u00ff';
    else if (variant !== 'no-public-token') headers['x-public-token'] = publicTokens[i % publicTokens.length]!;
  }
  for (const [k, v] of Object.entries(c.headers)) {
    if (v === null) delete headers[k];
    else headers[k] = Array.isArray(v) ? v.map((x) => x.replaceAll('{i}', String(i))) : v.replaceAll('{i}', String(i));
  }
  return { method: c.method, path: c.path, headers, body, chunked: c.chunked };
}

interface Failure {
  readonly i: number;
  readonly op: string;
  readonly shape: string;
  readonly where: string;
  readonly problems: Problem[];
  readonly status: number;
  readonly code: string | undefined;
  readonly request: string;
  readonly answer: string;
  readonly log: string[];
}

/** Server log lines since the last call; those of request `reqId`, and errors of no request (the worker's). */
function takeLogs(reqId: string | undefined): { own: LogLine[]; background: LogLine[] } {
  const lines = h.logs.splice(0).map(parseLog).filter((l): l is LogLine => l !== undefined);
  return {
    own: lines.filter((l) => reqId !== undefined && l.reqId === reqId && l.level >= 40),
    background: lines.filter((l) => l.reqId === undefined && l.level >= 50),
  };
}

function requestText(w: WireRequest): string {
  const hdrs = Object.entries(w.headers)
    .filter(([k]) => k !== 'x-partner-sign' && k !== 'authorization')
    .map(([k, v]) => `${k}: ${truncate(String(v), 80)}`)
    .join('; ');
  return `${w.method} ${truncate(w.path, 200)}${hdrs ? ` [${hdrs}]` : ''}${w.body ? ` body(${w.body.length} B): ${visible(w.body, 300)}` : ''}`;
}

/** De-duplicated: one group per (problem, status, code, normalised server error), with every operation and shape seen. */
function report(failures: readonly Failure[]): string {
  const groups = new Map<string, { first: Failure; n: number; ops: Set<string>; shapes: Set<string> }>();
  for (const f of failures) {
    const logKey = normalise(f.log[0]?.split('\n')[0] ?? '');
    const key = `${f.problems.join('+')} | HTTP ${f.status} | ${f.code ?? '-'} | ${logKey}`;
    const g = groups.get(key) ?? { first: f, n: 0, ops: new Set<string>(), shapes: new Set<string>() };
    g.n++;
    g.ops.add(f.op);
    g.shapes.add(`${f.shape}${f.where ? ` @ ${f.where}` : ''}`);
    groups.set(key, g);
  }
  const out: string[] = [`${failures.length} failing request(s) in ${groups.size} group(s) (seed ${SEED}, FUZZ_RUNS=${RUNS}):`];
  let n = 0;
  for (const [key, g] of [...groups].sort((a, b) => b[1].n - a[1].n)) {
    out.push(
      '',
      `#${++n} ${key}  ×${g.n}`,
      `  operations (${g.ops.size}): ${[...g.ops].sort().join(', ')}`,
      `  inputs (${g.shapes.size}): ${truncate([...g.shapes].sort().join(' | '), 1500)}`,
      `  example #${g.first.i} ${g.first.op} — ${g.first.shape}${g.first.where ? ` @ ${g.first.where}` : ''}`,
      `    request: ${g.first.request}`,
      `    answer:  ${g.first.answer}`,
      ...g.first.log.map((l) => `    server: ${l.replace(/\n/g, '\n    ')}`),
    );
  }
  return out.join('\n');
}

before(async () => {
  h = await startHarness();
  base = new URL(await h.runtime.app.listen({ port: 0, host: '127.0.0.1' }));
  agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  const docAnswer = await send(base, agent, { method: 'GET', path: '/openapi.json', headers: {}, body: undefined }, REQUEST_TIMEOUT_MS);
  assert.equal(docAnswer.status, 200, 'GET /openapi.json');
  doc = JSON.parse(docAnswer.body.toString('utf8')) as Record<string, unknown>;
  ops = operationsOf(doc);
});

after(async () => {
  agent?.destroy();
  await h?.close();
  receiver?.closeAllConnections();
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
});

describe('fuzz: hostile requests to every operation of GET /openapi.json', () => {
  test('no 5xx, every refusal is the error envelope with its status, bad credentials refused first', async () => {
    assert.ok(ops.some((o) => o.auth === 'partner') && ops.some((o) => o.auth === 'admin'), `operations found: ${ops.map((o) => o.id).join(', ')}`);

    // Real things for valid-ish requests to name: sessions in several states, one of another
    // project, a webhook, a second project with its own key, a public token.
    otherKey = newKeyPair();
    // What generated bodies offer as a public key: a fuzz case may add it to demo, so nothing signs with it.
    const spareKey = newKeyPair();
    const other = await h.admin('POST', '/projects', { name: 'fz_other', public_key: otherKey.publicPem });
    assert.equal(other.statusCode, 200, other.body);
    const otherKeyId = String(other.json().project.keys[0].id);
    const sessionIds: string[] = [];
    const remember = (r: { statusCode: number; json(): { session?: { id?: string } } }) => {
      if (r.statusCode === 200 && r.json().session?.id) sessionIds.push(String(r.json().session!.id));
      return r.statusCode === 200 ? r.json().session?.id : undefined;
    };
    remember(await h.call('session/create', { amount_details: USD(1000) }));
    remember(await h.call('session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(1500), customer: { reference: 'fz' } }));
    const paid = remember(await h.call('session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(2500), customer: { reference: 'fz' } }));
    remember(
      await h.call('session/init/payout', {
        payment_method: { type: 'card', card: { type: 'bank_card', bank_card: { number: '4242424242424242' } } },
        participant_details: { recipient: { full_name: 'John Johnson' } },
        amount_details: USD(700),
      }),
    );
    remember(await h.call('session/create', {}, { project: 'fz_other', key: otherKey.privateKey }));
    if (paid) {
      // Confirm once it is ready, so that capture/refund have something real to act on.
      for (let k = 0; k < 50; k++) {
        const r = await h.call('session/confirm', { session_id: paid });
        if (r.statusCode === 200) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    receiver = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
    const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/webhooks`;
    const patched = await h.admin('PATCH', '/projects/demo', { webhook_url: hook });
    assert.equal(patched.statusCode, 200, patched.body);
    const trig = await h.admin('POST', '/webhooks/trigger', { type: 'payment_finished' });
    const webhookIds = trig.statusCode === 200 ? [String(trig.json().webhook_id)] : [];
    if (trig.statusCode === 200) sessionIds.push(String(trig.json().session_id));
    for (let k = 0; k < 40; k++) {
      const tok = await h.call('token', { tokenize_widget: { access: true, locale: 'en' } });
      if (tok.statusCode === 200) publicTokens.push(String(tok.json().public_token));
    }
    h.logs.splice(0);

    const unknownSessionId = fc.stringMatching(/^[1-9][0-9]{18}$/).map((d) => `ps_${d}`);
    const hints: SchemaHints = {
      byName: {
        session_id: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...sessionIds) }, { weight: 1, arbitrary: unknownSessionId }),
        public_key: fc.constant(spareKey.publicPem),
        project: fc.constantFrom('demo', 'fz_other'),
        token: fc.constantFrom(publicTokens[0] ?? 'unknown', 'unknown-token'),
      },
      // Whole known-good parts (docs/test-cards.md, docs/test-payouts.md), so that more generated
      // bodies get past the business checks and a mutation elsewhere in them reaches deeper code.
      examplesByName: {
        payment_details: [bankCard('4242424242424242'), bankCard('4000000000003220'), bankCard('5555555555554444', { cvc: undefined })],
        payment_method: [cardDestination('4242424242424242'), cardDestination('5555555555554444')],
        payout_details: [cardDestination('4242424242424242')],
        participant_details: [{ recipient: { full_name: 'John Johnson' } }],
        amount_details: [USD(1000), { amount: 250, currency: 'eur' }],
        customer: [{ reference: 'fz' }],
      },
      urlField: /(^|_)url$/,
      loopbackUrl: fc.constantFrom('http://127.0.0.1:9/fz', 'https://127.0.0.1:9/fz?x=1', 'http://localhost:9/'),
    };
    const pathPool = (op: Operation, name: string): readonly string[] => {
      const parts = op.template.split('/');
      const prev = parts[parts.indexOf(`{${name}}`) - 1];
      // Only reads name demo: a generated settings patch (or key change) on demo could make every later
      // signed request fail (a setting that demands more of the signature, say), which would hide the rest.
      if (name === 'name' || prev === 'projects') return op.method === 'GET' ? ['demo', 'fz_other', 'no_such_project'] : ['fz_other', 'no_such_project'];
      if (prev === 'sessions') return [...sessionIds, `ps_${'4'.repeat(19)}`];
      if (prev === 'webhooks') return [...webhookIds, 'wh_1795240123569608125', '1'];
      if (prev === 'keys') return [otherKeyId, 'key_1795240123569608125'];
      return ['x'];
    };

    // Every operation gets its share of the runs, sampled with its own seed; then they are interleaved.
    const perOp = Math.ceil(RUNS / ops.length);
    const ctx = { doc, hints, bodyLimit: h.runtime.config.bodyLimitBytes, pathPool };
    const lists = ops.map((op) => fc.sample(caseArb(op, ctx), { seed: (SEED + hash(op.id)) | 0, numRuns: perOp }));
    const cases: FuzzCase[] = [];
    for (let k = 0; k < perOp; k++) for (const list of lists) if (list[k] && cases.length < RUNS) cases.push(list[k]!);

    const failures: Failure[] = [];
    const background: { i: number; after: string; log: string }[] = [];
    const statusCount = new Map<string, number>();
    let skipped = 0;
    const trace = process.env['FUZZ_TRACE'] ? fs.createWriteStream(process.env['FUZZ_TRACE']) : undefined;
    const started = performance.now();
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      const wire = toWire(c, i);
      const answer: WireAnswer = await send(base, agent, wire, REQUEST_TIMEOUT_MS);
      if (answer.status === -1) {
        skipped++;
        trace?.write(`${JSON.stringify({ i, op: c.op.id, shape: c.shape, where: c.where, skipped: answer.error })}\n`);
        continue;
      }
      const reqId = typeof answer.headers['x-request-id'] === 'string' ? answer.headers['x-request-id'] : undefined;
      const logs = takeLogs(reqId);
      for (const l of logs.background) background.push({ i, after: `${c.op.id} ${c.shape}`, log: describeLog(l) });
      const refusals = c.auth.t === 'bad' && c.cleanPath ? (c.op.auth === 'partner' ? PARTNER_REFUSALS : c.op.auth === 'admin' ? ADMIN_REFUSALS : undefined) : undefined;
      const check = checkAnswer(answer, refusals);
      const key = `${answer.status}${check.code ? ` ${check.code}` : ''}`;
      statusCount.set(key, (statusCount.get(key) ?? 0) + 1);
      const ownErrors = logs.own.filter((l) => l.level >= 50);
      trace?.write(`${JSON.stringify({ i, op: c.op.id, shape: c.shape, where: c.where, status: answer.status, code: check.code, problems: check.problems, ms: answer.ms, answer: answer.body.subarray(0, 200).toString('utf8') })}\n`);
      if (check.problems.length > 0) {
        failures.push({
          i,
          op: c.op.id,
          shape: c.shape,
          where: c.where,
          problems: check.problems,
          status: answer.status,
          code: check.code,
          request: requestText(wire),
          answer: answer.error ? `(${answer.error})` : `HTTP ${answer.status} ${String(answer.headers['content-type'] ?? '(no content-type)')} ${visible(answer.body, 400)}`,
          log: ownErrors.map(describeLog),
        });
      }
    }
    // The HTTP layer itself, once per run: node's parser and fastify's router must answer with the envelope too.
    let closedProbes = 0;
    for (const [label, bytes] of protocolProbes(base.host)) {
      const answer = await sendRaw(base, bytes, 5_000);
      const reqId = typeof answer.headers['x-request-id'] === 'string' ? answer.headers['x-request-id'] : undefined;
      const logs = takeLogs(reqId);
      const check = answer.closed ? { problems: [] as Problem[], code: undefined } : checkAnswer(answer);
      if (answer.closed) closedProbes++;
      const key = answer.closed ? 'closed' : `${answer.status}${check.code ? ` ${check.code}` : ''}`;
      statusCount.set(key, (statusCount.get(key) ?? 0) + 1);
      trace?.write(`${JSON.stringify({ i: -1, op: 'HTTP', shape: label, status: answer.status, code: check.code, problems: check.problems, closed: answer.closed, ms: answer.ms })}\n`);
      if (check.problems.length > 0) {
        failures.push({
          i: -1,
          op: '(HTTP layer, any route)',
          shape: label,
          where: '',
          problems: check.problems,
          status: answer.status,
          code: check.code,
          request: visible(bytes, 300),
          answer: `HTTP ${answer.status} ${String(answer.headers['content-type'] ?? '(no content-type)')} ${visible(answer.body, 400)}`,
          log: logs.own.filter((l) => l.level >= 50).map(describeLog),
        });
      }
    }
    const seconds = (performance.now() - started) / 1000;
    trace?.end();

    const lines = [
      `fuzz: seed ${SEED} (FUZZ_SEED), ${cases.length} requests (FUZZ_RUNS=${RUNS}) over ${ops.length} operations ` +
        `(${ops.filter((o) => o.auth === 'partner').length} partner, ${ops.filter((o) => o.auth === 'admin').length} admin, ${ops.filter((o) => o.auth === 'public').length} public) ` +
        `and ${protocolProbes('').length} HTTP-layer probes (${closedProbes} just closed) in ${seconds.toFixed(1)} s; ${skipped} not sendable by the client`,
      `answers: ${[...statusCount].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`).join(', ')}`,
    ];
    if (background.length > 0) {
      const seen = new Map<string, { n: number; first: (typeof background)[number] }>();
      for (const b of background) {
        const k = normalise(b.log.split('\n')[0] ?? '');
        const e = seen.get(k) ?? { n: 0, first: b };
        e.n++;
        seen.set(k, e);
      }
      lines.push(`server errors logged outside any request (worker/jobs), ×${background.length}:`);
      for (const [, e] of seen) lines.push(`  ×${e.n} after #${e.first.i} ${e.first.after}\n    ${e.first.log.replace(/\n/g, '\n    ')}`);
    }
    console.log(lines.join('\n'));
    const text = failures.length > 0 ? report(failures) : '';
    if (process.env['FUZZ_REPORT']) fs.writeFileSync(process.env['FUZZ_REPORT'], JSON.stringify({ seed: SEED, runs: RUNS, requests: cases.length, seconds, failures, background, report: text }, null, 2));
    if (failures.length > 0) assert.fail(text);
  });

  test('the server is still healthy afterwards', async () => {
    const get = (path: string) => send(base, agent, { method: 'GET', path, headers: {}, body: undefined }, REQUEST_TIMEOUT_MS);
    const health = await get('/health');
    assert.equal(health.status, 200, `/health: ${health.error ?? health.body.toString()}`);
    assert.equal(health.body.toString(), '{"status":"ok"}');
    const ready = await get('/ready');
    assert.equal(ready.status, 200, `/ready: ${ready.error ?? ready.body.toString()}`);

    const body = Buffer.from(JSON.stringify({ amount_details: USD(1234), metadata: { after: 'fuzz' } }));
    const created = await send(
      base,
      agent,
      {
        method: 'POST',
        path: '/api/v1/session/create',
        headers: { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': sign('sha256', body, h.demoKey).toString('base64') },
        body,
      },
      REQUEST_TIMEOUT_MS,
    );
    assert.equal(created.status, 200, `signed session/create: ${created.error ?? created.body.toString()}`);
    const session = JSON.parse(created.body.toString()) as { status: string; session: { id: string; status: string } };
    assert.equal(session.status, 'ok');
    assert.match(session.session.id, /^ps_\d+$/);

    const statusBody = Buffer.from(JSON.stringify({ session_id: session.session.id }));
    const status = await send(
      base,
      agent,
      {
        method: 'POST',
        path: '/api/v1/session/status',
        headers: { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': sign('sha256', statusBody, h.demoKey).toString('base64') },
        body: statusBody,
      },
      REQUEST_TIMEOUT_MS,
    );
    assert.equal(status.status, 200, `signed session/status: ${status.body.toString()}`);

    const project = await send(base, agent, { method: 'GET', path: '/admin/projects/demo', headers: { authorization: `Bearer ${h.runtime.adminToken}` }, body: undefined }, REQUEST_TIMEOUT_MS);
    assert.equal(project.status, 200, `admin GET /admin/projects/demo: ${project.body.toString()}`);
  });
});
