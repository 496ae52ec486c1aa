import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { TIMESTAMP, newKeyPair, startHarness, type Harness, type Reply } from './helpers/harness.js';
import { defaultWireSettings, fingerprintOf } from './helpers/wire.js';

/** The /admin project API: authentication, create/show/update, keys, and every refusal. */
let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h.close());

function assertError(res: Reply, status: number, code: string, description: string): void {
  assert.equal(res.statusCode, status, res.body);
  assert.deepEqual(res.json(), { status: 'error', error: { code, description } });
}

const DEFAULT_SETTINGS = defaultWireSettings();

const KEY_ID = /^key_\d+$/;

describe('admin authentication', () => {
  const raw = (headers: Record<string, string>) => h.runtime.app.inject({ method: 'GET', url: '/admin/projects/demo', headers });

  test('no Authorization header is authentication_error', async () => {
    const res = await raw({});
    assert.equal(res.statusCode, 401);
    assert.deepEqual(JSON.parse(res.body), {
      status: 'error',
      error: { code: 'authentication_error', description: 'admin API needs Authorization: Bearer <admin token> (see <data dir>/admin-token)' },
    });
  });

  test('a wrong token, or a non-Bearer scheme, is authentication_error', async () => {
    const wrong = await raw({ authorization: `Bearer ${h.runtime.adminToken}x` });
    assert.equal(wrong.statusCode, 401);
    assert.deepEqual(JSON.parse(wrong.body), { status: 'error', error: { code: 'authentication_error', description: 'admin token is wrong' } });
    const basic = await raw({ authorization: `Basic ${h.runtime.adminToken}` });
    assert.equal(basic.statusCode, 401);
    assert.equal(JSON.parse(basic.body).error.code, 'authentication_error');
  });

  test('the token is checked before the body, and a bad body after it', async () => {
    const noAuth = await h.runtime.app.inject({ method: 'POST', url: '/admin/projects', headers: { 'content-type': 'application/json' }, payload: '{"name":' });
    assert.equal(noAuth.statusCode, 401);
    const badJson = await h.runtime.app.inject({
      method: 'POST',
      url: '/admin/projects',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${h.runtime.adminToken}` },
      payload: '{"name":',
    });
    assert.equal(badJson.statusCode, 400);
    assert.equal(JSON.parse(badJson.body).error.code, 'invalid_request');
    assert.match(JSON.parse(badJson.body).error.description, /^body is not valid JSON: /);
  });
});

describe('projects', () => {
  const alpha = newKeyPair();

  test('create answers the whole project, and GET shows the same', async () => {
    const settings = { webhook_url: 'https://8.8.8.8/payrail/hooks', auto_confirm: true, api_version: 'v2' };
    const res = await h.admin('POST', '/projects', { name: 'alpha', public_key: alpha.publicPem, settings });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    const project = body.project;
    assert.match(project.keys[0].id, KEY_ID);
    assert.match(project.created_at, TIMESTAMP);
    assert.deepEqual(body, {
      status: 'ok',
      project: {
        name: 'alpha',
        settings: { ...DEFAULT_SETTINGS, webhook_url: 'https://8.8.8.8/payrail/hooks', auto_confirm: true, api_version: 'v2' },
        keys: [{ id: project.keys[0].id, fingerprint: fingerprintOf(alpha.publicPem), created_at: project.created_at }],
        created_at: project.created_at,
        updated_at: project.created_at,
      },
    });

    const shown = await h.admin('GET', '/projects/alpha');
    assert.equal(shown.statusCode, 200);
    assert.deepEqual(shown.json(), body);
  });

  test('settings default when left out; a PKCS#1 key is accepted and shown by its SPKI fingerprint', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs1 = publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    assert.match(pkcs1, /BEGIN RSA PUBLIC KEY/);
    const res = await h.admin('POST', '/projects', { name: 'beta.1', public_key: pkcs1 });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().project.settings, DEFAULT_SETTINGS);
    assert.equal(res.json().project.keys[0].fingerprint, fingerprintOf(publicKey));
  });

  test('a duplicate name is invalid_request and changes nothing', async () => {
    const other = newKeyPair();
    const res = await h.admin('POST', '/projects', { name: 'alpha', public_key: other.publicPem });
    assertError(res, 400, 'invalid_request', 'name: project "alpha" already exists');
    const shown = (await h.admin('GET', '/projects/alpha')).json();
    assert.equal(shown.project.keys.length, 1);
    assert.equal(shown.project.keys[0].fingerprint, fingerprintOf(alpha.publicPem));
  });

  const ed25519 = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const badKeys: [string, string, string][] = [
    ['not a PEM', 'hello', 'public_key must be an RSA public key in PEM format (-----BEGIN PUBLIC KEY-----)'],
    ['a truncated PEM', '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n', 'public_key must be an RSA public key in PEM format (-----BEGIN PUBLIC KEY-----)'],
    ['an ed25519 key', ed25519, 'public_key must be an RSA key, got ed25519'],
    ['a 1024-bit RSA key', rsa1024, 'public_key must be at least 2048 bits, got 1024'],
    ['an EC P-256 key', ecPem, 'public_key must be an RSA key, got ec'],
    ['an empty string', '', 'public_key must be an RSA public key in PEM format'],
  ];
  for (const [what, pem, description] of badKeys) {
    test(`create with ${what} is invalid_request`, async () => {
      const res = await h.admin('POST', '/projects', { name: 'gamma', public_key: pem });
      assertError(res, 400, 'invalid_request', description);
    });
  }

  test('an RSA private key sent as public_key is refused, not silently turned into its public half', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const res = await h.admin('POST', '/projects', { name: 'leaky', public_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error.code, 'invalid_request');
    assert.match(res.json().error.description, /^public_key .*private key/);
  });

  test('bad names and missing fields are invalid_request naming the field', async () => {
    assertError(await h.admin('POST', '/projects', { name: 'has space', public_key: alpha.publicPem }), 400, 'invalid_request', 'name must be 1 to 64 letters, digits, "_", "." or "-"');
    assertError(await h.admin('POST', '/projects', { name: 'x'.repeat(65), public_key: alpha.publicPem }), 400, 'invalid_request', 'name must be 1 to 64 letters, digits, "_", "." or "-"');
    assertError(await h.admin('POST', '/projects', { public_key: alpha.publicPem }), 400, 'invalid_request', 'name is required');
    assertError(await h.admin('POST', '/projects', { name: 'gamma' }), 400, 'invalid_request', 'public_key is required');
    assertError(
      await h.admin('POST', '/projects', { name: 'gamma', public_key: alpha.publicPem, settings: { webhook_url: 'ftp://x' } }),
      400,
      'invalid_request',
      'settings.webhook_url must use http or https, got ftp',
    );
    assert.equal((await h.admin('GET', '/projects/gamma')).statusCode, 404, 'a refused create left a project behind');
  });

  test('PATCH changes only the given settings and moves updated_at', async () => {
    const before = (await h.admin('GET', '/projects/alpha')).json().project;
    h.clock.advance(60_000);
    const res = await h.admin('PATCH', '/projects/alpha', { webhook_url: 'http://8.8.4.4:9000/hook', allow_partial_refunds: true });
    assert.equal(res.statusCode, 200, res.body);
    const after = res.json().project;
    assert.notEqual(after.updated_at, before.updated_at);
    assert.match(after.updated_at, TIMESTAMP);
    assert.deepEqual(res.json(), {
      status: 'ok',
      project: {
        ...before,
        settings: { ...before.settings, webhook_url: 'http://8.8.4.4:9000/hook', allow_partial_refunds: true },
        updated_at: after.updated_at,
      },
    });
    assert.equal(Date.parse(after.updated_at) - Date.parse(before.updated_at) >= 60_000, true);

    const cleared = await h.admin('PATCH', '/projects/alpha', { webhook_url: null });
    assert.equal(cleared.statusCode, 200);
    assert.equal(cleared.json().project.settings.webhook_url, null);
    assert.deepEqual((await h.admin('GET', '/projects/alpha')).json(), cleared.json());
  });

  test('PATCH refuses a webhook URL that is not http(s), and changes nothing', async () => {
    const before = (await h.admin('GET', '/projects/alpha')).json();
    assertError(await h.admin('PATCH', '/projects/alpha', { webhook_url: 'ftp://x' }), 400, 'invalid_request', 'settings.webhook_url must use http or https, got ftp');
    assertError(await h.admin('PATCH', '/projects/alpha', { webhook_url: 'not a url' }), 400, 'invalid_request', 'settings.webhook_url must be an absolute http(s) URL');
    assertError(await h.admin('PATCH', '/projects/alpha', { auto_confirm: 'yes' }), 400, 'invalid_request', 'auto_confirm must be a boolean');
    assert.deepEqual((await h.admin('GET', '/projects/alpha')).json(), before);
  });

  test('PATCH refuses an unknown api_version naming both allowed values', async () => {
    assertError(await h.admin('PATCH', '/projects/alpha', { api_version: 'v3' }), 400, 'invalid_request', 'api_version must be "v1" or "v2"');
  });
});

describe('project keys', () => {
  const first = newKeyPair();
  const second = newKeyPair();
  let firstId: string;

  before(async () => {
    const res = await h.admin('POST', '/projects', { name: 'keyed', public_key: first.publicPem });
    assert.equal(res.statusCode, 200, res.body);
    firstId = res.json().project.keys[0].id;
  });

  test('add a key: answered alone, then listed after the first', async () => {
    h.clock.advance(1_000);
    const res = await h.admin('POST', '/projects/keyed/keys', { public_key: second.publicPem });
    assert.equal(res.statusCode, 200, res.body);
    const key = res.json().key;
    assert.match(key.id, KEY_ID);
    assert.notEqual(key.id, firstId);
    assert.match(key.created_at, TIMESTAMP);
    assert.deepEqual(res.json(), { status: 'ok', key: { id: key.id, fingerprint: fingerprintOf(second.publicPem), created_at: key.created_at } });
    const keys = (await h.admin('GET', '/projects/keyed')).json().project.keys;
    assert.deepEqual(
      keys.map((k: { id: string; fingerprint: string }) => [k.id, k.fingerprint]),
      [
        [firstId, fingerprintOf(first.publicPem)],
        [key.id, fingerprintOf(second.publicPem)],
      ],
    );
  });

  test('adding a key that is already active is invalid_request', async () => {
    const res = await h.admin('POST', '/projects/keyed/keys', { public_key: second.publicPem });
    assertError(res, 400, 'invalid_request', `public_key: this key (fingerprint ${fingerprintOf(second.publicPem)}) is already active for project "keyed"`);
  });

  test('adding a bad key is invalid_request', async () => {
    const res = await h.admin('POST', '/projects/keyed/keys', { public_key: 'nope' });
    assertError(res, 400, 'invalid_request', 'public_key must be an RSA public key in PEM format (-----BEGIN PUBLIC KEY-----)');
  });

  test('delete a key; deleting it again, or a key id that never existed, is not_found', async () => {
    const res = await h.admin('DELETE', `/projects/keyed/keys/${firstId}`);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { status: 'ok' });
    const keys = (await h.admin('GET', '/projects/keyed')).json().project.keys;
    assert.deepEqual(
      keys.map((k: { fingerprint: string }) => k.fingerprint),
      [fingerprintOf(second.publicPem)],
    );
    assertError(await h.admin('DELETE', `/projects/keyed/keys/${firstId}`), 404, 'not_found', `key "${firstId}" is not an active key of project "keyed"`);
    assertError(await h.admin('DELETE', '/projects/keyed/keys/key_1'), 404, 'not_found', 'key "key_1" is not an active key of project "keyed"');
  });

  test("a key id of another project is not_found, and that project's key stays", async () => {
    const demoKeyId = (await h.admin('GET', '/projects/demo')).json().project.keys[0].id;
    assertError(await h.admin('DELETE', `/projects/keyed/keys/${demoKeyId}`), 404, 'not_found', `key "${demoKeyId}" is not an active key of project "keyed"`);
    assert.equal((await h.admin('GET', '/projects/demo')).json().project.keys.length, 1);
  });

  test('deleting the last active key is refused', async () => {
    const lastId = (await h.admin('GET', '/projects/keyed')).json().project.keys[0].id;
    assertError(
      await h.admin('DELETE', `/projects/keyed/keys/${lastId}`),
      400,
      'invalid_request',
      `key "${lastId}" is the only active key of project "keyed"; add its replacement first`,
    );
    assert.equal((await h.admin('GET', '/projects/keyed')).json().project.keys.length, 1);
  });

  test('a deleted key can be added again (it gets a new id)', async () => {
    const res = await h.admin('POST', '/projects/keyed/keys', { public_key: first.publicPem });
    assert.equal(res.statusCode, 200, res.body);
    assert.notEqual(res.json().key.id, firstId);
    assert.equal(res.json().key.fingerprint, fingerprintOf(first.publicPem));
  });
});

describe('unknown project', () => {
  const k = newKeyPair();
  const notFound = { status: 'error', error: { code: 'not_found', description: 'project "nope" does not exist' } };
  test('GET, PATCH, add key and delete key all answer 404 not_found', async () => {
    for (const res of [
      await h.admin('GET', '/projects/nope'),
      await h.admin('PATCH', '/projects/nope', { auto_confirm: true }),
      await h.admin('POST', '/projects/nope/keys', { public_key: k.publicPem }),
      await h.admin('DELETE', '/projects/nope/keys/key_1'),
    ]) {
      assert.equal(res.statusCode, 404, res.body);
      assert.deepEqual(res.json(), notFound);
    }
  });
});
