import type { Command } from 'commander';
import { parseTopupAmount } from './output.js';
import { adminPrint, examples, setExit, UsageError } from './shared.js';

/** `payrail wallet …`: a project's payout wallet. */
export function registerWallet(program: Command): void {
  const wallet = program.command('wallet').description("a project's payout wallet");
  wallet.addHelpText('after', examples('payrail wallet show demo', 'payrail wallet topup demo 100.00 usd'));
  wallet
    .command('topup')
    .description('prefund the wallet (a --reference is booked once)')
    .argument('<project>')
    .argument('<amount>', 'major units with the currency\'s decimals (100.00), or minor units with --minor (10000)')
    .argument('<currency>', 'ISO 4217 code, e.g. usd')
    .option('--minor', 'the amount is a whole number of minor units (cents)', false)
    .option('--reference <ref>', 'book this top-up once, however often the command runs')
    .option('--idempotency-key <key>', 'X-PARTNER-IDEMPOTENCY-KEY (default: a new one per run)')
    .option('--url <base>', 'server base URL')
    .addHelpText('after', examples('payrail wallet topup demo 100.00 usd              # 100.00 USD = 10000 minor units', 'payrail wallet topup demo 10000 usd --minor      # the same', 'payrail wallet topup demo 5000 jpy                # JPY has no minor units'))
    .action(async (name: string, raw: string, currency: string, o: { minor: boolean; reference?: string; idempotencyKey?: string; url?: string }) => {
      let amount: number;
      try {
        amount = parseTopupAmount(raw, currency, o.minor);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const body = { amount, currency, ...(o.reference ? { reference: o.reference } : {}) };
      setExit(await adminPrint('POST', `/projects/${encodeURIComponent(name)}/wallet/topup`, body, { url: o.url, idempotencyKey: o.idempotencyKey }));
    });
  wallet
    .command('show')
    .description('wallet balances and every ledger account of the project')
    .argument('<project>')
    .option('--url <base>', 'server base URL')
    .addHelpText('after', examples('payrail wallet show demo'))
    .action(async (name: string, o: { url?: string }) => setExit(await adminPrint('GET', `/projects/${encodeURIComponent(name)}/wallet`, undefined, { url: o.url })));
}
