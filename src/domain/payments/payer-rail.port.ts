import type { Decline } from '../../kernel/operation-errors.js';
import type { ProcessorFailure } from './card-processor.port.js';
import type { PayerSource } from './payment-source.js';

/**
 * What payrail asks of the rails a payer approves outside the card network: FPS (SBP) QR payments
 * in a bank app, internet banking and wallets on a provider's page. The sandbox implements it
 * (connectors/sandbox/sandbox-payer-rails.ts) with a hosted bank app and provider pages; a connector
 * to a real provider implements the same interface. As with the card processor, every call carries
 * an operation id and must be idempotent by it.
 */
export interface OpenRequest {
  readonly operationId: string;
  readonly source: PayerSource;
  readonly amount: number;
  readonly currency: string;
  readonly now: Date;
}

/** The payment is registered with the rail: the payer must act (scan the QR, approve on the page). */
export interface Opened {
  readonly kind: 'opened';
  /** The rail's reference for the request (FPS: the message id of the QR registration). */
  readonly reference: string;
}

export type PaidResult = { readonly kind: 'paid'; readonly reference: string } | Decline;

export interface PayerRail {
  open(op: OpenRequest): Promise<Opened | Decline>;
  /** The payer's answer in the bank app / on the provider's page (or the push app), then the payment it settles. */
  complete(op: { operationId: string; source: PayerSource; approved: boolean }): Promise<PaidResult>;
  refund(op: { operationId: string; source: PayerSource; amount: number }): Promise<{ kind: 'refunded' } | Decline | ProcessorFailure>;
  /** A charge of an FPS binding (a recurrent token of an FPS payment), made by the merchant without the payer. */
  chargeBinding(op: { operationId: string; token: string; amount: number; currency: string }): Promise<PaidResult>;
  /** SberPay: a push to the payer's phone; the sandbox's payer answers in the app (docs/test-cards.md). */
  push(op: { operationId: string; phone: string }): Promise<{ kind: 'delivered'; approved: boolean }>;
}
