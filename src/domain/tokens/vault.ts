import { createHmac } from 'node:crypto';
import type { Queryable, Tx } from '../../platform/db/database.js';
import type { Keyring } from '../../platform/keys/keyring.js';
import { open, seal } from '../../platform/keys/sealing.js';
import type { IdGenerator } from '../../kernel/ids.js';
import { maskCard, type MaskedCard } from './card-number.js';
import { updateLater, writeLater } from '../../platform/db/write-behind.js';

/**
 * The card vault: the only code that holds a full card number after validation. Numbers are sealed
 * with AES-256-GCM under the `card` data key. `number_hash` is an HMAC of the number under the
 * `card_hash` data key, scoped to the project, so it cannot be reversed by hashing every card number
 * and one card gives one hash per project.
 */
export interface VaultDeps {
  readonly keyring: Keyring;
  readonly ids: IdGenerator;
}

export interface VaultCard extends MaskedCard {
  readonly cardId: string;
  readonly numberHash: string;
}

export function numberHash(keyring: Keyring, projectId: string, number: string): string {
  return createHmac('sha256', keyring.key('card_hash')).update(`${projectId}:${number}`).digest('hex');
}

/**
 * A new card's id: derived from its number_hash (itself a keyed HMAC, scoped to the project), so two
 * calls that store the same new card at once name the same row, and the write can wait for the
 * transaction's other writes (write-behind.ts) instead of being read back. Numeric like every id
 * here; 64 bits of the hash.
 */
export const cardIdOf = (hash: string): string => `card_${BigInt(`0x${hash.slice(0, 16)}`).toString()}`;

/**
 * Vaults a card number for the project, once: the same number again is the same card (its id and
 * hash), and learns a newer expiry if one was given. A plain read, then a write behind.
 */
export async function storeCard(
  tx: Tx,
  deps: VaultDeps,
  projectId: string,
  number: string,
  now: Date,
  expiry?: { month: string | undefined; year: string | undefined },
): Promise<VaultCard> {
  const hash = numberHash(deps.keyring, projectId, number);
  const masked = maskCard(number);
  const month = expiry?.month || undefined;
  const year = expiry?.year || undefined;
  const known = await tx
    .selectFrom('cards')
    .select(['id', 'expiration_month', 'expiration_year'])
    .where('project_id', '=', projectId)
    .where('number_hash', '=', hash)
    .executeTakeFirst();
  if (known) {
    const set = { ...(month && month !== known.expiration_month ? { expiration_month: month } : {}), ...(year && year !== known.expiration_year ? { expiration_year: year } : {}) };
    if (Object.keys(set).length > 0) await updateLater(tx, 'cards', known.id, set);
    return { cardId: known.id, numberHash: hash, ...masked };
  }
  const id = cardIdOf(hash);
  await writeLater(tx, 'cards', id, (db) =>
    db
      .insertInto('cards')
      .values({
        id,
        project_id: projectId,
        number_hash: hash,
        number_sealed: seal(deps.keyring.key('card'), number, `card:${projectId}`),
        bin: masked.bin,
        last4: masked.last4,
        brand: masked.brand,
        created_at: now,
        expiration_month: month ?? null,
        expiration_year: year ?? null,
      })
      // Stored meanwhile by a concurrent call (with this same id): keep it, with a newer expiry if one was given.
      .onConflict((oc) =>
        oc.columns(['project_id', 'number_hash']).doUpdateSet((eb) => ({
          expiration_month: month ? eb.val(month) : eb.ref('cards.expiration_month'),
          expiration_year: year ? eb.val(year) : eb.ref('cards.expiration_year'),
        })),
      ),
  );
  return { cardId: id, numberHash: hash, ...masked };
}

export function sealSecurityCode(keyring: Keyring, scope: string, code: string): string {
  return seal(keyring.key('card'), code, `security_code:${scope}`);
}

export function openSecurityCode(keyring: Keyring, scope: string, sealed: string): string {
  return open(keyring.key('card'), sealed, `security_code:${scope}`).toString();
}

/** The card a number_hash names, for this project only (another project's hash is unknown here). */
export interface StoredCardInfo {
  readonly cardId: string;
  readonly numberHash: string;
  readonly brand: string;
  readonly bin: string;
  readonly last4: string;
  readonly expirationMonth: string | null;
  readonly expirationYear: string | null;
}

export async function findCardByHash(db: Queryable, projectId: string, hash: string): Promise<StoredCardInfo | undefined> {
  const row = await db.selectFrom('cards').selectAll().where('project_id', '=', projectId).where('number_hash', '=', hash).executeTakeFirst();
  return row && { cardId: row.id, numberHash: row.number_hash, brand: row.brand, bin: row.bin, last4: row.last4, expirationMonth: row.expiration_month, expirationYear: row.expiration_year };
}

export async function findCardById(db: Queryable, projectId: string, cardId: string): Promise<StoredCardInfo | undefined> {
  const row = await db.selectFrom('cards').selectAll().where('project_id', '=', projectId).where('id', '=', cardId).executeTakeFirst();
  return row && { cardId: row.id, numberHash: row.number_hash, brand: row.brand, bin: row.bin, last4: row.last4, expirationMonth: row.expiration_month, expirationYear: row.expiration_year };
}

/** Opens a vaulted number for the processor call that needs it. Nothing else may ask for it. */
export async function revealCardNumber(db: Queryable, keyring: Keyring, projectId: string, cardId: string): Promise<string> {
  const row = await db.selectFrom('cards').select(['number_sealed']).where('project_id', '=', projectId).where('id', '=', cardId).executeTakeFirstOrThrow();
  return open(keyring.key('card'), row.number_sealed, `card:${projectId}`).toString();
}
