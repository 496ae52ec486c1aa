import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Db } from '../db/database.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Keyring } from './keyring.js';
import { open, seal } from './sealing.js';

/** The server's RSA-2048 pair for signing webhooks: one per database, so every instance signs alike. */
export interface ServerKey {
  readonly id: string;
  readonly publicKeyPem: string;
  readonly privateKey: KeyObject;
}

const AAD = 'server_key';

export async function loadServerKey(db: Db, keyring: Keyring, ids: IdGenerator, now: Date): Promise<ServerKey> {
  let row = await db.selectFrom('server_keys').selectAll().orderBy('created_at').limit(1).executeTakeFirst();
  if (!row) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await db
      .insertInto('server_keys')
      .values({
        id: ids('key'),
        public_key_pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        private_key_sealed: seal(keyring.key('server_key'), pem, AAD),
        created_at: now,
      })
      .execute();
    // Two instances starting together may both insert; the oldest row wins for everyone.
    row = await db.selectFrom('server_keys').selectAll().orderBy('created_at').orderBy('id').limit(1).executeTakeFirstOrThrow();
  }
  const privateKey = createPrivateKey(open(keyring.key('server_key'), row.private_key_sealed, AAD).toString());
  // Derive rather than trust the stored PEM, so the two halves can never disagree.
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return { id: row.id, publicKeyPem, privateKey };
}
