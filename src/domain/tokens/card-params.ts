import type { Tx } from '../../platform/db/database.js';
import { invalidRequest } from '../../kernel/errors.js';
import { luhnValid } from './card-number.js';
import { findCardByHash, sealSecurityCode, storeCard, type VaultDeps } from './vault.js';

/**
 * Replaces every full card number in operation parameters by a vault reference before anything is
 * stored: `card: {type: "bank_card", bank_card: {...}}` becomes `card: {type: "vault_card",
 * vault_card: {card_id, number_hash, brand, bin, last4, expiry…}}`. A security code is sealed with
 * AES-256-GCM, scoped to the session, and kept only until the operation no longer needs it.
 */
interface BankCardInput {
  number: string;
  expiration_month?: string;
  expiration_year?: string;
  security_code?: string;
  cardholder_name?: string;
}

export interface VaultCardRef {
  card_id: string;
  number_hash: string;
  brand: string;
  bin: string;
  last4: string;
  expiration_month?: string;
  expiration_year?: string;
  cardholder_name?: string;
  security_code_sealed?: string;
}

type Json = Record<string, unknown>;

function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

async function vaultBankCard(tx: Tx, deps: VaultDeps, projectId: string, scope: string | null, card: BankCardInput, field: string, now: Date): Promise<VaultCardRef> {
  if (!luhnValid(card.number)) throw invalidRequest(`${field}.number is not a valid card number (Luhn check failed)`);
  const stored = await storeCard(tx, deps, projectId, card.number, now, { month: card.expiration_month, year: card.expiration_year });
  const ref: VaultCardRef = { card_id: stored.cardId, number_hash: stored.numberHash, brand: stored.brand, bin: stored.bin, last4: stored.last4 };
  if (card.expiration_month !== undefined) ref.expiration_month = card.expiration_month;
  if (card.expiration_year !== undefined) ref.expiration_year = card.expiration_year;
  if (card.cardholder_name !== undefined) ref.cardholder_name = card.cardholder_name;
  if (card.security_code !== undefined && scope) ref.security_code_sealed = sealSecurityCode(deps.keyring, scope, card.security_code);
  return ref;
}

/**
 * `holder` is a PaymentDetails or PaymentMethod object; returns a copy with a bank_card vaulted, and an
 * encrypted_card (a number_hash from the vault) resolved to the same vault reference.
 */
async function protectHolder(tx: Tx, deps: VaultDeps, projectId: string, scope: string | null, holder: unknown, field: string, now: Date): Promise<unknown> {
  const obj = asObject(holder);
  const card = asObject(obj?.['card']);
  if (!obj || obj['type'] !== 'card' || !card) return holder;
  const bankCard = asObject(card['bank_card']);
  if (card['type'] === 'bank_card' && bankCard) {
    const ref = await vaultBankCard(tx, deps, projectId, scope, bankCard as unknown as BankCardInput, `${field}.card.bank_card`, now);
    return { ...obj, card: { type: 'vault_card', vault_card: ref } };
  }
  const encrypted = asObject(card['encrypted_card']);
  if (card['type'] === 'encrypted_card' && encrypted) {
    const hash = String(encrypted['number_hash']);
    const found = await findCardByHash(tx, projectId, hash);
    if (!found) throw invalidRequest(`${field}.card.encrypted_card.number_hash does not name a card of this project (tokenize the card first)`);
    const ref: VaultCardRef = { card_id: found.cardId, number_hash: hash, brand: found.brand, bin: found.bin, last4: found.last4 };
    if (found.expirationMonth) ref.expiration_month = found.expirationMonth;
    if (found.expirationYear) ref.expiration_year = found.expirationYear;
    const code = encrypted['security_code'];
    if (scope && typeof code === 'string' && /^\d{3,4}$/.test(code)) ref.security_code_sealed = sealSecurityCode(deps.keyring, scope, code);
    return { ...obj, card: { type: 'vault_card', vault_card: ref } };
  }
  return holder;
}

/**
 * `scope` binds a sealed security code to the session that will use it; null discards the code
 * (session/create keeps none: a code is only held by a started payment, until the issuer has seen it).
 */
export async function protectCardData<T extends { payment_details?: unknown; payment_method?: unknown }>(
  tx: Tx,
  deps: VaultDeps,
  projectId: string,
  scope: string | null,
  params: T,
  now: Date,
): Promise<T> {
  const out = { ...params };
  if (params.payment_details !== undefined) {
    out.payment_details = await protectHolder(tx, deps, projectId, scope, params.payment_details, 'payment_details', now);
  }
  if (params.payment_method !== undefined) {
    out.payment_method = await protectHolder(tx, deps, projectId, scope, params.payment_method, 'payment_method', now);
  }
  return out;
}
