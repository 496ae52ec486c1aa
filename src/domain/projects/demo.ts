import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import type { Db } from '../../platform/db/database.js';
import { writeSecretFile } from '../../platform/keys/secret-file.js';
import { topUpWallet } from '../ledger/ledger.service.js';
import { findProjectByName } from './project.repo.js';
import { createProject, type ProjectDeps } from './project.service.js';

export const DEMO_PROJECT = 'demo';
/** 1,000,000.00 in each of USD, EUR and RUB. */
export const DEMO_WALLET_AMOUNT = 100_000_000;
export const DEMO_WALLET_CURRENCIES = ['usd', 'eur', 'rub'] as const;

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
  // The sandbox's demo wallet starts funded, so a first payout works without a top-up.
  const demo = (await findProjectByName(db, DEMO_PROJECT))!;
  await db.transaction().execute(async (tx) => {
    for (const currency of DEMO_WALLET_CURRENCIES) {
      await topUpWallet(tx, { projectId: demo.id, currency, amount: DEMO_WALLET_AMOUNT, reference: `demo-opening-${currency}`, at: deps.clock.now() });
    }
  });
  return { created: true, privateKeyPath };
}
