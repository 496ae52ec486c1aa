import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { signBody, startHarness, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { bankCard, hook, hooksFor, USD } from './helpers/acquiring.js';
import { WEBHOOK_TYPES } from '../src/edge/wire/webhook.schema.js';

/**
 * GET /openapi.json: valid OpenAPI 3.1 for both validators, every partner route documented, and,
 * the check that can really fail, real answers and webhooks of a card payment validating against
 * the document's own schemas, with every object closed (additionalProperties: false) so a field the
 * server sends but the document does not name fails too.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let h: Harness;
let rx: Receiver;
let doc: Json;

before(async () => {
  h = await startHarness();
  const pem = (await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body;
  rx = await startReceiver(pem);
  assert.equal((await h.admin('PATCH', '/projects/demo', { webhook_url: rx.url })).statusCode, 200);
  const res = await h.runtime.app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  doc = res.json();
});
after(async () => {
  await h.close();
  await rx.close();
});

/** The partner routes fastify has (from printRoutes' tree): `POST /api/v1/session/create`, … */
function partnerRoutes(): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of h.runtime.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+) \(([^)]+)\)/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const url = stack.join('');
    if (!/^\/api\/v[12]\//.test(url) || url === '/api/v1/public-key') continue;
    for (const verb of m[3]!.split(', ')) if (verb !== 'HEAD') out.push(`${verb} ${url}`);
  }
  return out;
}

describe('the document', () => {
  test('is OpenAPI 3.1 that swagger-parser validates', async () => {
    assert.equal(doc['openapi'], '3.1.0');
    const api = await SwaggerParser.validate(structuredClone(doc) as never);
    assert.ok(api.paths?.['/api/v1/session/create']);
  });

  test('Redocly lint reports 0 errors', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-openapi-'));
    try {
      const file = path.join(dir, 'openapi.json');
      fs.writeFileSync(file, JSON.stringify(doc));
      const bin = path.resolve('node_modules/.bin/redocly');
      // Telemetry and the update check off: the lint must not reach the network.
      const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', CI: 'true' };
      const run = await promisify(execFile)(bin, ['lint', file, '--format=json'], { env, cwd: dir }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
      const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as { totals: { errors: number }; problems: { severity: string; message: string; location: { pointer: string }[] }[] };
      const errors = report.problems.filter((p) => p.severity === 'error').map((p) => `${p.location[0]?.pointer}: ${p.message}`);
      assert.deepEqual(errors, []);
      assert.equal(report.totals.errors, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every partner route is an operation with a unique operationId, a body schema and full answers', () => {
    const routes = partnerRoutes();
    assert.ok(routes.length >= 40, `only ${routes.length} partner routes found`);
    const ids = new Set<string>();
    for (const route of routes) {
      const [verb = '', url = ''] = route.split(' ');
      const op = doc['paths'][url]?.[verb.toLowerCase()];
      assert.ok(op, `${route} is not in the document`);
      assert.match(op.operationId ?? '', /^[a-z][A-Za-z0-9]+$/, `${route} has no operationId`);
      assert.ok(!ids.has(op.operationId), `${op.operationId} twice`);
      ids.add(op.operationId);
      // The one answer that is not JSON: the webhook stream of `payrail listen` (text/event-stream).
      const ok = url.endsWith('/payrail/events') ? 'text/event-stream' : 'application/json';
      assert.ok(op.responses['200']?.content?.[ok]?.schema?.$ref, `${route} 200 has no named ${ok} schema`);
      for (const code of ['4XX', '5XX']) assert.ok(op.responses[code]?.content?.['application/json']?.schema?.$ref, `${route} ${code} has no named schema`);
      assert.equal(op.responses['4XX'].content['application/json'].schema.$ref, '#/components/schemas/ErrorEnvelope');
    }
    assert.equal(doc['paths']['/api/v1/session/create'].post.operationId, 'sessionCreate');
    assert.equal(doc['paths']['/api/v2/session/create'].post.operationId, 'v2SessionCreate');
    assert.equal(doc['paths']['/api/v1/session/init/payment'].post.requestBody.content['application/json'].schema.$ref, '#/components/schemas/SessionInitPaymentRequest');
    assert.equal(doc['paths']['/api/v1/payrail/requests'].post.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/PayrailRequestsResponse');
    assert.equal(doc['paths']['/api/v2/payrail/events'].post.responses['200'].content['text/event-stream'].schema.$ref, '#/components/schemas/PayrailEventStream');
    assert.equal(doc['paths']['/api/v1/payrail/events'].post.operationId, 'payrailEvents');
    // The admin API is documented too, under its bearer scheme; probes and pages are not.
    assert.deepEqual(doc['paths']['/admin/projects'].post.security, [{ adminToken: [] }]);
    assert.equal(doc['paths']['/admin/projects/{name}'].get.operationId, 'adminGetProjectsName');
    assert.equal(doc['paths']['/health'], undefined);
  });

  test('names its schemas, with no validator-only keyword left and no title given twice', () => {
    const schemas = doc['components']['schemas'];
    for (const name of ['Session', 'SessionV2', 'AcquiringPayment', 'Payout', 'PayoutV2', 'Refund', 'AmountDetails', 'Customer', 'ErrorEnvelope', 'PaymentDetails', 'PaymentMethod', 'MaskedPaymentDetails']) {
      assert.ok(schemas[name], `components.schemas.${name}`);
    }
    assert.deepEqual(schemas['Session'].properties.acquiring_payments.items, { $ref: '#/components/schemas/AcquiringPayment' });
    assert.deepEqual(schemas['Session'].properties.payments.items, { $ref: '#/components/schemas/Payout' });
    assert.deepEqual(schemas['SessionV2'].properties.payment_list.items, { $ref: '#/components/schemas/AcquiringPayment' });
    assert.deepEqual(schemas['SessionV2'].properties.payout_list.items, { $ref: '#/components/schemas/PayoutV2' });
    assert.equal(doc['x-component-title-conflicts'], undefined);
    const text = JSON.stringify(doc);
    assert.doesNotMatch(text, /"errorMessage"|"jsonLimits"|"nullable"/);
    assert.deepEqual(schemas['PaymentDetails'].discriminator.mapping.card, '#/components/schemas/CardPaymentDetails');
  });

  test('declares the signature as a security scheme and every webhook type under webhooks', () => {
    const schemes = doc['components']['securitySchemes'];
    assert.deepEqual([schemes.partnerSignature.type, schemes.partnerSignature.in, schemes.partnerSignature.name], ['apiKey', 'header', 'X-PARTNER-SIGN']);
    assert.equal(schemes.partnerProject.name, 'X-PARTNER-PROJECT');
    assert.match(schemes.partnerSignature.description, /RSA-SHA256/);
    assert.deepEqual(doc['security'], [{ partnerProject: [], partnerSignature: [] }]);
    const op = doc['paths']['/api/v1/session/status'].post;
    assert.deepEqual(op.parameters.map((p: Json) => p.name).filter((n: string) => /sign|project/.test(n)), [], 'the signature headers are the security scheme, not parameters');
    assert.deepEqual(Object.keys(doc['webhooks']).sort(), [...WEBHOOK_TYPES].sort());
    for (const type of WEBHOOK_TYPES) assert.ok(doc['webhooks'][type].post.requestBody.content['application/json'].schema.$ref, type);
  });
});

/** ajv 2020 over the document's components, every object with properties closed. */
function validatorFor(components: Json): (name: string, value: unknown) => string[] {
  const close = (s: unknown): unknown => {
    if (Array.isArray(s)) return s.map(close);
    if (s === null || typeof s !== 'object') return s;
    const o = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, k === 'properties' ? Object.fromEntries(Object.entries(v as Json).map(([p, x]) => [p, close(x)])) : close(v)])) as Json;
    if (typeof o['$ref'] === 'string') o['$ref'] = o['$ref'].replace('#/components/schemas/', '#/$defs/');
    if (o['properties'] && o['additionalProperties'] === undefined) o['additionalProperties'] = false;
    return o;
  };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  for (const f of ['printable', 'currency', 'card-number', 'absolute-url', 'http-url']) ajv.addFormat(f, true);
  ajv.addSchema({ $id: 'payrail:openapi', $defs: close(components['schemas']) as Json });
  return (name, value) => {
    const validate = ajv.getSchema(`payrail:openapi#/$defs/${name}`);
    assert.ok(validate, `no schema ${name}`);
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  };
}

const schemaName = (op: Json, code: string) => String(op.responses[code].content['application/json'].schema.$ref).replace('#/components/schemas/', '');

describe('real answers validate against the document', () => {
  let check: (name: string, value: unknown) => string[];
  before(() => void (check = validatorFor(doc['components'])));
  /** Calls a method and checks its answer against the document's schema for that status. */
  const expect = async (version: 'v1' | 'v2', method: string, body: unknown, status = 200): Promise<Json> => {
    const res = await h.call(method, body, { version });
    assert.equal(res.statusCode, status, res.body);
    const op = doc['paths'][`/api/${version}/${method}`].post;
    const name = schemaName(op, status === 200 ? '200' : status < 500 ? '4XX' : '5XX');
    assert.deepEqual(check(name, res.json()), [], `${version} ${method} against ${name}: ${res.body}`);
    return res.json();
  };
  /** Every webhook received for the session, checked against the document's body for its type. */
  const checkWebhooks = (sessionId: string): string[] => {
    const got = rx.received.filter((r) => r.json.session?.['id'] === sessionId);
    for (const r of got) {
      const name = String(doc['webhooks'][r.json.type].post.requestBody.content['application/json'].schema.$ref).replace('#/components/schemas/', '');
      assert.deepEqual(check(name, r.json), [], `webhook ${r.json.type}`);
    }
    return got.map((r) => r.json.type);
  };

  test('a card payment, v1 and v2, its webhooks and an error reply', async () => {
    const created = await expect('v1', 'session/create', { amount_details: USD(1250), customer: { reference: 'c-1', contacts: [{ email: 'a@example.com' }] }, metadata: { order: 7 } });
    assert.equal(created['session'].status, 'created');

    const started = await expect('v1', 'session/init/payment', { amount_details: USD(1250), payment_details: bankCard('4242424242424242'), customer: { reference: 'c-1' }, metadata: 'm' });
    const id: string = started['session'].id;
    await hook(rx, id, 1, 'ready_to_confirm');
    await expect('v1', 'session/confirm', { session_id: id });
    await hook(rx, id, 2, 'payment_finished');
    const v1 = await expect('v1', 'session/status', { session_id: id });
    assert.equal(v1['session'].acquiring_payments[0].status, 'succeeded', 'the answer checked is the finished payment');
    assert.ok(v1['session'].acquiring_payments[0].amounts && v1['session'].acquiring_payments[0].transaction_info);
    const v2 = await expect('v2', 'session/status', { session_id: id });
    assert.equal(v2['session'].payment_list.length, 1);
    const refunded = await expect('v1', 'session/refund', { session_id: id, amount_details: USD(250) });
    assert.ok(refunded['session'].acquiring_payments[0].refunds);

    assert.deepEqual(checkWebhooks(id).slice(0, 2), ['ready_to_confirm', 'payment_finished']);

    const refused = await expect('v1', 'session/init/payment', { amount_details: { amount: -1, currency: 'usd' } }, 400);
    assert.equal(refused['error'].code, 'invalid_request');

    // And the check bites: a field the document does not name fails it.
    assert.notDeepEqual(check('SessionResponse', { ...v1, session: { ...v1['session'], surprise: 1 } }), []);
    assert.notDeepEqual(check('SessionResponseV2', v1), [], 'a v1 session with acquiring_payments is not a v2 answer');
  });

  test('3-D Secure (customer_interaction), a v2 card payout, and the other methods\' answers', async () => {
    const started = await expect('v1', 'session/init/payment', { amount_details: USD(990), payment_details: bankCard('4000000000003220'), customer: { reference: 'c-2' } });
    const id: string = started['session'].id;
    await hook(rx, id, 1, 'ready_to_confirm');
    await expect('v1', 'session/confirm', { session_id: id });
    await hook(rx, id, 2, 'action_required');
    const pending = await expect('v1', 'session/status', { session_id: id });
    assert.equal(pending['session'].acquiring_payments[0].customer_interaction.type, 'redirect');
    assert.deepEqual(checkWebhooks(id), ['ready_to_confirm', 'action_required']);

    const payout = await expect('v2', 'session/init/payout', {
      payout_details: { type: 'card', card: { type: 'bank_card', bank_card: { number: '4242424242424242' } } },
      participant_details: { recipient: { full_name: 'John Johnson' } },
      amount_details: USD(500),
    });
    const pid: string = payout['session'].id;
    assert.equal(payout['session'].payout_list[0].payout_details.card.last4, '4242');
    await hooksFor(rx, pid, 1);
    await expect('v2', 'session/status', { session_id: pid });
    await expect('v1', 'session/status', { session_id: pid });
    checkWebhooks(pid);

    await expect('v1', 'wallet/balance', { request_datetime: new Date().toISOString() });
    await expect('v1', 'fps/banks', {});
    const created = await expect('v1', 'session/create', { amount_details: USD(100) });
    assert.match((await expect('v1', 'token', { acquiring_widget: { session_id: created['session'].id } }))['public_token'], /^[0-9a-f]{64}$/);
    assert.equal((await expect('v2', 'session/status', { session_id: 'ps_0' }, 404))['error'].code, 'session_not_found');
  });

  test('payrail/requests and the payrail/events stream', async () => {
    await h.runtime.requestLog.flush();
    const page = await expect('v1', 'payrail/requests', { limit: 50 });
    assert.ok(page['requests'].some((r: Json) => r['error_code'] === 'session_not_found'), 'entries with and without an error code are checked');
    assert.ok(page['requests'].some((r: Json) => r['error_code'] === null && r['idempotency_key'] === null));
    await expect('v2', 'payrail/requests', { after: page['cursor'] });
    assert.equal((await expect('v1', 'payrail/requests', { limit: 0 }, 400))['error'].code, 'invalid_request');
    const admin = await h.admin('GET', '/projects/demo/requests?limit=5');
    assert.equal(admin.statusCode, 200, admin.body);
    assert.deepEqual(check(schemaName(doc['paths']['/admin/projects/{name}/requests'].get, '200'), admin.json()), []);

    // The stream, over a real socket (it stays open): its ready block and webhook blocks against their schemas.
    const base = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
    const raw = JSON.stringify({ after: '0' });
    const stop = new AbortController();
    const res = await fetch(`${base}/api/v1/payrail/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': signBody(raw, h.demoKey) }, body: raw, signal: stop.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    let text = '';
    while ((text.match(/^event: webhook$/gm) ?? []).length < 2) text += new TextDecoder().decode((await reader.read()).value);
    stop.abort();
    const blocks = text.split('\n\n').filter((b) => /^event: /m.test(b));
    const data = (b: string) => JSON.parse(b.split('\n').find((l) => l.startsWith('data: '))!.slice(6));
    assert.deepEqual(check('PayrailStreamReady', data(blocks[0]!)), []);
    const webhooks = blocks.filter((b) => /^event: webhook$/m.test(b)).map(data);
    for (const w of webhooks) assert.deepEqual(check('PayrailWebhookEvent', w), [], JSON.stringify(w));
    assert.deepEqual(check('PayrailWebhookEvent', { ...webhooks[0], surprise: 1 }).length > 0, true, 'the check bites');
  });
});
