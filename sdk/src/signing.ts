import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * The API's signature (spec §2.2): RSA-SHA256, PKCS#1 v1.5, over the exact body bytes, Base64. The
 * same for partner requests (the partner's key) and webhooks (the server's key).
 */
export type PrivateKeyInput = string | Buffer | KeyObject;
export type PublicKeyInput = string | Buffer | KeyObject;
export type Body = string | Uint8Array;

export const privateKeyOf = (key: PrivateKeyInput): KeyObject => (typeof key === 'string' || Buffer.isBuffer(key) ? createPrivateKey(key) : key);

/** A public key, or the public half of a private one. */
export const publicKeyOf = (key: PublicKeyInput): KeyObject => (typeof key === 'string' || Buffer.isBuffer(key) ? createPublicKey(key) : key.type === 'private' ? createPublicKey(key) : key);

const bytesOf = (body: Body): Buffer => (typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength));

export function signBytes(body: Body, key: PrivateKeyInput): string {
  return sign('sha256', bytesOf(body), privateKeyOf(key)).toString('base64');
}

export function verifyBytes(body: Body, signature: string, key: PublicKeyInput): boolean {
  // Canonical padded Base64 only, as the server demands of partners: Buffer.from would skip junk.
  if (signature.length === 0 || signature.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  return verify('sha256', bytesOf(body), publicKeyOf(key), Buffer.from(signature, 'base64'));
}

export { bytesOf };
