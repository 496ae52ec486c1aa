import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { invalidRequest } from '../../kernel/errors.js';

export interface ParsedPublicKey {
  readonly key: KeyObject;
  /** SHA-256 of the DER SubjectPublicKeyInfo, hex: names the key without showing it. */
  readonly fingerprint: string;
  /** Normalised SPKI PEM, whatever form (PKCS#1 or SPKI) it arrived in. */
  readonly pem: string;
}

/** Parses a partner's public key once; requests are then verified against the cached KeyObject. */
export function parsePublicKey(pem: string, field = 'public_key'): ParsedPublicKey {
  // createPublicKey() would quietly derive the public half of a private key: a partner who pasted
  // the wrong file must hear so, not have their private key stored.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw invalidRequest(`${field} is a private key; send only the public key (openssl pkey -in private.pem -pubout)`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw invalidRequest(`${field} must be an RSA public key in PEM format (-----BEGIN PUBLIC KEY-----)`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw invalidRequest(`${field} must be an RSA key, got ${key.asymmetricKeyType}`);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 2048) throw invalidRequest(`${field} must be at least 2048 bits, got ${bits}`);
  const der = key.export({ type: 'spki', format: 'der' });
  return { key, fingerprint: createHash('sha256').update(der).digest('hex'), pem: key.export({ type: 'spki', format: 'pem' }).toString() };
}
