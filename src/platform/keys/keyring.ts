import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';
import type { DataKeysTable } from '../db/schema.js';
import { open, seal } from './sealing.js';

export type DataKeyPurpose = DataKeysTable['purpose'];
const PURPOSES: readonly DataKeyPurpose[] = ['card', 'card_hash', 'server_key'];

/**
 * Envelope encryption: each purpose has its own random 256-bit data key, stored wrapped (sealed)
 * by the master key. Every instance on one database unwraps the same data keys, so they all read
 * what any of them wrote; rotating the master key re-wraps these few rows and nothing else.
 */
export interface Keyring {
  key(purpose: DataKeyPurpose): Buffer;
}

export async function loadKeyring(db: Db, masterKey: Buffer, now: Date): Promise<Keyring> {
  // Concurrent first starts race to insert; ON CONFLICT keeps the first, and everyone reads it back.
  await db
    .insertInto('data_keys')
    .values(PURPOSES.map((purpose) => ({ purpose, wrapped: seal(masterKey, randomBytes(32), `data_key:${purpose}`), created_at: now })))
    .onConflict((oc) => oc.column('purpose').doNothing())
    .execute();
  const rows = await db.selectFrom('data_keys').selectAll().execute();
  const keys = new Map<DataKeyPurpose, Buffer>();
  for (const row of rows) {
    try {
      keys.set(row.purpose, open(masterKey, row.wrapped, `data_key:${row.purpose}`));
    } catch {
      throw new Error(
        'the master key does not open the data keys in this database: PAYRAIL_MASTER_KEY (or <data dir>/master.key) ' +
          'is not the one this database was created with',
      );
    }
  }
  return {
    key(purpose) {
      const k = keys.get(purpose);
      if (!k) throw new Error(`no data key for ${purpose}`);
      return k;
    },
  };
}

/**
 * Master key rotation: every data key is unwrapped with the old master key and wrapped with the new
 * one, in one transaction. Card rows, the server key and everything else sealed by data keys stay
 * as they are. Returns how many data keys were re-wrapped.
 */
export async function rewrapDataKeys(db: Db, oldMaster: Buffer, newMaster: Buffer): Promise<number> {
  return db.transaction().execute(async (tx) => {
    const rows = await tx.selectFrom('data_keys').selectAll().forUpdate().execute();
    for (const row of rows) {
      let key: Buffer;
      try {
        key = open(oldMaster, row.wrapped, `data_key:${row.purpose}`);
      } catch {
        throw new Error('the current master key does not open the data keys in this database; nothing was changed');
      }
      await tx.updateTable('data_keys').set({ wrapped: seal(newMaster, key, `data_key:${row.purpose}`) }).where('purpose', '=', row.purpose).execute();
    }
    return rows.length;
  });
}
