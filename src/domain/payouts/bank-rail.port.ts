import type { Decline, OperationErrorCode } from '../../kernel/operation-errors.js';
import type { Rail } from './rails.js';

/**
 * What payrail asks of the rails that carry payouts (card networks for card payouts, bank transfer
 * systems, FPS, wallets). Like the card processor, every call is idempotent by operation id.
 */
export interface RailRequest {
  readonly operationId: string;
  readonly rail: Rail;
  /** The account identifier the rail routes on: card number, IBAN or account number, phone, wallet account. */
  readonly destination: string;
  readonly amount: number;
  readonly currency: string;
}

export type SendResult =
  | {
      readonly kind: 'accepted';
      readonly reference: string;
      /** The card network's authorization code (card payouts). */
      readonly authCode?: string;
      /** When the money arrives (0: at once). */
      readonly settleAfterMs: number;
      /** Set when the recipient's bank will send the money back this long after it arrived. */
      readonly returnAfterMs?: number;
    }
  | Decline
  | RailFailure
  /** No answer in time: the outcome is unknown until reconciliation. */
  | { readonly kind: 'timeout'; readonly reconcileAfterMs: number };

/** The rail failed in a way that says nothing about the outcome: support must look (session in error). */
export interface RailFailure {
  readonly kind: 'error';
  readonly code: OperationErrorCode;
  readonly description: string;
}

export type ReconcileResult =
  | { readonly kind: 'settled'; readonly reference: string; readonly authCode?: string; readonly returnAfterMs?: number }
  | Decline
  | { readonly kind: 'still_unknown'; readonly retryAfterMs: number };

export interface BankRails {
  send(req: RailRequest): Promise<SendResult>;
  reconcile(req: RailRequest): Promise<ReconcileResult>;
  /** FPS: whether a phone is registered with the bank (customer verification, §5.16). */
  verifyFpsCustomer(op: { operationId: string; phone: string; bankId: string }): Promise<{ kind: 'found' } | Decline>;
}
