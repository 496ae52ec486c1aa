import { randomUUID, type KeyObject } from 'node:crypto';
import { PayrailConnectionError, PayrailError } from './errors.js';
import { signBytes } from './signing.js';
import type { ApiErrorCode } from './codes.js';
import type { ApiVersion } from './types/common.js';

/**
 * The one function every API method goes through (as stripe-node's request layer): it serialises
 * the body once, signs those exact bytes, attaches the idempotency key, retries with jittered
 * exponential backoff on network failures and 5xx only, and maps answers to results or errors.
 *
 * A mutating call always carries an X-PARTNER-IDEMPOTENCY-KEY (a random UUID unless the caller
 * gives one), and every retry of that call sends the same key and the same bytes: if the first
 * attempt did reach the server and only the answer was lost, the server replays its stored answer
 * instead of acting twice. A 4xx is a decision and is never retried, with one exception: on a
 * retry, a 409 saying the key's first request is still being processed (our own lost attempt).
 */
export interface Transport {
  readonly url: string;
  readonly project: string;
  readonly privateKey: KeyObject;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  /** The project's replay guard (signature_max_age_seconds): sign `timestamp + "." + body`. */
  readonly signTimestamp: boolean;
  readonly userAgent: string;
}

export interface RequestOptions {
  /** Overrides the generated key (mutating calls), or sends one on a read. */
  idempotencyKey?: string;
  timeoutMs?: number;
  maxRetries?: number;
  /** Aborts the call (and its retries); an abort is never retried. */
  signal?: AbortSignal;
}

export interface MethodSpec {
  readonly path: string;
  readonly version: ApiVersion;
  /** Mutating calls get an idempotency key; reads do not. */
  readonly mutating: boolean;
  /**
   * The payer-side endpoint (/cds/v1/tokenize/card): authenticated by a public token
   * (X-PUBLIC-TOKEN) instead of the partner's signature.
   */
  readonly publicToken?: string;
}

export const IDEMPOTENCY_HEADER = 'x-partner-idempotency-key';

/** The delay before retry number `retry` (0-based): half fixed, half random, doubling, capped. */
export function backoffMs(t: Pick<Transport, 'retryBaseDelayMs' | 'retryMaxDelayMs'>, retry: number, retryAfterSeconds?: number): number {
  const ceiling = Math.min(t.retryMaxDelayMs, t.retryBaseDelayMs * 2 ** retry);
  const jittered = ceiling / 2 + Math.random() * (ceiling / 2);
  // A server asking for a pause (503 Retry-After) gets it, within the cap.
  return retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds) ? Math.min(t.retryMaxDelayMs, Math.max(jittered, retryAfterSeconds * 1000)) : jittered;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export function signedHeaders(t: Transport, raw: Buffer, idempotencyKey: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': t.userAgent,
    'x-partner-project': t.project,
  };
  if (t.signTimestamp) {
    // Each attempt is signed anew: the server accepts a timestamped signature once only.
    const ts = (Date.now() / 1000).toFixed(3);
    headers['x-partner-timestamp'] = ts;
    headers['x-partner-sign'] = signBytes(Buffer.concat([Buffer.from(`${ts}.`), raw]), t.privateKey);
  } else {
    headers['x-partner-sign'] = signBytes(raw, t.privateKey);
  }
  if (idempotencyKey !== undefined) headers[IDEMPOTENCY_HEADER] = idempotencyKey;
  return headers;
}

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly requestId: string | undefined;
  readonly retryAfter: number | undefined;
}

function errorOf(spec: MethodSpec, a: Answer, key: string | undefined): PayrailError {
  const details = { method: spec.path, ...(a.requestId ? { requestId: a.requestId } : {}), ...(key ? { idempotencyKey: key } : {}) };
  try {
    const body = JSON.parse(a.text) as { error?: { code?: unknown; description?: unknown } };
    // A code newer than this SDK's list is passed on as the server sent it.
    if (typeof body.error?.code === 'string') return new PayrailError(body.error.code as ApiErrorCode, String(body.error.description ?? ''), a.status, details);
  } catch {
    // not the envelope: a proxy's page, a truncated body
  }
  return new PayrailError('unexpected_response', `HTTP ${a.status} without the API's error envelope: ${a.text.slice(0, 200)}`, a.status, details);
}

function isInFlight(text: string): boolean {
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; description?: unknown } }).error;
    return e?.code === 'idempotency_key_already_exists' && typeof e.description === 'string' && e.description.includes('still being processed');
  } catch {
    return false;
  }
}

/** One signed call; resolves to the parsed `status: "ok"` body. */
export async function request<T>(t: Transport, spec: MethodSpec, body: unknown, opts: RequestOptions = {}): Promise<T> {
  const raw = Buffer.from(JSON.stringify(body ?? {}), 'utf8');
  const key = opts.idempotencyKey ?? (spec.mutating ? randomUUID() : undefined);
  const maxRetries = opts.maxRetries ?? t.maxRetries;
  const root = t.url.replace(/\/+$/, '');
  const url = spec.publicToken === undefined ? `${root}/api/${spec.version}/${spec.path}` : `${root}/cds/v1/${spec.path}`;
  let lastNetworkError: unknown;
  for (let attempt = 0; ; attempt++) {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? t.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let answer: Answer | undefined;
    try {
      const headers = spec.publicToken === undefined ? signedHeaders(t, raw, key) : { 'content-type': 'application/json', 'user-agent': t.userAgent, 'x-public-token': spec.publicToken };
      // A redirect is not followed: it would carry the signed body elsewhere (and turn a POST into a GET).
      const res = await fetch(url, { method: 'POST', headers, body: raw, signal, redirect: 'manual' });
      const retryAfter = res.headers.get('retry-after');
      answer = { status: res.status, text: await res.text(), requestId: res.headers.get('x-request-id') ?? undefined, retryAfter: retryAfter === null ? undefined : Number(retryAfter) };
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      lastNetworkError = err;
    }
    // The one 4xx that is retried: on a retry, "a request with this key is still being processed"
    // is our own earlier attempt (same key, same bytes) that reached the server and lost its
    // answer; waiting for it gets its answer replayed. Any other 409 (the key used for another
    // body) is final like every 4xx.
    const inFlight = attempt > 0 && answer?.status === 409 && isInFlight(answer.text);
    const retryable = answer === undefined || answer.status >= 500 || inFlight;
    if (retryable && attempt < maxRetries) {
      await sleep(backoffMs(t, attempt, answer?.retryAfter), opts.signal);
      continue;
    }
    if (answer === undefined) {
      const why = lastNetworkError instanceof Error ? `${lastNetworkError.message}${lastNetworkError.cause instanceof Error ? ` (${lastNetworkError.cause.message})` : ''}` : String(lastNetworkError);
      throw new PayrailConnectionError(`${spec.path}: no answer from ${t.url} after ${attempt + 1} attempt(s): ${why}`, attempt + 1, key, { cause: lastNetworkError });
    }
    if (answer.status >= 400) throw errorOf(spec, answer, key);
    let parsed: { status?: unknown };
    try {
      parsed = JSON.parse(answer.text) as { status?: unknown };
    } catch {
      throw new PayrailError('unexpected_response', `HTTP ${answer.status} with a body that is not JSON: ${answer.text.slice(0, 200)}`, answer.status, { method: spec.path });
    }
    // The spec's clients read the body's status, not the HTTP code: an error body is an error.
    if (parsed.status === 'error') throw errorOf(spec, answer, key);
    return parsed as T;
  }
}
