import type { Command } from 'commander';
import { adminRequest, examples, printResponse, setExit } from './shared.js';

export function registerReport(program: Command): void {
  const report = program.command('report').description('reports as CSV');
  report.addHelpText('after', examples('payrail report payouts --from 2026-11-21T00:00:00Z --to 2026-11-22T00:00:00Z'));
  report
    .command('payouts')
    .description('the daily payouts report as CSV')
    .requiredOption('--from <iso>', 'start (ISO 8601 date-time)')
    .requiredOption('--to <iso>', 'end (ISO 8601 date-time)')
    .option('--project <name>', 'project', 'demo')
    .option('--url <base>', 'server base URL')
    .addHelpText('after', examples('payrail report payouts --from 2026-11-21T00:00:00Z --to 2026-11-22T00:00:00Z --project demo > payouts.csv'))
    .action(async (o: { from: string; to: string; project: string; url?: string }) => {
      const q = new URLSearchParams({ project: o.project, from: o.from, to: o.to });
      const res = await adminRequest('GET', `/reports/payouts.csv?${q}`, undefined, { url: o.url });
      if (!res.ok) return setExit(await printResponse(res));
      process.stdout.write(await res.text());
    });
}
