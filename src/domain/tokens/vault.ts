import { createHmac } from 'node:crypto';
import type { Queryable, Tx } from '../../platform/db/database.js';
import type { Keyring } from '../../platform/keys/keyring.js';
import { open, seal } from '../../platform/keys/sealing.js';
import type { IdGenerator } from '../../kernel/ids.js';
import { maskCard, type MaskedCard } from './card-number.js';

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
  await tx
    .insertInto('cards')
    .values({
      id: deps.ids('card'),
      project_id: projectId,
      number_hash: hash,
      number_sealed: seal(deps.keyring.key('card'), number, `card:${projectId}`),
      bin: masked.bin,
      last4: masked.last4,
      brand: masked.brand,
      created_at: now,
      expiration_month: expiry?.month ?? null,
      expiration_year: expiry?.year ?? null,
    })
    // The same card again: keep its id (and hash), and learn a newer expiry if one was given.
    .onConflict((oc) =>
      oc.columns(['project_id', 'number_hash']).doUpdateSet((eb) => ({
        expiration_month: expiry?.month ? eb.val(expiry.month) : eb.ref('cards.expiration_month'),
        expiration_year: expiry?.year ? eb.val(expiry.year) : eb.ref('cards.expiration_year'),
      })),
    )
    .execute();
  const row = await tx
    .selectFrom('cards')
    .select(['id'])
    .where('project_id', '=', projectId)
    .where('number_hash', '=', hash)
    .executeTakeFirstOrThrow();
  return { cardId: row.id, numberHash: hash, ...masked };
}

/** Seals a security code for the short time between collection and authorization; it is never stored in clear. */
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
