import { sign, type KeyObject } from 'node:crypto';
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import { isPrivateAddress } from './address-policy.js';

/**
 * One webhook attempt: a real HTTP POST of the exact stored bytes, signed with the server's key.
 * - RSA signing (~0.7 ms) runs on libuv's thread pool (crypto.sign with a callback), off the event loop.
 * - 10 s for the whole attempt; redirects are not followed (a 3xx is a failed attempt).
 * - At most 64 KiB of the response is read; the rest is discarded with the connection.
 * - When private targets are refused, the address actually connected to is checked after DNS
 *   resolution (a name that resolves to 127.0.0.1 at delivery time is refused, whatever it was at
 *   registration).
 */
export const ATTEMPT_TIMEOUT_MS = 10_000;
export const MAX_RESPONSE_BYTES = 64 * 1024;
export const EXCERPT_BYTES = 1024;

export interface AttemptResult {
  readonly httpStatus: number | null;
  readonly latencyMs: number;
  readonly excerpt: string | null;
  readonly error: string | null;
  readonly ok: boolean;
}

export function signAsync(body: Buffer, key: KeyObject): Promise<string> {
  return new Promise((resolve, reject) => {
    sign('sha256', body, key, (err, sig) => (err ? reject(err) : resolve(sig.toString('base64'))));
  });
}

function guardedLookup(): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      const list = addresses as unknown as dns.LookupAddress[];
      const bad = list.find((a) => isPrivateAddress(a.address));
      if (bad) {
        const refused = Object.assign(new Error(`refused: ${hostname} resolves to private address ${bad.address}`), { code: 'EPRIVATE' });
        return callback(refused, '', 4);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };
}

export function createDeliveryAgent(allowPrivate: boolean): Agent {
  return new Agent({
    connect: { timeout: ATTEMPT_TIMEOUT_MS, ...(allowPrivate ? {} : { lookup: guardedLookup() }) },
    headersTimeout: ATTEMPT_TIMEOUT_MS,
    bodyTimeout: ATTEMPT_TIMEOUT_MS,
    keepAliveTimeout: 4_000,
    connections: 64,
  });
}

export async function attemptDelivery(
  agent: Agent,
  url: string,
  body: string,
  signature: string,
  headers: Record<string, string>,
  allowPrivate: boolean,
): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const parsed = new URL(url);
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    if (!allowPrivate && /^[\d.]+$|:/.test(host) && isPrivateAddress(host)) {
      return { httpStatus: null, latencyMs: elapsed(), excerpt: null, error: `refused: ${host} is a private address`, ok: false };
    }
    const res = await request(url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', 'x-partner-sign': signature, 'user-agent': 'payrail-webhooks', ...headers },
      body,
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        chunks.push(buf);
        size += buf.length;
        if (size >= MAX_RESPONSE_BYTES) break; // leaving the loop destroys the stream: no more is read
      }
    } catch {
      // a body cut short does not change the status the receiver already gave
    }
    if (size >= MAX_RESPONSE_BYTES) res.body.destroy();
    const text = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    return {
      httpStatus: res.statusCode,
      latencyMs: elapsed(),
      excerpt: text,
      error: ok ? null : res.statusCode >= 300 && res.statusCode < 400 ? `redirect to ${String(res.headers['location'] ?? '?')} not followed` : null,
      ok,
    };
  } catch (err) {
    const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
    const reason = e.name === 'TimeoutError' || e.name === 'AbortError' ? `timed out after ${ATTEMPT_TIMEOUT_MS / 1000} s` : (e.cause?.message ?? e.message);
    return { httpStatus: null, latencyMs: elapsed(), excerpt: null, error: reason, ok: false };
  }
}
