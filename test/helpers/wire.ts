import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { DEFAULT_SETTINGS } from '../../src/domain/projects/project.service.js';

/** sha256 of the DER SubjectPublicKeyInfo, hex: the fingerprint the admin API shows, computed independently. */
export function fingerprintOf(key: KeyObject | string): string {
  const pub = typeof key !== 'string' && key.type === 'public' ? key : createPublicKey(key);
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex');
}

/**
 * A new project's settings as the admin API shows them. The foundation's four are pinned here; any
 * setting added later (webhook retries, hold period...) is taken from DEFAULT_SETTINGS in its wire
 * (snake_case) name, so these tests check that every setting is stored and rendered without having
 * to be edited for each new one.
 */
export function defaultWireSettings(): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(DEFAULT_SETTINGS)) wire[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
  return { ...wire, webhook_url: null, auto_confirm: false, allow_partial_refunds: false, api_version: 'v1' };
}
