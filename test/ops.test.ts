import assert from 'node:assert/strict';
import { createPublicKey, sign, verify } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadKeyring } from '../src/platform/keys/keyring.js';
import { loadServerKey } from '../src/platform/keys/server-key.js';
import { newId } from '../src/kernel/ids.js';
import { startHarness, type Harness } from './helpers/harness.js';

/** Liveness, readiness, the server's public key and the OpenAPI document. */
let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  try {
    await h.close();
  } catch {
    // the last test closed the database already; finish the cleanup close() could not
    await h.db.drop();
    fs.rmSync(h.dataDir, { recursive: true, force: true });
  }
});

const get = (url: string) => h.runtime.app.inject({ method: 'GET', url });

describe('health and readiness', () => {
  test('GET /health is 200 {"status":"ok"}', async () => {
    const res = await get('/health');
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, '{"status":"ok"}');
  });

  test('GET /ready is 200 {"status":"ok"} while the database answers', async () => {
    const res = await get('/ready');
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, '{"status":"ok"}');
  });
});

describe('server public key', () => {
  test('GET /api/v1/public-key is the PEM in <data dir>/payrail.public.pem, a 2048-bit RSA key', async () => {
    const res = await get('/api/v1/public-key');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/x-pem-file');
    assert.equal(res.body, fs.readFileSync(path.join(h.dataDir, 'payrail.public.pem'), 'utf8'));
    assert.match(res.body, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    const key = createPublicKey(res.body);
    assert.equal(key.asymmetricKeyType, 'rsa');
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
  });

  test("it verifies a signature made with the server's private key, and no other", async () => {
    const pem = (await get('/api/v1/public-key')).body;
    const { db } = h.runtime.database;
    const masterKey = Buffer.from(fs.readFileSync(path.join(h.dataDir, 'master.key'), 'utf8').trim(), 'hex');
    const serverKey = await loadServerKey(db, await loadKeyring(db, masterKey, h.clock.now()), newId, h.clock.now());
    assert.equal(serverKey.publicKeyPem, pem);
    const payload = Buffer.from('{"type":"payment_finished"}');
    const signature = sign('sha256', payload, serverKey.privateKey);
    assert.ok(verify('sha256', payload, pem, signature));
    assert.ok(!verify('sha256', Buffer.from('{"type":"payment_finished "}'), pem, signature));
    assert.ok(!verify('sha256', payload, pem, sign('sha256', payload, h.demoKey)));
  });

  test('the key is kept in the database: a second load returns the same key', async () => {
    const { db } = h.runtime.database;
    const rows = await db.selectFrom('server_keys').select(['id', 'public_key_pem']).execute();
    assert.equal(rows.length, 1);
    assert.equal(createPublicKey(rows[0]!.public_key_pem).export({ type: 'spki', format: 'pem' }), (await get('/api/v1/public-key')).body);
    assert.doesNotMatch(JSON.stringify(await db.selectFrom('server_keys').selectAll().execute()), /BEGIN PRIVATE KEY/, 'the private key is stored in clear');
  });
});

describe('OpenAPI', () => {
  test('GET /openapi.json is an OpenAPI 3 document listing the partner API with request schemas', async () => {
    const res = await get('/openapi.json');
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.match(doc.openapi, /^3\.\d+\.\d+$/);
    assert.equal(typeof doc.info.title, 'string');
    assert.equal(doc.info.version, JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
    for (const p of ['/api/v1/session/create', '/api/v2/session/create', '/api/v1/session/status', '/api/v2/session/status']) {
      assert.ok(doc.paths[p]?.post, `${p} is missing`);
    }
    // Request schemas are named components, referenced with $ref (src/edge/openapi/components.ts).
    const schema = (ref: { $ref: string }) => doc.components.schemas[ref.$ref.replace('#/components/schemas/', '')];
    const create = schema(doc.paths['/api/v1/session/create'].post.requestBody.content['application/json'].schema);
    assert.equal(create.type, 'object');
    assert.deepEqual(
      Object.keys(create.properties).sort(),
      ['amount_details', 'customer', 'metadata', 'participant_details', 'payment_details', 'payment_method', 'payment_options', 'payout_details', 'revenue_split_info'],
    );
    const status = schema(doc.paths['/api/v2/session/status'].post.requestBody.content['application/json'].schema);
    assert.deepEqual(status.required, ['session_id']);
    assert.equal(schema(status.properties.session_id).type, 'string');
    // The signature headers are the security scheme; the timestamp and the idempotency key are header parameters.
    assert.deepEqual(doc.security, [{ partnerProject: [], partnerSignature: [] }]);
    assert.equal(doc.components.securitySchemes.partnerSignature.name, 'X-PARTNER-SIGN');
    const headers = doc.paths['/api/v1/session/create'].post.parameters.filter((p: { in: string }) => p.in === 'header').map((p: { name: string }) => p.name);
    assert.deepEqual(headers.sort(), ['x-partner-idempotency-key', 'x-partner-timestamp']);
    // Operational endpoints stay out of it.
    assert.equal(doc.paths['/health'], undefined);
    assert.equal(doc.paths['/ready'], undefined);
  });
});

describe('unknown routes', () => {
  test('an unknown GET is not_found in the envelope', async () => {
    const res = await get('/nothing/here?x=1');
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { status: 'error', error: { code: 'not_found', description: 'no such endpoint: GET /nothing/here' } });
  });
});

describe('readiness without a database', () => {
  // Runs last: it closes the runtime's database.
  test('GET /ready is 503 service_unavailable once the database is gone, while /health stays 200', async () => {
    await h.runtime.database.close();
    const res = await get('/ready');
    assert.equal(res.statusCode, 503, res.body);
    assert.deepEqual(res.json(), { status: 'error', error: { code: 'service_unavailable', description: 'the database is not reachable' } });
    assert.equal((await get('/health')).statusCode, 200);
  });
});
