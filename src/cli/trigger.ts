import fs from 'node:fs';
import type { Command } from 'commander';
import { FLOWS, flowNamed } from './trigger-flows.js';
import { applyOverride, deepMerge, FlowError, FlowRunner, type Webhook } from './trigger-runner.js';
import { painter, useColour } from './output.js';
import { adminPrint, examples, outputFormat, print, setExit, UsageError } from './shared.js';

/**
 * `payrail trigger <event>`: runs a real flow (see trigger-flows.ts) and prints the session and the
 * webhooks it caused, as they are queued. `--session` keeps the older sandbox tool: queue a webhook
 * of any type for an existing session as it is now (POST /admin/webhooks/trigger).
 */
interface TriggerOptions {
  list?: boolean;
  session?: string;
  project: string;
  key?: string;
  url?: string;
  override: string[];
  fixture?: string;
  timeout: string;
}

/** What the operations of a webhook's session look like: `pm_… succeeded`, `po_… failed card_declined`. */
function summary(w: Webhook): string {
  const session = (w.body as { session?: Record<string, unknown> } | undefined)?.session ?? {};
  const parts = [`session ${String(session['status'] ?? '?')}`];
  for (const value of Object.values(session)) {
    if (!Array.isArray(value)) continue;
    for (const op of value as { id?: string; status?: string; error?: { code?: string }; refunds?: { id: string; status: string }[] }[]) {
      if (!op || typeof op !== 'object' || !op.id || !op.status) continue;
      parts.push(`${op.id} ${op.status}${op.error?.code ? ` ${op.error.code}` : ''}`);
      for (const rf of op.refunds ?? []) parts.push(`${rf.id} ${rf.status}`);
    }
  }
  return parts.join(', ');
}

function listText(): string {
  const width = Math.max(...FLOWS.map((f) => f.name.length));
  return FLOWS.map((f) => `  ${f.name.padEnd(width)}  ${f.description}\n  ${''.padEnd(width)}  webhooks: ${f.promises.join(' → ')}`).join('\n');
}

function bodyFor(defaults: Record<string, unknown>, o: TriggerOptions): Record<string, unknown> {
  let body = structuredClone(defaults);
  if (o.fixture) {
    let fixture: unknown;
    try {
      fixture = JSON.parse(fs.readFileSync(o.fixture, 'utf8'));
    } catch (err) {
      throw new UsageError(`--fixture ${o.fixture}: ${(err as Error).message}`);
    }
    if (!fixture || typeof fixture !== 'object' || Array.isArray(fixture)) throw new UsageError(`--fixture ${o.fixture} must hold a JSON object`);
    body = deepMerge(body, fixture) as Record<string, unknown>;
  }
  for (const spec of o.override) applyOverride(body, spec);
  return body;
}

async function runFlow(event: string, o: TriggerOptions): Promise<number> {
  const flow = flowNamed(event);
  if (!flow) {
    const hint = /^[a-z_]+$/.test(event) ? ` ("${event}" looks like a webhook type: re-send one for a session with --session ps_…)` : '';
    throw new UsageError(`unknown event "${event}"${hint}; payrail trigger --list shows them all`);
  }
  const timeoutMs = Number(o.timeout) * 1000;
  if (!(timeoutMs > 0)) throw new UsageError('--timeout is a number of seconds');
  const body = bodyFor(flow.body, o);
  const json = outputFormat() === 'json';
  const paint = painter(useColour(process.stdout));
  let announced = false;
  const runner: FlowRunner = new FlowRunner({
    project: o.project,
    key: o.key,
    url: o.url,
    timeoutMs,
    onStep: (text) => process.stderr.write(`${paint('dim', `  … ${text}`)}\n`),
    onWebhook: (w) => {
      if (json) return;
      if (!announced) {
        process.stdout.write(`session ${paint('bold', runner.sessionId ?? '?')}\n`);
        announced = true;
      }
      process.stdout.write(`  webhook ${paint('cyan', w.type.padEnd(17))} ${w.id}  ${summary(w)}\n`);
    },
  });
  process.stderr.write(`${paint('dim', `trigger ${flow.name}: ${flow.description}`)}\n`);
  try {
    await flow.run(runner, body);
  } catch (err) {
    if (!(err instanceof FlowError)) throw err;
    process.stderr.write(`payrail: trigger ${flow.name} stopped: ${err.message}\n`);
    if (json) print({ status: 'error', event: flow.name, session_id: runner.sessionId ?? null, webhooks: runner.seen.map(({ id, type, state }) => ({ id, type, state })), error: err.message });
    return 1;
  }
  if (json) print({ status: 'ok', event: flow.name, session_id: runner.sessionId, webhooks: runner.seen.map(({ id, type, state }) => ({ id, type, state })) });
  else process.stdout.write(`${paint('green', 'done')}: ${runner.seen.length} webhooks; see them with payrail webhooks list ${runner.sessionId}\n`);
  return 0;
}

export function registerTrigger(program: Command): void {
  program
    .command('trigger')
    .description('run a real sandbox flow and print the webhooks it causes (--list shows the events)')
    .argument('[event]', 'e.g. payment.succeeded (see --list); with --session, a webhook type')
    .option('--list', 'list the events and the webhooks each one ends with')
    .option('--project <name>', 'project', 'demo')
    .option('--key <pem>', 'private key file (default <data dir>/<project>.private.pem)')
    .option('--override <field.path=value>', 'change a field of the starting request (repeatable; JSON values)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--fixture <file.json>', 'a JSON body merged over the starting request')
    .option('--timeout <seconds>', 'how long to wait for each webhook', '30')
    .option('--session <id>', 're-send: queue webhook type <event> for this session as it is now (no flow)')
    .option('--url <base>', 'server base URL')
    .addHelpText('after', () => `\nEvents:\n${listText()}\n${examples('payrail trigger payment.succeeded', 'payrail trigger payment.3ds --override amount_details.amount=2500', 'payrail trigger refund.succeeded --fixture order.json', 'payrail trigger payment_finished --session ps_…   # re-send a webhook type for a session')}`)
    .action(async (event: string | undefined, o: TriggerOptions) => {
      if (o.list) {
        process.stdout.write(`${listText()}\n`);
        return;
      }
      if (!event) throw new UsageError('trigger needs an event (payrail trigger --list shows them)');
      if (o.session) return setExit(await adminPrint('POST', '/webhooks/trigger', { type: event, project: o.project, session_id: o.session }, { url: o.url }));
      setExit(await runFlow(event, o));
    });
}
