import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import type { Db } from '../db/database.js';
import { writeSecretFile } from '../shared/secret-file.js';
import { createProject, type ProjectDeps } from './project.service.js';

export const DEMO_PROJECT = 'demo';

/**
 * Sandbox mode, first start on an empty database: a `demo` project with a fresh RSA-2048 key pair.
 * Its private key goes to `<data dir>/demo.private.pem` (0600) so `payrail call` works at once.
 * Concurrent first starts race on the unique project name; only the winner writes the key file.
 */
export async function ensureDemoProject(db: Db, deps: ProjectDeps, dataDir: string): Promise<{ created: boolean; privateKeyPath: string }> {
  const privateKeyPath = path.join(dataDir, `${DEMO_PROJECT}.private.pem`);
  const any = await db.selectFrom('projects').select('id').limit(1).executeTakeFirst();
  if (any) return { created: false, privateKeyPath };
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  try {
    await createProject(db, deps, {
      name: DEMO_PROJECT,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      settings: { allowPartialRefunds: true },
    });
  } catch {
    return { created: false, privateKeyPath }; // another instance created it first
  }
  writeSecretFile(privateKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  return { created: true, privateKeyPath };
}
