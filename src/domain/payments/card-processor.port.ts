import type { Decline, OperationErrorCode } from '../../kernel/operation-errors.js';

/**
 * What payrail asks of a card processor. The sandbox implements it with test cards; a connector to a
 * real Smart Glocal-compatible endpoint implements the same interface. Every call carries an
 * operation id and must be idempotent by it: asking again returns the first answer, never a second
 * authorization, capture or refund. That is what makes a crashed payment safe to resume.
 */
export interface ProcessorCard {
  readonly number: string;
  readonly expirationMonth: string | undefined;
  readonly expirationYear: string | undefined;
  readonly securityCode: string | undefined;
}

export type { Decline };

/** The processor failed in a way that says nothing about the outcome; an operator must look. */
export interface ProcessorFailure {
  readonly kind: 'error';
  readonly code: OperationErrorCode;
  readonly description: string;
}

export type AuthorizeResult =
  | { readonly kind: 'approved'; readonly rrn: string; readonly authCode: string; readonly chargebackAfterMs?: number }
  /** rrn: the network's reference of the authorization the challenge holds, shown as transaction_info on action_required (§9.3). */
  | { readonly kind: 'challenge'; readonly rrn?: string }
  | Decline
  /** The processor failed without an outcome: the payment goes to `error` (support resolves it). */
  | ProcessorFailure;

export interface AuthorizeRequest {
  readonly operationId: string;
  readonly card: ProcessorCard;
  readonly amount: number;
  readonly currency: string;
  readonly capture: boolean;
  readonly now: Date;
  /** A charge of a saved card: merchant-initiated (no payer, no 3-D Secure) or client-initiated (3-D Secure). */
  readonly initiator?: 'merchant' | 'client' | undefined;
}

export interface CardProcessor {
  /** Looks at the card before the partner confirms (enrolment, BIN). Declines nothing that needs the issuer. */
  precheck(op: { operationId: string; card: ProcessorCard }): Promise<{ kind: 'ok' } | Decline>;
  /** Asks the issuer. `capture: true` is a sale (authorize and capture); false places a hold. */
  authorize(op: AuthorizeRequest): Promise<AuthorizeResult>;
  /** The payer's answer on the 3-D Secure page, then the authorization it unlocks. */
  completeChallenge(op: { operationId: string; card: ProcessorCard; confirmed: boolean; capture: boolean }): Promise<AuthorizeResult>;
  capture(op: { operationId: string; amount: number }): Promise<{ kind: 'captured' } | Decline>;
  void(op: { operationId: string }): Promise<{ kind: 'voided' }>;
  /** A refund: done, refused (declined), or failed unexpectedly (error: an operator must look). */
  refund(op: { operationId: string; amount: number }): Promise<{ kind: 'refunded' } | Decline | ProcessorFailure>;
}

/** The card inside a wallet token (Apple Pay, Google Pay, a processor's tokenized card), as the processor decrypted it. */
export interface DecryptedWalletCard {
  readonly number: string;
  readonly expirationMonth: string;
  readonly expirationYear: string;
}

/**
 * Opens wallet tokens (`card.tokenized_card.token`, `secured_card.google_pay|apple_pay.token`). The
 * sandbox knows its documented test tokens (docs/test-cards.md); a live connector would decrypt
 * with the merchant's wallet keys. Undefined: the token is not one this decrypter can open.
 */
export interface WalletTokenDecrypter {
  decrypt(wallet: 'tokenized_card' | 'google_pay' | 'apple_pay', token: string): DecryptedWalletCard | undefined;
}
