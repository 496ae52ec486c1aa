import type { Command } from 'commander';
import { parseDuration } from '../kernel/time.js';
import { adminPrint, adminRequest, examples, printResponse, setExit, UsageError } from './shared.js';

interface Advancing {
  from: string;
  to: string;
  now: string;
  steps: number;
  ran: number;
}

/** `[#####.....] 48%  clock at … (to …), 12 stops, 40 runs` from the server's progress report. */
function progressLine(p: Advancing): string {
  const span = Date.parse(p.to) - Date.parse(p.from);
  const done = span > 0 ? Math.min(1, Math.max(0, (Date.parse(p.now) - Date.parse(p.from)) / span)) : 1;
  const bar = '#'.repeat(Math.round(done * 20)).padEnd(20, '.');
  return `[${bar}] ${String(Math.round(done * 100)).padStart(3)}%  clock at ${p.now} (to ${p.to}), ${p.steps} stops, ${p.ran} runs`;
}

/**
 * A long advance plays out a lot of work (30 days: ~17 s of due jobs). While it runs, the server's
 * own progress is polled once a second and drawn on stderr: one line redrawn on a terminal, a line
 * per second when stderr is piped, so stdout stays the answer alone.
 */
async function advance(amount: string, url: string | undefined): Promise<number> {
  let ms: number;
  try {
    ms = parseDuration(amount);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (ms < 1000) throw new UsageError('advance the clock by at least 1s');
  const answer = adminRequest('POST', '/clock/advance', { seconds: Math.floor(ms / 1000) }, { url });
  const tty = process.stderr.isTTY === true;
  let done = false;
  let drawn = false;
  void (async () => {
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000).unref());
      if (done) return;
      const res = await adminRequest('GET', '/clock', undefined, { url }).catch(() => undefined);
      const p = res?.ok ? ((await res.json()) as { clock?: { advancing?: Advancing } }).clock?.advancing : undefined;
      if (!p || done) continue;
      process.stderr.write(tty ? `\r\x1b[2K${progressLine(p)}` : `advancing: ${progressLine(p)}\n`);
      drawn = true;
    }
  })();
  try {
    return await printResponse(await answer);
  } finally {
    done = true;
    if (tty && drawn) process.stderr.write('\r\x1b[2K');
  }
}

export function registerClock(program: Command): void {
  const clock = program.command('clock').description('read or move the sandbox clock (due work runs on the way)');
  clock.addHelpText('after', examples('payrail clock show', 'payrail clock advance 30m'));
  clock
    .command('show')
    .description('the sandbox clock and its offset from real time')
    .option('--url <base>', 'server base URL')
    .addHelpText('after', examples('payrail clock show'))
    .action(async (o: { url?: string }) => setExit(await adminPrint('GET', '/clock', undefined, { url: o.url })));
  clock
    .command('advance')
    .description('move the clock forward; timeouts, retries and settlements due on the way run in order')
    .argument('<duration>', '90s, 15m, 4h, 2d')
    .option('--url <base>', 'server base URL')
    .addHelpText('after', examples('payrail clock advance 1d', 'payrail clock advance 30d    # progress on stderr while it runs'))
    .action(async (amount: string, o: { url?: string }) => setExit(await advance(amount, o.url)));
}
