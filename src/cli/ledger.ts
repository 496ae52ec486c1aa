import type { Command } from 'commander';
import { adminPrint, examples, setExit } from './shared.js';

export function registerLedger(program: Command): void {
  const ledger = program.command('ledger').description('the double-entry ledger');
  ledger.addHelpText('after', examples('payrail ledger trial-balance'));
  ledger
    .command('trial-balance')
    .description('the sum of every account per currency (each must be zero)')
    .option('--url <base>', 'server base URL')
    .addHelpText('after', examples('payrail ledger trial-balance'))
    .action(async (o: { url?: string }) => setExit(await adminPrint('GET', '/ledger/trial-balance', undefined, { url: o.url })));
}
