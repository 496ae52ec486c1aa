import path from 'node:path';
import type { Command } from 'commander';
import { config, examples, setExit } from './shared.js';

/**
 * serve, worker, migrate: the only commands that load the server (runtime, database, routes), and
 * they import it on use, so `payrail call` and `--help` never pay for it.
 */
export function registerServer(program: Command): void {
  program
    .command('serve')
    .description('start the server (same as npm start)')
    .addHelpText('after', examples('payrail serve', 'PORT=9000 payrail serve --data-dir ~/payrail-sandbox', 'DATABASE_URL=postgres://user:pw@127.0.0.1:5432/payrail payrail serve'))
    .action(async () => {
      const { serve } = await import('../main.js');
      await serve(config());
      setExit(-1); // keeps running
    });

  program
    .command('worker')
    .description('run only the background worker (webhook delivery, timed jobs)')
    .addHelpText('after', examples('DATABASE_URL=postgres://… payrail worker'))
    .action(async () => {
      const { createRuntime } = await import('../runtime.js');
      const runtime = await createRuntime(config(), { startWorker: true });
      process.stderr.write(`payrail worker ${runtime.worker.id} running (webhook delivery and timed jobs); Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await runtime.close();
    });

  program
    .command('migrate')
    .description('apply database migrations and exit')
    .addHelpText('after', examples('DATABASE_URL=postgres://… payrail migrate'))
    .action(async () => {
      const [{ openDatabase }, { migrate }] = await Promise.all([import('../platform/db/database.js'), import('../platform/db/migrate.js')]);
      const c = config();
      const handle = await openDatabase({ databaseUrl: c.databaseUrl, pgliteDir: path.join(c.dataDir, 'pglite') });
      try {
        const applied = await migrate(handle.db);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'the database is up to date\n');
      } finally {
        await handle.close();
      }
    });
}
