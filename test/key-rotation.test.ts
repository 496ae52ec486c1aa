import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newKeyPair, startHarness, type Harness } from './helpers/harness.js';
import { eventually, injectSigned, startPeer } from './helpers/peer.js';
import { onPostgres } from './helpers/test-db.js';

/** Rotating a partner's signing key without downtime, on one instance and across instances. */
let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h.close());

const rejected = (project: string) =>
  JSON.stringify({
    status: 'error',
    error: { code: 'authentication_error', description: `X-PARTNER-SIGN does not verify the request body with any active key of project "${project}"` },
  });

describe('key rotation on one instance', () => {
  test('both keys sign while both are active; after deleting the old one only the new one does', async () => {
    const oldKey = newKeyPair();
    const newKey = newKeyPair();
    const created = await h.admin('POST', '/projects', { name: 'rotor', public_key: oldKey.publicPem });
    assert.equal(created.statusCode, 200, created.body);
    const oldId = created.json().project.keys[0].id;

    const withOld = async () => h.call('session/create', { metadata: 'old' }, { project: 'rotor', key: oldKey.privateKey });
    const withNew = async () => h.call('session/create', { metadata: 'new' }, { project: 'rotor', key: newKey.privateKey });
    assert.equal((await withOld()).statusCode, 200);
    const early = await withNew();
    assert.equal(early.statusCode, 401);
    assert.equal(early.body, rejected('rotor'));

    const added = await h.admin('POST', '/projects/rotor/keys', { public_key: newKey.publicPem });
    assert.equal(added.statusCode, 200, added.body);
    const a = await withOld();
    const b = await withNew();
    assert.equal(a.statusCode, 200, a.body);
    assert.equal(b.statusCode, 200, b.body);
    assert.equal(a.json().session.status, 'created');
    assert.equal(b.json().session.status, 'created');

    const deleted = await h.admin('DELETE', `/projects/rotor/keys/${oldId}`);
    assert.equal(deleted.statusCode, 200, deleted.body);
    const old = await withOld();
    assert.equal(old.statusCode, 401);
    assert.equal(old.body, rejected('rotor'));
    assert.equal((await withNew()).statusCode, 200);
  });

  test("a project's key does not sign for another project", async () => {
    const mine = newKeyPair();
    assert.equal((await h.admin('POST', '/projects', { name: 'solo', public_key: mine.publicPem })).statusCode, 200);
    const res = await h.call('session/create', {}, { project: 'demo', key: mine.privateKey });
    assert.equal(res.statusCode, 401);
    assert.equal(res.body, rejected('demo'));
  });
});

describe('key rotation across instances', { skip: !onPostgres && 'needs PostgreSQL' }, () => {
  test('a key added on instance A signs on instance B within 3 s; a key deleted on A stops on B within 3 s', async () => {
    const peer = await startPeer(h);
    try {
      const oldKey = newKeyPair();
      const newKey = newKeyPair();
      const onB = (key: typeof oldKey) => injectSigned(peer, 'session/create', { metadata: 'b' }, { project: 'spread', key: key.privateKey });

      // B learns about the project (and caches that it is unknown first, then its one key).
      const unknown = await onB(oldKey);
      assert.equal(unknown.status, 401);
      assert.deepEqual(JSON.parse(unknown.body).error, { code: 'identification_error', description: 'project "spread" is not known' });
      const created = await h.admin('POST', '/projects', { name: 'spread', public_key: oldKey.publicPem });
      assert.equal(created.statusCode, 200, created.body);
      const oldId = created.json().project.keys[0].id;
      await eventually(async () => (await onB(oldKey)).status === 200, 3_000, 'a project created on A is known on B');
      const notYet = await onB(newKey);
      assert.equal(notYet.status, 401);
      assert.equal(notYet.body, rejected('spread'));

      assert.equal((await h.admin('POST', '/projects/spread/keys', { public_key: newKey.publicPem })).statusCode, 200);
      await eventually(async () => (await onB(newKey)).status === 200, 3_000, 'a key added on A signs on B');
      assert.equal((await onB(oldKey)).status, 200, 'the old key still signs on B while active');

      assert.equal((await h.admin('DELETE', `/projects/spread/keys/${oldId}`)).statusCode, 200);
      await eventually(async () => (await onB(oldKey)).status === 401, 3_000, 'a key deleted on A is refused on B');
      const refused = await onB(oldKey);
      assert.equal(refused.body, rejected('spread'));
      assert.equal((await onB(newKey)).status, 200, 'the new key still signs on B');
    } finally {
      await peer.close();
    }
  });
});
