/**
 * The closed list of codes an operation (payment, payout, refund) can fail with: they appear in an
 * operation's `error.code` on the wire, never as the HTTP error of a call. Smart Glocal / Bank 131
 * names where they exist (spec §3.4); docs/errors.md describes each. A connector that meets a code
 * outside this list maps it to the nearest one (provider_internal_error when unsure).
 */
export const OPERATION_ERROR_CODES = [
  'card_declined',
  'insufficient_funds',
  'bank_card_expired',
  'provider_internal_error',
  'provider_timeout',
  '3DS_error',
  '3DS_timeout',
  'confirm_timeout',
  'capture_timeout',
  'cancelled_by_partner',
  'cancelled_by_customer',
  'customer_interaction_timeout',
  'account_not_found',
  'refund_declined',
  'provider_issuer_unavailable',
  'amount_less_allowed_provider',
  'provider_exceeds_amount_limit',
  'activity_count_exceeded',
  'card_number_does_not_exist',
  'provider_foreign_transfer_prohibited',
  'binding_is_deactivated',
  'taxpayer_unknown',
  'taxpayer_not_bound',
  'taxpayer_income_exceeds_amount_limit',
] as const;

export type OperationErrorCode = (typeof OPERATION_ERROR_CODES)[number];

export interface OperationError {
  readonly code: OperationErrorCode;
  readonly description: string;
}

/** A connector's refusal (the card network, a bank rail): final for the operation, nothing moved. */
export interface Decline {
  readonly kind: 'declined';
  readonly code: OperationErrorCode;
  readonly description: string;
}

export function isOperationErrorCode(value: string): value is OperationErrorCode {
  return (OPERATION_ERROR_CODES as readonly string[]).includes(value);
}

/** A stored code read back from the database: the closed list, or provider_internal_error for an unknown one. */
export function operationErrorOf(code: string | null, description: string | null): OperationError | null {
  if (!code) return null;
  return { code: isOperationErrorCode(code) ? code : 'provider_internal_error', description: description ?? '' };
}
