/**
 * The one closed list of error codes payrail answers with, and the HTTP status each maps to.
 * Codes follow the Smart Glocal / Bank 131 names where those exist (spec §3.4); the others are
 * payrail's own and are documented in docs/errors.md. The HTTP status is decided here and only
 * here; the envelope is rendered at the edge (src/edge/http/errors.ts).
 */
export const ERROR_STATUS = {
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

export type ErrorCode = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;

  constructor(code: ErrorCode, description: string, options?: { cause?: unknown }) {
    super(description, options);
    this.name = 'ApiError';
    this.code = code;
    this.httpStatus = ERROR_STATUS[code];
  }
}

export const invalidRequest = (description: string) => new ApiError('invalid_request', description);

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_STATUS, value);
}
