import { assertNever } from '../../kernel/assert-never.js';
import { invalidRequest } from '../../kernel/errors.js';
import type { VaultCardRef } from '../tokens/card-params.js';

/**
 * Where a payment's money comes from, as the domain holds it: a discriminated union on `type`, one
 * variant per payment source the server can charge. The wire's `payment_details` (§6.7) is mapped
 * into it once, at start (`sourceFromParams`), and out of it only at the edge (the masked echo); the
 * database keeps the stored form below. A new source (FPS, a tokenized wallet card, …) is a new
 * variant, and every `switch (source.type)` that forgets it stops compiling (`assertNever`).
 */
export type PaymentSource = CardSource;

/** A card, as a vault reference: the number itself stays in domain/tokens. */
export interface CardSource {
  readonly type: 'card';
  readonly card: VaultCardRef;
}

type Json = Record<string, unknown>;
const asObject = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

/**
 * The payment_details of a start, after domain/tokens replaced card data by a vault reference:
 * a source, or a precise refusal naming what this server cannot charge.
 */
export function sourceFromParams(details: unknown): PaymentSource {
  const obj = asObject(details);
  const card = asObject(obj?.['card']);
  const ref = asObject(card?.['vault_card']);
  if (obj?.['type'] === 'card' && card?.['type'] === 'vault_card' && ref) return { type: 'card', card: ref as unknown as VaultCardRef };
  const kind = obj?.['type'] === 'card' ? `card.type ${String(card?.['type'])}` : `type ${String(obj?.['type'])}`;
  throw invalidRequest(`payment_details.${kind} is not supported by this server: pay with card.bank_card or card.encrypted_card`);
}

/** The stored form (payments.payment_details): the shape the vault hands back, kept for existing rows. */
export function sourceToStored(source: PaymentSource): Json {
  switch (source.type) {
    case 'card':
      return { type: 'card', card: { type: 'vault_card', vault_card: source.card } };
    default:
      return assertNever(source.type, 'payment source');
  }
}

export function sourceFromStored(stored: unknown): PaymentSource {
  return sourceFromParams(stored);
}

/** The source without a sealed security code (unchanged when there is none): kept only until the issuer saw it. */
export function withoutSecurityCode(source: PaymentSource): PaymentSource {
  switch (source.type) {
    case 'card': {
      if (source.card.security_code_sealed === undefined) return source;
      const { security_code_sealed: _, ...card } = source.card;
      return { ...source, card };
    }
    default:
      return assertNever(source.type, 'payment source');
  }
}

/** The card a source charges, if it is one: brand and last4 for pages and masks. */
export function cardOf(source: PaymentSource): VaultCardRef | undefined {
  return source.type === 'card' ? source.card : undefined;
}
