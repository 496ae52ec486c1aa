import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadKeyring, rewrapDataKeys } from '../src/platform/keys/keyring.js';
import { revealCardNumber } from '../src/domain/tokens/vault.js';
import { startHarness, type Harness } from './helpers/harness.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h.close());

test('rotating the master key re-wraps the data keys; vaulted cards still open, and only with the new key', async () => {
  const pan = '5555555555554444';
  const created = await h.call('session/create', {
    payment_details: { type: 'card', card: { type: 'bank_card', bank_card: { number: pan, expiration_month: '12', expiration_year: '30' } } },
  });
  assert.equal(created.statusCode, 200, created.body);
  const { db } = h.runtime.database;
  const card = await db.selectFrom('cards').selectAll().executeTakeFirstOrThrow();
  const oldMaster = Buffer.from(fs.readFileSync(path.join(h.dataDir, 'master.key'), 'utf8').trim(), 'hex');
  const newMaster = randomBytes(32);
  const before = await db.selectFrom('data_keys').select(['purpose', 'wrapped']).orderBy('purpose').execute();

  assert.equal(await rewrapDataKeys(db, oldMaster, newMaster), 3);

  const after = await db.selectFrom('data_keys').select(['purpose', 'wrapped']).orderBy('purpose').execute();
  assert.deepEqual(after.map((r) => r.purpose), before.map((r) => r.purpose));
  after.forEach((r, i) => assert.notEqual(r.wrapped, before[i]!.wrapped));
  const cardAfter = await db.selectFrom('cards').selectAll().executeTakeFirstOrThrow();
  assert.deepEqual(cardAfter, card, 'card rows are untouched');
  const keyring = await loadKeyring(db, newMaster, new Date());
  assert.equal(await revealCardNumber(db, keyring, card.project_id, card.id), pan);
  await assert.rejects(loadKeyring(db, oldMaster, new Date()), /the master key does not open the data keys/);
  await assert.rejects(rewrapDataKeys(db, oldMaster, randomBytes(32)), /the current master key does not open the data keys in this database; nothing was changed/);
});
