import { PayrailSignatureError } from './errors.js';
import { bytesOf, signBytes, verifyBytes, type Body, type PrivateKeyInput, type PublicKeyInput } from './signing.js';
import type { ApiVersion } from './types/common.js';
import { WEBHOOK_TYPES, type WebhookEvent } from './types/responses.js';

/**
 * Webhooks (spec §9, docs/webhooks.md): a POST whose body is `{type, session}` and whose
 * X-PARTNER-SIGN is the server's RSA-SHA256 signature of the exact body bytes. Verify the raw bytes
 * as received (before any JSON parsing or re-serialising, which would change them).
 */
export type SignatureHeader = string | readonly string[] | undefined | null;

/** Verifies and parses a webhook; throws PayrailSignatureError when it does not verify. */
export function verifyWebhook<V extends ApiVersion = 'v1'>(rawBody: Body, signatureHeader: SignatureHeader, serverPublicKey: PublicKeyInput): WebhookEvent<V> {
  // node's IncomingHttpHeaders may hold a header twice: two signatures are not one signature.
  if (Array.isArray(signatureHeader) && signatureHeader.length !== 1) throw new PayrailSignatureError('expected exactly one X-PARTNER-SIGN header');
  const signature = (Array.isArray(signatureHeader) ? signatureHeader[0] : signatureHeader) as string | undefined | null;
  if (typeof signature !== 'string' || signature === '') throw new PayrailSignatureError('X-PARTNER-SIGN header is missing');
  if (!verifyBytes(rawBody, signature.trim(), serverPublicKey)) throw new PayrailSignatureError("X-PARTNER-SIGN does not verify the body with the server's public key");
  let event: unknown;
  try {
    event = JSON.parse(bytesOf(rawBody).toString('utf8'));
  } catch {
    throw new PayrailSignatureError('the signed body is not JSON');
  }
  const e = event as Partial<WebhookEvent>;
  if (typeof e !== 'object' || e === null || !WEBHOOK_TYPES.includes(e.type as never) || typeof e.session !== 'object' || e.session === null) {
    throw new PayrailSignatureError('the signed body is not a webhook ({type, session})');
  }
  return event as WebhookEvent<V>;
}

/**
 * Signs a body as the server signs webhooks, for partners' own tests: post it to your endpoint with
 * `X-PARTNER-SIGN: <this>` and verify it with the matching public key. An object is serialised
 * with JSON.stringify first; the signature covers those bytes.
 */
export function signWebhook(body: Body | object, privateKey: PrivateKeyInput): string {
  const bytes = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  return signBytes(bytes, privateKey);
}
