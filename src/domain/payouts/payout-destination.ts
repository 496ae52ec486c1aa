import { assertNever } from '../../kernel/assert-never.js';
import type { VaultCardRef } from '../tokens/card-params.js';

/**
 * Where a payout's money goes, as the domain holds it: a discriminated union on `type` (§6.8). A card
 * is a vault reference; a bank account carries its system type and that system's fields; a wallet
 * its fields. Bank accounts and wallets are echoed back exactly as the partner gave them (`given`),
 * after destination.ts has checked them. The stored form (payouts.payment_method) is that echo, with
 * a card as the vault's reference.
 */
export type PayoutDestination = CardDestination | BankAccountDestination | WalletDestination;

export const BANK_SYSTEM_TYPES = ['global', 'iban', 'ru', 'faster_payment_system', 'faster_payment_system_verification'] as const;
export type BankSystemType = (typeof BANK_SYSTEM_TYPES)[number];

type Json = Readonly<Record<string, unknown>>;

export interface CardDestination {
  readonly type: 'card';
  readonly card: VaultCardRef;
}

export interface BankAccountDestination {
  readonly type: 'bank_account';
  readonly systemType: BankSystemType;
  /** The fields of `bank_account[systemType]` (iban, account, phone, bank_id, …). */
  readonly account: Json;
  readonly given: Json;
}

export interface WalletDestination {
  readonly type: 'wallet';
  /** The wallet's own fields (`wallet[wallet.type]`, or the wallet object itself). */
  readonly wallet: Json;
  readonly given: Json;
}

const asObject = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

/** A destination that destination.ts has accepted (card data already a vault reference). */
export function destinationFromParams(method: unknown): PayoutDestination {
  const m = asObject(method);
  switch (m['type']) {
    case 'card': {
      const ref = asObject(asObject(m['card'])['vault_card']);
      if (typeof ref['card_id'] !== 'string') throw new Error('a card destination must be vaulted before it is held');
      return { type: 'card', card: ref as unknown as VaultCardRef };
    }
    case 'bank_account': {
      const account = asObject(m['bank_account']);
      const systemType = account['system_type'];
      if (!(BANK_SYSTEM_TYPES as readonly unknown[]).includes(systemType)) throw new Error(`unknown bank_account.system_type ${String(systemType)}`);
      return { type: 'bank_account', systemType: systemType as BankSystemType, account: asObject(account[systemType as string]), given: m };
    }
    case 'wallet': {
      const w = asObject(m['wallet']);
      const inner = w[String(w['type'])];
      return { type: 'wallet', wallet: inner === undefined ? w : asObject(inner), given: m };
    }
    default:
      throw new Error(`unknown payout destination type ${String(m['type'])}`);
  }
}

export const destinationFromStored = destinationFromParams;

export function destinationToStored(d: PayoutDestination): Json {
  switch (d.type) {
    case 'card':
      return { type: 'card', card: { type: 'vault_card', vault_card: d.card } };
    case 'bank_account':
    case 'wallet':
      return d.given;
    default:
      return assertNever(d, 'payout destination');
  }
}
