import type { Command } from 'commander';
import { adminPrint, adminRequest, examples, printResponse, setExit, UsageError } from './shared.js';
import { painter, useColour } from './output.js';

interface Attempt {
  attempted_at: string;
  type: string;
  session_id: string;
  webhook_id: string;
  http_status: number | null;
  latency_ms: number;
  error: string | null;
  url: string | null;
}

/** Follows the attempt log: one line per attempt, as it happens. */
async function tail(intervalMs: number, url: string | undefined): Promise<number> {
  let cursor: string | undefined;
  const paint = painter(useColour(process.stdout));
  process.stderr.write('following webhook deliveries (Ctrl-C to stop)\n');
  for (;;) {
    const res = await adminRequest('GET', `/webhooks/attempts${cursor ? `?after=${cursor}` : ''}`, undefined, { url });
    if (!res.ok) return printResponse(res);
    const page = (await res.json()) as { cursor: string; attempts: Attempt[] };
    for (const a of page.attempts) {
      const ok = a.http_status !== null && a.http_status >= 200 && a.http_status < 300;
      const outcome = a.http_status !== null ? `HTTP ${a.http_status}` : `failed: ${a.error}`;
      process.stdout.write(`${a.attempted_at}  ${a.type.padEnd(17)} ${a.session_id}  ${a.webhook_id}  → ${a.url ?? '(no url)'}  ${paint(ok ? 'green' : 'red', outcome)}  ${a.latency_ms} ms\n`);
    }
    cursor = page.cursor;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function registerWebhooks(program: Command): void {
  const webhooks = program.command('webhooks').description('the webhook outbox: list, resend, follow deliveries');
  webhooks.addHelpText('after', examples('payrail webhooks list ps_…', 'payrail webhooks tail'));
  webhooks
    .command('list')
    .description("a session's webhooks with every delivery attempt")
    .argument('<session-id>')
    .option('--url <base>', 'server base URL')
    .addHelpText('after', examples('payrail webhooks list ps_1795240123569608125'))
    .action(async (id: string, o: { url?: string }) => setExit(await adminPrint('GET', `/sessions/${encodeURIComponent(id)}/webhooks`, undefined, { url: o.url })));
  webhooks
    .command('resend')
    .description('resend one webhook, or every failed one created in a window')
    .argument('[webhook-id]')
    .option('--from <iso>', 'window start')
    .option('--to <iso>', 'window end')
    .option('--project <name>', 'only this project')
    .option('--url <base>', 'server base URL')
    .addHelpText('after', examples('payrail webhooks resend wh_…', 'payrail webhooks resend --from 2026-11-21T00:00:00Z --to 2026-11-22T00:00:00Z --project demo'))
    .action(async (id: string | undefined, o: { from?: string; to?: string; project?: string; url?: string }) => {
      if (id) return setExit(await adminPrint('POST', `/webhooks/${encodeURIComponent(id)}/resend`, undefined, { url: o.url }));
      if (!o.from || !o.to) throw new UsageError('webhooks resend needs a webhook id, or --from and --to');
      setExit(await adminPrint('POST', '/webhooks/resend', { from: o.from, to: o.to, ...(o.project ? { project: o.project } : {}) }, { url: o.url }));
    });
  webhooks
    .command('tail')
    .description('print delivery attempts as they happen (Ctrl-C to stop)')
    .option('--interval <ms>', 'poll interval', '500')
    .option('--url <base>', 'server base URL')
    .addHelpText('after', examples('payrail webhooks tail'))
    .action(async (o: { interval: string; url?: string }) => setExit(await tail(Number(o.interval), o.url)));
}
