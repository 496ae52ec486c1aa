import type { Command } from 'commander';
import { keyPathOf } from './call.js';
import { baseUrl, examples, setExit } from './shared.js';

/**
 * `payrail listen` and `payrail logs tail` (written in listen.ts and logs.ts): imported on use, so
 * neither is loaded for any other command. Both run until Ctrl-C (SIGINT) or SIGTERM, which aborts
 * them cleanly (exit 0). The server URL and key are found as for `payrail call`.
 */
function untilInterrupted(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return controller.signal;
}

export function registerListen(program: Command): void {
  program
    .command('listen')
    .description("receive the project's webhooks on a local URL, signed as usual, with no webhook_url to register")
    .requiredOption('--forward-to <url>', 'your endpoint, e.g. http://127.0.0.1:3000/webhooks')
    .option('--project <name>', 'project', 'demo')
    .option('--print-json', 'print each webhook body', false)
    .option('--key <pem>', 'private key file (default <data dir>/<project>.private.pem)')
    .option('--url <base>', 'server base URL')
    .addHelpText('after', examples('payrail listen --forward-to http://127.0.0.1:3000/webhooks', 'payrail listen --forward-to http://localhost:4242/hooks --print-json'))
    .action(async (o: { forwardTo: string; project: string; printJson: boolean; key?: string; url?: string }) => {
      const { listen } = await import('./listen.js');
      const key = keyPathOf(o.project, o.key);
      setExit(await listen({ url: baseUrl(o.url), project: o.project, key, forwardTo: o.forwardTo, printJson: o.printJson, signal: untilInterrupted() }));
    });

  const logs = program.command('logs').description("the project's API requests");
  logs.addHelpText('after', examples('payrail logs tail'));
  logs
    .command('tail')
    .description('print API requests as they happen: method, path, status, error code, latency (card data redacted)')
    .option('--project <name>', 'project', 'demo')
    .option('--key <pem>', 'private key file (default <data dir>/<project>.private.pem)')
    .option('--url <base>', 'server base URL')
    .addHelpText('after', examples('payrail logs tail', 'payrail logs tail --project shop --key shop.private.pem'))
    .action(async (o: { project: string; key?: string; url?: string }) => {
      const { logsTail } = await import('./logs.js');
      const key = keyPathOf(o.project, o.key);
      setExit(await logsTail({ url: baseUrl(o.url), project: o.project, key, signal: untilInterrupted() }));
    });
}
