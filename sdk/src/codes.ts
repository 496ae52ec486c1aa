/**
 * The server's two closed lists of error codes (docs/errors.md), copied here because the SDK imports
 * nothing of the server; test/sdk.test.ts compares them with the server's own lists, so a code
 * added on one side only fails a test.
 */

/** A refused call: the error envelope's `error.code`, with the HTTP status it always comes with. */
export const API_ERROR_STATUS = {
  invalid_request: 400,
  amount_exceeds_limit: 400,
  binding_is_deactivated: 400,
  taxpayer_unknown: 400,
  identification_error: 401,
  authentication_error: 401,
  invalid_public_token: 401,
  authorization_error: 403,
  session_not_found: 404,
  subscription_not_found: 404,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  idempotency_key_already_exists: 409,
  invalid_session_state: 409,
  invalid_subscription_state: 409,
  taxpayer_already_bound: 409,
  payload_too_large: 413,
  uri_too_long: 414,
  expectation_failed: 417,
  rate_limited: 429,
  headers_too_large: 431,
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERROR_STATUS;

/** A failed operation (payment, payout, refund) or session: its `error.code`, never an HTTP error. */
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
