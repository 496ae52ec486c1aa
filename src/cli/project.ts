import fs from 'node:fs';
import type { Command } from 'commander';
import { adminPrint, examples, setExit, UsageError } from './shared.js';

/** `payrail project …`: projects, their settings and their keys, over the admin API. */
function boolFlag(value: string | boolean | undefined, name: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(`--${name} must be true or false`);
}

function pem(file: string | undefined, what: string): string {
  if (!file) throw new UsageError(`${what} needs a PEM file`);
  if (!fs.existsSync(file)) throw new UsageError(`${what}: no such file ${file} (make one with: openssl pkey -in <private.pem> -pubout -out ${file})`);
  return fs.readFileSync(file, 'utf8');
}

interface SettingsFlags {
  webhookUrl?: string | false;
  autoConfirm?: string | boolean;
  allowPartialRefunds?: string | boolean;
  apiVersion?: string;
  captureMode?: string;
  contractors?: string;
  rateLimit?: string;
  rateBurst?: string;
  url?: string;
}

function positiveInt(raw: string, flag: string): number {
  if (!/^[1-9][0-9]{0,6}$/.test(raw) || Number(raw) > 1_000_000) throw new UsageError(`--${flag} must be a whole number from 1 to 1000000, got "${raw}"`);
  return Number(raw);
}

/** --rate-limit <rps|off> [--rate-burst <n>]: the burst defaults to one second's worth (the server's default too). */
function rateLimitOf(o: SettingsFlags): Record<string, number> | null | undefined {
  if (o.rateLimit === undefined) {
    if (o.rateBurst !== undefined) throw new UsageError('--rate-burst needs --rate-limit <requests per second> with it');
    return undefined;
  }
  if (o.rateLimit === 'off') {
    if (o.rateBurst !== undefined) throw new UsageError('--rate-burst makes no sense with --rate-limit off');
    return null;
  }
  const rps = positiveInt(o.rateLimit, 'rate-limit');
  return { requests_per_second: rps, burst: o.rateBurst === undefined ? rps : positiveInt(o.rateBurst, 'rate-burst') };
}

function settingsOf(o: SettingsFlags): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  if (o.webhookUrl === false) settings['webhook_url'] = null;
  else if (o.webhookUrl !== undefined) settings['webhook_url'] = o.webhookUrl;
  if (o.apiVersion !== undefined) settings['api_version'] = o.apiVersion;
  if (o.captureMode !== undefined) settings['capture_mode'] = o.captureMode;
  // Split payments: the contractor aliases revenue_split_info may name, comma-separated ('' for none).
  if (o.contractors !== undefined) settings['contractors'] = o.contractors.split(',').map((a) => a.trim()).filter((a) => a !== '');
  const rateLimit = rateLimitOf(o);
  if (rateLimit !== undefined) settings['rate_limit'] = rateLimit;
  const autoConfirm = boolFlag(o.autoConfirm, 'auto-confirm');
  if (autoConfirm !== undefined) settings['auto_confirm'] = autoConfirm;
  const partial = boolFlag(o.allowPartialRefunds, 'allow-partial-refunds');
  if (partial !== undefined) settings['allow_partial_refunds'] = partial;
  return settings;
}

const enc = encodeURIComponent;

export function registerProject(program: Command): void {
  const project = program.command('project').description('projects, their settings and keys (admin API)');
  project.addHelpText('after', examples('payrail project show demo', 'payrail project update demo --webhook-url http://127.0.0.1:3000/webhooks'));

  project
    .command('create')
    .description('create a project with its first public key')
    .argument('<name>')
    .requiredOption('--public-key <pem>', 'the partner public key file')
    .option('--webhook-url <url>', 'where webhooks go')
    .option('--auto-confirm [bool]', 'confirm operations without session/confirm')
    .option('--allow-partial-refunds [bool]', 'allow refunds of part of a payment')
    .option('--api-version <v>', 'v1 or v2: the shape of webhooks')
    .option('--capture-mode <mode>', 'auto or manual')
    .option('--contractors <a,b,c>', "aliases revenue_split_info may name ('' clears)")
    .option('--rate-limit <rps>', 'partner API requests per second (429 beyond); default none')
    .option('--rate-burst <n>', 'requests accepted at once (default: the --rate-limit value)')
    .option('--url <base>', 'server base URL')
    .addHelpText('after', examples('payrail project create shop --public-key shop.public.pem --webhook-url http://127.0.0.1:3000/webhooks'))
    .action(async (name: string, o: SettingsFlags & { publicKey: string }) => {
      setExit(await adminPrint('POST', '/projects', { name, public_key: pem(o.publicKey, 'project create --public-key'), settings: settingsOf(o) }, { url: o.url }));
    });

  project
    .command('show')
    .description("a project's settings and keys")
    .argument('<name>')
    .option('--url <base>', 'server base URL')
    .addHelpText('after', examples('payrail project show demo'))
    .action(async (name: string, o: { url?: string }) => setExit(await adminPrint('GET', `/projects/${enc(name)}`, undefined, { url: o.url })));

  project
    .command('update')
    .description("change a project's settings")
    .argument('<name>')
    .option('--webhook-url <url>', 'where webhooks go')
    .option('--no-webhook-url', 'stop sending webhooks to a URL')
    .option('--auto-confirm <bool>', 'true or false')
    .option('--allow-partial-refunds <bool>', 'true or false')
    .option('--api-version <v>', 'v1 or v2')
    .option('--capture-mode <mode>', 'auto or manual')
    .option('--contractors <a,b,c>', "aliases revenue_split_info may name ('' clears)")
    .option('--rate-limit <rps|off>', 'partner API requests per second (429 beyond), or off')
    .option('--rate-burst <n>', 'requests accepted at once (default: the --rate-limit value)')
    .option('--url <base>', 'server base URL')
    .addHelpText(
      'after',
      examples('payrail project update demo --capture-mode manual', 'payrail project update demo --no-webhook-url', 'payrail project update demo --rate-limit 50 --rate-burst 100'),
    )
    .action(async (name: string, o: SettingsFlags) => {
      // commander gives --no-webhook-url as webhookUrl: true by default; only false or a string mean something.
      const flags = { ...o, ...(o.webhookUrl === (true as unknown) ? { webhookUrl: undefined } : {}) };
      setExit(await adminPrint('PATCH', `/projects/${enc(name)}`, settingsOf(flags), { url: o.url }));
    });

  project
    .command('add-key')
    .description('register another public key (both work until one is deleted)')
    .argument('<name>')
    .argument('<pem>', 'public key file')
    .option('--url <base>', 'server base URL')
    .addHelpText('after', examples('openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out new.private.pem', 'openssl pkey -in new.private.pem -pubout -out new.public.pem', 'payrail project add-key shop new.public.pem'))
    .action(async (name: string, file: string, o: { url?: string }) => setExit(await adminPrint('POST', `/projects/${enc(name)}/keys`, { public_key: pem(file, 'project add-key') }, { url: o.url })));

  project
    .command('delete-key')
    .description('retire a key (see project show for ids)')
    .argument('<name>')
    .argument('<key-id>')
    .option('--url <base>', 'server base URL')
    .addHelpText('after', examples('payrail project delete-key shop key_1795240123569608125'))
    .action(async (name: string, id: string, o: { url?: string }) => setExit(await adminPrint('DELETE', `/projects/${enc(name)}/keys/${enc(id)}`, undefined, { url: o.url })));
}
