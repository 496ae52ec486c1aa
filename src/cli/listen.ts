import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { request } from 'undici';

/**
 * `payrail listen`: follows the server's webhook stream (POST /api/v1/payrail/events, a signed
 * partner call, so it works against a remote payrail with the project's private key) and forwards
 * each webhook to `forwardTo` with the exact body and X-PARTNER-SIGN a real delivery carries. Prints
 * one line per event. When the stream drops it reconnects (backoff 0.5 s doubling to 5 s) after the
 * last `resume_after` the server gave and skips the seqs it already handled, so a webhook written
 * while it was disconnected still arrives, once (docs/listen-and-logs.md). Resolves with the exit
 * code when `signal` aborts (0) or the server refuses the stream (1). Imports nothing of the server.
 */
export interface ListenOptions {
  url: string;
  project: string;
  /** The project's private key: a KeyObject, a PEM, or the path of a PEM file. */
  key: KeyObject | string;
  forwardTo?: string;
  printJson?: boolean;
  out?: NodeJS.WritableStream;
  signal?: AbortSignal;
  /** Start after this cursor (default: only webhooks written from now on). */
  after?: string;
}

export interface StreamEvent {
  id: string;
  seq: string;
  type: string;
  session_id: string;
  created_at: string;
  delivery_state: string;
  /** Where a reconnect resumes: every seq at or below it has been sent. */
  resume_after: string;
  signature: string;
  body: string;
}

export function loadKey(key: KeyObject | string): KeyObject {
  if (typeof key !== 'string') return key;
  return createPrivateKey(key.includes('-----BEGIN') ? key : fs.readFileSync(key, 'utf8'));
}

/**
 * A signed partner request. A project with the replay guard on wants X-PARTNER-TIMESTAMP signed in:
 * the first refusal that says so switches this signer to that form (remembered per project).
 */
const timestamped = new Set<string>();
export async function signedRequest(url: string, project: string, key: KeyObject, path: string, body: unknown, signal?: AbortSignal) {
  const raw = JSON.stringify(body);
  for (let tries = 0; ; tries++) {
    const ts = timestamped.has(project) ? (Date.now() / 1000).toFixed(3) : undefined;
    const signed = ts === undefined ? raw : `${ts}.${raw}`;
    const res = await request(`${url.replace(/\/+$/, '')}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-partner-project': project,
        'x-partner-sign': sign('sha256', Buffer.from(signed), key).toString('base64'),
        ...(ts === undefined ? {} : { 'x-partner-timestamp': ts }),
      },
      body: raw,
      ...(signal ? { signal } : {}),
    });
    if (res.statusCode === 401 && ts === undefined && tries === 0) {
      const text = await res.body.text();
      if (text.includes('X-PARTNER-TIMESTAMP')) {
        timestamped.add(project);
        continue;
      }
      return { statusCode: res.statusCode, body: null, text };
    }
    return { statusCode: res.statusCode, body: res.body, text: undefined };
  }
}

/** "payment succeeded, refund pending": the statuses of the session's operations, from the body. */
export function operationStatuses(body: string): string {
  let session: Record<string, unknown>;
  try {
    session = (JSON.parse(body) as { session?: Record<string, unknown> }).session ?? {};
  } catch {
    return '';
  }
  const labels: Record<string, string> = { acquiring_payments: 'payment', payment_list: 'payment', payments: 'payout', payout_list: 'payout' };
  const parts: string[] = [];
  for (const [list, label] of Object.entries(labels)) {
    const ops = session[list];
    if (!Array.isArray(ops)) continue;
    for (const op of ops as Record<string, unknown>[]) {
      parts.push(`${label} ${String(op['status'])}`);
      for (const r of Array.isArray(op['refunds']) ? (op['refunds'] as Record<string, unknown>[]) : []) parts.push(`refund ${String(r['status'])}`);
    }
  }
  return [`session ${String(session['status'] ?? '?')}`, ...parts].join(', ');
}

async function forward(to: string, e: StreamEvent, signal?: AbortSignal): Promise<string> {
  try {
    const res = await request(to, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-partner-sign': e.signature, 'x-payrail-webhook-id': e.id, 'user-agent': 'payrail-listen' },
      body: e.body,
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(10_000)]) : AbortSignal.timeout(10_000),
    });
    await res.body.dump();
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    return `→ ${res.statusCode} ${ok ? 'OK' : 'your endpoint did not answer 2xx'}`;
  } catch (err) {
    const e2 = err as Error & { cause?: { message?: string } };
    return `→ error: ${e2.cause?.message ?? e2.message}`;
  }
}

/** Reads `event:`/`data:` blocks off an SSE body; comments (heartbeats) are skipped. */
type Block = { event: 'ready'; data: { after: string } } | { event: 'webhook'; data: StreamEvent };

async function* events(body: AsyncIterable<Buffer | string>): AsyncGenerator<Block> {
  let buf = '';
  for await (const chunk of body) {
    buf += chunk.toString();
    let end: number;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const event = /^event: (\w+)$/m.exec(block)?.[1];
      const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if ((event === 'ready' || event === 'webhook') && data) yield { event, data: JSON.parse(data) } as Block;
    }
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

export async function listen(opts: ListenOptions): Promise<number> {
  const out = opts.out ?? process.stdout;
  const key = loadKey(opts.key);
  // `cursor`: where a (re)connect starts; `handled`: the seqs above it already forwarded, skipped if sent again.
  let cursor = opts.after;
  const handled = new Set<string>();
  let delay = 500;
  let announced = false;
  while (!opts.signal?.aborted) {
    try {
      const res = await signedRequest(opts.url, opts.project, key, '/api/v1/payrail/events', cursor === undefined ? {} : { after: cursor }, opts.signal);
      if (res.statusCode !== 200 || !res.body) {
        const text = res.text ?? (await res.body!.text());
        if (res.statusCode >= 400 && res.statusCode < 500) {
          out.write(`payrail listen: the server refused the stream (HTTP ${res.statusCode}): ${text}\n`);
          return 1;
        }
        throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
      }
      for await (const block of events(res.body)) {
        if (block.event === 'ready') {
          delay = 500;
          cursor ??= block.data.after;
          if (!announced) out.write(`Ready: webhooks of project ${opts.project} at ${opts.url}${opts.forwardTo ? ` → ${opts.forwardTo}` : ''} (Ctrl-C to stop)\n`);
          else out.write(`reconnected: resuming after ${cursor}\n`);
          announced = true;
          continue;
        }
        const e = block.data;
        if (handled.has(e.seq)) continue;
        handled.add(e.seq);
        if (BigInt(e.resume_after) > BigInt(cursor ?? '0')) {
          cursor = e.resume_after;
          for (const seq of handled) if (BigInt(seq) <= BigInt(cursor)) handled.delete(seq);
        }
        const result = opts.forwardTo ? `  ${await forward(opts.forwardTo, e, opts.signal)}` : '';
        out.write(`${e.created_at}  ${e.type}  ${e.session_id}  [${operationStatuses(e.body)}]  ${e.id}${result}\n`);
        if (opts.printJson) out.write(`${JSON.stringify(JSON.parse(e.body), null, 2)}\n`);
      }
      if (opts.signal?.aborted) break;
      out.write('the stream ended; reconnecting\n');
    } catch (err) {
      if (opts.signal?.aborted) break;
      out.write(`the stream dropped (${(err as Error).message}); reconnecting in ${delay} ms\n`);
      await sleep(delay, opts.signal);
      delay = Math.min(delay * 2, 5000);
    }
  }
  return 0;
}
