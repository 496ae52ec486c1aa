import type { ApiErrorCode } from './codes.js';

/** What PayrailError.code can be: the server's closed list, or the SDK's own for an answer that is not the API's. */
export type PayrailErrorCode = ApiErrorCode | 'unexpected_response';

/**
 * The SDK's errors. The server's refusals (its error envelope, any HTTP status) are PayrailError with
 * the server's `code` and `description`; a request that never got an answer (connection refused or
 * dropped, timeout) is PayrailConnectionError, so callers can tell "the server said no" from "we do
 * not know what happened" (the latter is safe to retry with the same idempotency key).
 */
export class PayrailError extends Error {
  override readonly name: string = 'PayrailError';
  constructor(
    /**
     * The server's error code (docs/errors.md), e.g. invalid_request, session_not_found; or
     * `unexpected_response` when the answer was not the API's (a proxy's error page, not JSON).
     */
    readonly code: PayrailErrorCode,
    /** The server's sentence naming the field or the state at fault. */
    readonly description: string,
    /** The answer's HTTP status: 4xx or 5xx, or another one whose body was an error or not the API's (a redirect). */
    readonly httpStatus: number,
    readonly details: { readonly requestId?: string; readonly idempotencyKey?: string; readonly method?: string } = {},
  ) {
    super(`${code}: ${description}`);
  }
  get requestId(): string | undefined {
    return this.details.requestId;
  }
  get idempotencyKey(): string | undefined {
    return this.details.idempotencyKey;
  }
}

/** No answer from the server, after every retry. `cause` is the last network error. */
export class PayrailConnectionError extends Error {
  override readonly name: string = 'PayrailConnectionError';
  constructor(
    message: string,
    readonly attempts: number,
    readonly idempotencyKey: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A webhook whose X-PARTNER-SIGN does not verify, or whose body is not a webhook. */
export class PayrailSignatureError extends Error {
  override readonly name: string = 'PayrailSignatureError';
}
