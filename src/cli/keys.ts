import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { config, examples, setExit, UsageError } from './shared.js';

/**
 * The new key is written next to the old one before the database changes, and takes the old one's
 * place only after the commit: a crash in between leaves master.key.new to recover with. The
 * database and keyring modules are imported here, on use, so other commands do not load them.
 */
async function rotateMaster(newKey: string | undefined): Promise<number> {
  const c = config();
  const fresh = newKey ?? randomBytes(32).toString('hex');
  if (!/^[0-9a-f]{64}$/i.test(fresh)) throw new UsageError('--new-key must be 64 hex characters (openssl rand -hex 32)');
  const [{ openDatabase }, { rewrapDataKeys }, { resolveMasterKey }, { writeSecretFile }] = await Promise.all([
    import('../platform/db/database.js'),
    import('../platform/keys/keyring.js'),
    import('../platform/keys/master-key.js'),
    import('../platform/keys/secret-file.js'),
  ]);
  const oldMaster = resolveMasterKey(c);
  const fileManaged = !c.masterKey;
  const file = path.join(c.dataDir, 'master.key');
  if (fileManaged) writeSecretFile(`${file}.new`, `${fresh}\n`);
  const handle = await openDatabase({ databaseUrl: c.databaseUrl, pgliteDir: path.join(c.dataDir, 'pglite') });
  try {
    const n = await rewrapDataKeys(handle.db, oldMaster, Buffer.from(fresh, 'hex'));
    if (fileManaged) {
      fs.renameSync(file, `${file}.old`);
      fs.renameSync(`${file}.new`, file);
      process.stdout.write(`re-wrapped ${n} data keys; the new master key is in ${file} (the previous one in ${file}.old: delete it once backups are safe)\n`);
    } else {
      process.stdout.write(`re-wrapped ${n} data keys; set PAYRAIL_MASTER_KEY=${fresh} on every instance before restarting them\n`);
    }
    return 0;
  } finally {
    await handle.close();
  }
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('the master key that wraps secrets at rest');
  keys.addHelpText('after', examples('payrail keys rotate-master'));
  keys
    .command('rotate-master')
    .description('re-wrap the data keys under a new master key (stop the server first when embedded)')
    .option('--new-key <hex>', '64 hex characters (default: a random key)')
    .addHelpText('after', examples('payrail keys rotate-master', 'payrail keys rotate-master --new-key $(openssl rand -hex 32)'))
    .action(async (o: { newKey?: string }) => setExit(await rotateMaster(o.newKey)));
}
