import type { KeyObject } from 'node:crypto';
import { loadKey, signedRequest } from './listen.js';

/**
 * `payrail logs tail`: the project's API requests as they happen, from the server's request log
 * (POST /api/v1/payrail/requests, signed with the project's private key, so it works against a
 * remote payrail). Polls every 400 ms; prints one line per request. The log holds no bodies, so
 * nothing printed here can carry card data. Resolves 0 when `signal` aborts, 1 when refused.
 */
export interface LogsTailOptions {
  url: string;
  project: string;
  key: KeyObject | string;
  out?: NodeJS.WritableStream;
  signal?: AbortSignal;
  /** Start after this cursor; default: the last 10 requests, then new ones. */
  since?: string;
  pollMs?: number;
}

export interface LoggedRequestWire {
  id: string;
  at: string;
  api_version: string;
  method: string;
  http_method: string;
  path: string;
  http_status: number;
  error_code: string | null;
  latency_ms: number;
  idempotency_key: string | null;
  request_id: string;
}

export function formatRequest(r: LoggedRequestWire): string {
  const status = r.error_code ? `${r.http_status} ${r.error_code}` : String(r.http_status);
  const idem = r.idempotency_key ? `  idempotency-key=${r.idempotency_key}` : '';
  return `${r.at}  ${r.http_method} /api/${r.api_version}/${r.method}  ${status}  ${r.latency_ms} ms${idem}  ${r.request_id}`;
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

export async function logsTail(opts: LogsTailOptions): Promise<number> {
  const out = opts.out ?? process.stdout;
  const key = loadKey(opts.key);
  let cursor = opts.since;
  let warned = false;
  while (!opts.signal?.aborted) {
    let full = false;
    try {
      const res = await signedRequest(opts.url, opts.project, key, '/api/v1/payrail/requests', cursor === undefined ? { limit: 10 } : { after: cursor, limit: 200 }, opts.signal);
      const text = res.text ?? (await res.body!.text());
      if (res.statusCode >= 400 && res.statusCode < 500) {
        out.write(`payrail logs tail: the server refused (HTTP ${res.statusCode}): ${text}\n`);
        return 1;
      }
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
      const page = JSON.parse(text) as { requests: LoggedRequestWire[]; cursor: string };
      for (const r of page.requests) out.write(`${formatRequest(r)}\n`);
      cursor = page.cursor;
      full = page.requests.length === 200;
      warned = false;
    } catch (err) {
      if (opts.signal?.aborted) break;
      if (!warned) out.write(`cannot read the request log (${(err as Error).message}); retrying\n`);
      warned = true;
    }
    if (!full) await sleep(opts.pollMs ?? 400, opts.signal);
  }
  return 0;
}
