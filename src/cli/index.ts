import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../platform/config/config.js';
import { registerCall } from './call.js';
import { registerClock } from './clock.js';
import { registerCompletion } from './completion.js';
import { registerKeys } from './keys.js';
import { registerLedger } from './ledger.js';
import { registerListen } from './listen-commands.js';
import { registerProject } from './project.js';
import { registerReport } from './report.js';
import { registerServer } from './server.js';
import { registerTrigger } from './trigger.js';
import { registerWallet } from './wallet.js';
import { registerWebhooks } from './webhooks.js';
import { UnreachableError } from './http.js';
import { exitCode, setOutputFormat, UsageError } from './shared.js';

/**
 * `payrail <command>`: thin commands over the server's HTTP API (partner and admin), plus serve,
 * worker and migrate, which load the server on use. Exit codes: 0 ok, 1 the server answered an
 * error, 2 bad usage or configuration (commander's own parse errors included).
 */
const VERSION = (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function buildProgram(): Command {
  const program = new Command('payrail');
  program
    .description('payrail: a self-hosted payment gateway speaking the Smart Glocal API, with a local sandbox')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--data-dir <dir>', 'the data directory (default: PAYRAIL_DATA_DIR, else a .payrail found walking up from here, else ./.payrail)')
    .option('--output <format>', 'json (default when piped) or pretty (default on a terminal: major units beside minor, colour)')
    .option('--no-color', 'no colour, as NO_COLOR=1 does')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`payrail: ${text.replace(/^error: /, '')}`) })
    .addHelpText(
      'after',
      `
The server is reached at --url, PAYRAIL_URL, or http://HOST:PORT; admin commands use PAYRAIL_ADMIN_TOKEN
or <data dir>/admin-token. Exit codes: 0 ok, 1 the server answered an error, 2 bad usage.
Every command has --help; docs/cli.md lists them all.

Examples:
  $ payrail serve
  $ payrail call session/create '{"amount_details":{"amount":10000,"currency":"usd"}}'
  $ payrail listen --forward-to http://127.0.0.1:3000/webhooks
  $ payrail trigger payment.3ds
`,
    )
    .hook('preAction', () => {
      const o = program.opts<{ dataDir?: string; output?: string; color: boolean }>();
      // The data dir goes through the environment, so config.ts stays its only reader.
      if (o.dataDir) process.env['PAYRAIL_DATA_DIR'] = path.resolve(o.dataDir);
      if (!o.color) process.env['NO_COLOR'] = '1';
      setOutputFormat(o.output);
    });
  registerServer(program);
  registerCall(program);
  registerProject(program);
  registerListen(program);
  registerTrigger(program);
  registerWebhooks(program);
  registerClock(program);
  registerWallet(program);
  registerLedger(program);
  registerReport(program);
  registerKeys(program);
  registerCompletion(program);
  return program;
}

/** Runs one command line; the exit code (-1: keeps running, as `serve` does). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode();
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof UnreachableError) {
      process.stderr.write(`payrail: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`payrail: ${(err as Error).message}\n`);
    return 2;
  }
}
