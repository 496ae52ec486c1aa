import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { readOrCreateSecretFile } from './secret-file.js';

/** PAYRAIL_MASTER_KEY, or in sandbox mode a key generated once into `<data dir>/master.key`. */
export function resolveMasterKey(config: Config): Buffer {
  if (config.masterKey) return config.masterKey;
  if (config.mode !== 'sandbox') throw new Error('PAYRAIL_MASTER_KEY is required outside sandbox mode');
  const file = path.join(config.dataDir, 'master.key');
  const hex = readOrCreateSecretFile(file, () => randomBytes(32).toString('hex'));
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error(`${file} does not hold a 64-hex-character key`);
  return Buffer.from(hex, 'hex');
}

