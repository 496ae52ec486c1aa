/**
 * @payrail/sdk: a typed client for payrail and the Smart Glocal payment API. It imports nothing of
 * the server: only node: builtins and the global fetch (Node 20.18+).
 */
export { Payrail, type PayrailOptions } from './client.js';
export { PayrailError, PayrailConnectionError, PayrailSignatureError, type PayrailErrorCode } from './errors.js';
export { backoffMs, IDEMPOTENCY_HEADER, type RequestOptions } from './request.js';
export { signBytes, verifyBytes, type Body, type PrivateKeyInput, type PublicKeyInput } from './signing.js';
export { signWebhook, verifyWebhook, type SignatureHeader } from './webhooks.js';
export { API_ERROR_STATUS, OPERATION_ERROR_CODES, type ApiErrorCode, type OperationErrorCode } from './codes.js';
export type * from './types/common.js';
export type * from './types/sources.js';
export type * from './types/requests.js';
export type * from './types/responses.js';
export { WEBHOOK_TYPES } from './types/responses.js';
