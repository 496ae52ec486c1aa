import { PayrailError } from './errors.js';
import { signedHeaders, type Transport } from './request.js';
import type { ApiErrorCode } from './codes.js';
import type { ApiVersion } from './types/common.js';
import type { EventStreamRequest } from './types/requests.js';
import type { StreamedWebhook } from './types/responses.js';

/**
 * payrail/events (a payrail extension, what `payrail listen` reads): the project's webhooks as a
 * text/event-stream, each with its exact body and the server's signature, whether or not a
 * webhook URL is registered. One connection, not retried: to resume, call again with `after` set
 * to the last event's `resume_after` and skip the `seq`s already handled. Ends when `signal`
 * aborts or the server closes the stream.
 */
export async function* streamEvents(t: Transport, version: ApiVersion, body: EventStreamRequest, signal?: AbortSignal): AsyncGenerator<StreamedWebhook> {
  const raw = Buffer.from(JSON.stringify(body), 'utf8');
  const res = await fetch(`${t.url.replace(/\/+$/, '')}/api/${version}/payrail/events`, {
    method: 'POST',
    headers: { ...signedHeaders(t, raw, undefined), accept: 'text/event-stream' },
    body: raw,
    redirect: 'manual',
    ...(signal ? { signal } : {}),
  });
  if (!res.ok || !res.body) {
    const text = await res.text();
    let err: { code?: string; description?: string } | undefined;
    try {
      err = (JSON.parse(text) as { error?: { code?: string; description?: string } }).error;
    } catch {
      err = undefined;
    }
    throw new PayrailError((err?.code as ApiErrorCode | undefined) ?? 'unexpected_response', err?.description ?? `HTTP ${res.status}: ${text.slice(0, 200)}`, res.status, { method: 'payrail/events' });
  }
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      // Events are separated by a blank line; comment lines (":") are the server's heartbeats.
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = block.split('\n');
        if (!lines.some((l) => l === 'event: webhook')) continue;
        const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        yield JSON.parse(data) as StreamedWebhook;
      }
    }
  } catch (err) {
    if (signal?.aborted) return;
    throw err;
  }
}
