import { assertNever } from '../../kernel/assert-never.js';
import { invalidRequest } from '../../kernel/errors.js';
import type { VaultCardRef } from '../tokens/card-params.js';

/**
 * Where a payment's money comes from, as the domain holds it: a discriminated union on `type`, one
 * variant per payment source the server can charge. The wire's `payment_details` (§6.7) is mapped
 * into it once, at start (payment.service `startPayment`), and out of it only at the edge (the
 * masked echo, edge/wire/payment-source.wire.ts); the database keeps the stored form below. A new
 * source is a new variant, and every `switch (source.type)` that forgets it stops compiling.
 *
 * Two families: sources that are a card in the vault (`card`, `wallet_card`, `recurrent`), charged
 * through the card processor; and sources the payer approves in an app or on a provider's page
 * (`faster_payment_system`, `internet_banking`, `wallet`), charged through a payer rail
 * (payer-rail.port.ts).
 */
export type PaymentSource = CardSource | WalletCardSource | RecurrentSource | FpsSource | FpsBindingSource | InternetBankingSource | WalletSource;

/** A card, as a vault reference: the number itself stays in domain/tokens. */
export interface CardSource {
  readonly type: 'card';
  readonly card: VaultCardRef;
}

/**
 * A card that arrived inside a wallet token (`card.tokenized_card`, `secured_card.google_pay` /
 * `apple_pay`): the token was decrypted at start, its card vaulted; `wallet` says how it came.
 */
export interface WalletCardSource {
  readonly type: 'wallet_card';
  readonly wallet: CardWallet;
  readonly card: VaultCardRef;
}
export const CARD_WALLETS = ['tokenized_card', 'google_pay', 'apple_pay'] as const;
export type CardWallet = (typeof CARD_WALLETS)[number];

/** A saved card charged again with its recurrent token (§8): the echo names the token, not the card. */
export interface RecurrentSource {
  readonly type: 'recurrent';
  readonly token: string;
  readonly initiator: 'merchant' | 'client';
  readonly card: VaultCardRef;
}

/** An FPS (SBP) QR payment: the payer scans the QR with a bank app and pays there. */
export interface FpsSource {
  readonly type: 'faster_payment_system';
}

/**
 * An FPS (SBP) account bound by a first FPS payment with payment_options.recurrent (§8, "FPS recurring
 * binding"), charged again with its recurrent token by the merchant, without the payer: the echo is
 * `{type: recurrent, recurrent: {token, initiator: merchant}}`, as for a saved card.
 */
export interface FpsBindingSource {
  readonly type: 'fps_binding';
  readonly token: string;
}

/** A provider's page (redirect): the payer logs in there and approves. */
export interface InternetBankingSource {
  readonly type: 'internet_banking';
  readonly provider: InternetBankingProvider;
  /** sber_pay only: the channel (app, web, mobile_web) and the payer's phone for a push. */
  readonly channel?: string | undefined;
  readonly phone?: string | undefined;
}

export interface WalletSource {
  readonly type: 'wallet';
  readonly provider: WalletProvider;
}

/** The closed lists of providers the sandbox has a page for (docs/test-cards.md). */
export const INTERNET_BANKING_PROVIDERS = ['sber_pay', 'tpay', 'alipay', 'pix'] as const;
export type InternetBankingProvider = (typeof INTERNET_BANKING_PROVIDERS)[number];
export const WALLET_PROVIDERS = ['yoomoney', 'moneta', 'steam'] as const;
export type WalletProvider = (typeof WALLET_PROVIDERS)[number];
export const SBER_PAY_CHANNELS = ['app', 'web', 'mobile_web'] as const;

/** The payment_details types this server charges (§6.7); the rest is refused at validation. */
export const PAYMENT_DETAILS_TYPES = ['card', 'recurrent', 'faster_payment_system', 'secured_card', 'internet_banking', 'wallet'] as const;
export const PAYMENT_CARD_TYPES = ['bank_card', 'encrypted_card', 'tokenized_card'] as const;

type Json = Record<string, unknown>;
const asObject = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const oneOf = (list: readonly string[], v: unknown): boolean => typeof v === 'string' && list.includes(v);
const mustBeOneOf = (field: string, list: readonly string[]) => `${field} must be one of: ${list.join(', ')}`;

/**
 * The one check of "can this server charge that source at all", in the words the request schema
 * uses (edge/wire/objects.schema.ts builds its enums from the same lists, so session/create,
 * init/payment and start/payment refuse with this very sentence; a start re-checks what
 * session/create stored). Undefined when the source is supported; `vault_card` is the form
 * domain/tokens leaves after it vaulted a bank_card or resolved an encrypted_card.
 */
export function unsupportedSourceProblem(details: unknown): string | undefined {
  const obj = asObject(details);
  if (!obj) return 'payment_details must be a JSON object';
  const type = obj['type'];
  if (typeof type !== 'string') return 'payment_details.type is required and must be a string';
  if (!oneOf(PAYMENT_DETAILS_TYPES, type)) return 'payment_details.type has an unsupported value';
  const body = asObject(obj[type]);
  if (type === 'faster_payment_system') return undefined;
  if (!body) return `payment_details.${type} is required`;
  switch (type) {
    case 'card':
      return oneOf([...PAYMENT_CARD_TYPES, 'vault_card'], body['type']) ? undefined : 'payment_details.card.type has an unsupported value';
    case 'secured_card':
      return oneOf(['google_pay', 'apple_pay'], body['type']) ? undefined : 'payment_details.secured_card.type has an unsupported value';
    case 'internet_banking':
      return oneOf(INTERNET_BANKING_PROVIDERS, body['type']) ? undefined : mustBeOneOf('payment_details.internet_banking.type', INTERNET_BANKING_PROVIDERS);
    case 'wallet':
      return oneOf(WALLET_PROVIDERS, body['type']) ? undefined : mustBeOneOf('payment_details.wallet.type', WALLET_PROVIDERS);
    default:
      return undefined;
  }
}

export function assertSupportedSource(details: unknown): void {
  const problem = unsupportedSourceProblem(details);
  if (problem) throw invalidRequest(problem);
}

/**
 * The sources whose wire form maps to one without a lookup (a vaulted card, FPS, a provider);
 * recurrent tokens and wallet tokens need the vault and a decrypter, which payment.service holds.
 */
export function directSource(details: Json): PaymentSource | undefined {
  const type = details['type'];
  if (type === 'card') {
    const card = asObject(details['card']);
    const ref = asObject(card?.['vault_card']);
    return card?.['type'] === 'vault_card' && ref ? { type: 'card', card: ref as unknown as VaultCardRef } : undefined;
  }
  if (type === 'faster_payment_system') return { type: 'faster_payment_system' };
  if (type === 'internet_banking') {
    const ib = asObject(details['internet_banking'])!;
    const provider = ib['type'] as InternetBankingProvider;
    const sber = provider === 'sber_pay' ? asObject(ib['sber_pay']) : undefined;
    return {
      type: 'internet_banking',
      provider,
      ...(typeof sber?.['channel'] === 'string' ? { channel: sber['channel'] } : {}),
      ...(typeof sber?.['phone'] === 'string' ? { phone: sber['phone'] } : {}),
    };
  }
  if (type === 'wallet') return { type: 'wallet', provider: asObject(details['wallet'])!['type'] as WalletProvider };
  return undefined;
}

const vaultCardOf = (v: unknown): VaultCardRef => {
  const ref = asObject(v);
  if (!ref || typeof ref['card_id'] !== 'string') throw new Error('stored payment source without its vault card');
  return ref as unknown as VaultCardRef;
};

/**
 * The stored form (payments.payment_details). A card keeps the shape the vault hands back
 * (`{type: card, card: {type: vault_card, vault_card}}`), so every row written before the other
 * sources existed reads back unchanged; the other sources have forms of their own.
 */
export function sourceToStored(source: PaymentSource): Json {
  switch (source.type) {
    case 'card':
      return { type: 'card', card: { type: 'vault_card', vault_card: source.card } };
    case 'wallet_card':
      return { type: 'wallet_card', wallet: source.wallet, vault_card: source.card };
    case 'recurrent':
      return { type: 'recurrent', recurrent: { token: source.token, initiator: source.initiator }, vault_card: source.card };
    case 'faster_payment_system':
      return { type: 'faster_payment_system' };
    case 'fps_binding':
      return { type: 'fps_binding', recurrent: { token: source.token, initiator: 'merchant' } };
    case 'internet_banking':
      return { type: 'internet_banking', internet_banking: { type: source.provider, ...(source.channel ? { channel: source.channel } : {}), ...(source.phone ? { phone: source.phone } : {}) } };
    case 'wallet':
      return { type: 'wallet', wallet: { type: source.provider } };
    default:
      return assertNever(source, 'payment source');
  }
}

export function sourceFromStored(stored: unknown): PaymentSource {
  const obj = asObject(stored) ?? {};
  switch (obj['type']) {
    case 'card':
      return { type: 'card', card: vaultCardOf(asObject(obj['card'])?.['vault_card']) };
    case 'wallet_card':
      return { type: 'wallet_card', wallet: obj['wallet'] as CardWallet, card: vaultCardOf(obj['vault_card']) };
    case 'recurrent': {
      const r = asObject(obj['recurrent']) ?? {};
      return { type: 'recurrent', token: String(r['token']), initiator: r['initiator'] === 'client' ? 'client' : 'merchant', card: vaultCardOf(obj['vault_card']) };
    }
    case 'faster_payment_system':
      return { type: 'faster_payment_system' };
    case 'fps_binding':
      return { type: 'fps_binding', token: String(asObject(obj['recurrent'])?.['token']) };
    case 'internet_banking': {
      const ib = asObject(obj['internet_banking']) ?? {};
      return {
        type: 'internet_banking',
        provider: ib['type'] as InternetBankingProvider,
        ...(typeof ib['channel'] === 'string' ? { channel: ib['channel'] } : {}),
        ...(typeof ib['phone'] === 'string' ? { phone: ib['phone'] } : {}),
      };
    }
    case 'wallet':
      return { type: 'wallet', provider: asObject(obj['wallet'])?.['type'] as WalletProvider };
    default:
      throw new Error(`stored payment source of unknown type ${String(obj['type'])}`);
  }
}

/** The source without a sealed security code (unchanged when there is none): kept only until the issuer saw it. */
export function withoutSecurityCode(source: PaymentSource): PaymentSource {
  switch (source.type) {
    case 'card':
    case 'wallet_card':
    case 'recurrent': {
      if (source.card.security_code_sealed === undefined) return source;
      const { security_code_sealed: _, ...card } = source.card;
      return { ...source, card };
    }
    case 'faster_payment_system':
    case 'fps_binding':
    case 'internet_banking':
    case 'wallet':
      return source;
    default:
      return assertNever(source, 'payment source');
  }
}

/** The card a source charges, if it is one: brand and last4 for pages and masks. */
export function cardOf(source: PaymentSource): VaultCardRef | undefined {
  switch (source.type) {
    case 'card':
    case 'wallet_card':
    case 'recurrent':
      return source.card;
    case 'faster_payment_system':
    case 'fps_binding':
    case 'internet_banking':
    case 'wallet':
      return undefined;
    default:
      return assertNever(source, 'payment source');
  }
}

/** The sources the payer approves outside the card network: FPS in a bank app, the others on a provider's page. */
export type PayerSource = FpsSource | InternetBankingSource | WalletSource;
export const payerSourceOf = (source: PaymentSource): PayerSource | undefined =>
  source.type === 'faster_payment_system' || source.type === 'internet_banking' || source.type === 'wallet' ? source : undefined;

/** The payer rail a payment's money went through: its payer source, or FPS for an FPS binding (refunds go back that way). */
export const payerRailOf = (source: PaymentSource): PayerSource | undefined =>
  source.type === 'fps_binding' ? { type: 'faster_payment_system' } : payerSourceOf(source);

/** What the payer is shown for a source in messages and pages: "FPS", "sber_pay", "a card". */
export function describeSource(source: PaymentSource): string {
  switch (source.type) {
    case 'card':
    case 'wallet_card':
    case 'recurrent':
      return 'card';
    case 'faster_payment_system':
    case 'fps_binding':
      return 'faster_payment_system';
    case 'internet_banking':
      return `internet_banking ${source.provider}`;
    case 'wallet':
      return `wallet ${source.provider}`;
    default:
      return assertNever(source, 'payment source');
  }
}
