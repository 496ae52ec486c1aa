import { Type, type TSchema } from '@sinclair/typebox';
import { WEBHOOK_TYPES } from '../wire/webhook.schema.js';
import { Timestamp } from './operation.schemas.js';

/**
 * The answers of payrail's own extension methods (payrail/*, docs/listen-and-logs.md), for the
 * OpenAPI document only: what payrail-requests.routes.ts (renderRequest, requestsPage) and
 * payrail-events.routes.ts write. test/openapi.test.ts checks real answers and real stream events
 * against them, every object closed.
 */

const Ok = Type.Literal('ok', { description: 'Always `ok` on HTTP 200' });
const Cursor = Type.String({ pattern: '^[0-9]{1,18}$', description: 'A cursor: pass it back as `after`', examples: ['42'] });
const orNull = (s: TSchema) => Type.Union([s, Type.Null()]);
const enumOf = (values: readonly string[], description?: string) => Type.Unsafe<string>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });

export const RequestLogEntry = Type.Object(
  {
    id: Cursor,
    at: Timestamp,
    api_version: enumOf(['v1', 'v2']),
    method: Type.String({ description: 'The API method: the path after /api/<version>/', examples: ['session/create'] }),
    http_method: Type.String({ examples: ['POST'] }),
    path: Type.String({ description: 'Without the query string; runs of 12 or more digits are `[redacted]`', examples: ['/api/v1/session/create'] }),
    http_status: Type.Integer({ examples: [200] }),
    error_code: orNull(Type.String({ description: 'The error envelope\u2019s code (docs/errors.md); its description is never kept', examples: ['session_not_found'] })),
    latency_ms: Type.Integer({ minimum: 0 }),
    idempotency_key: orNull(Type.String({ description: 'X-PARTNER-IDEMPOTENCY-KEY as sent, digit runs of 12 or more `[redacted]`' })),
    request_id: Type.String({ description: 'The `x-request-id` header of the answer' }),
  },
  { title: 'RequestLogEntry', description: 'One partner API request as the request log keeps it: never a body, a query string or another header' },
);

export const PayrailRequestsResponse = Type.Object(
  {
    status: Ok,
    requests: Type.Array(RequestLogEntry, { description: 'Oldest first' }),
    cursor: { ...Cursor, description: 'The last entry\u2019s id (or the `after` given when nothing is new): the next call\u2019s `after`' },
  },
  { title: 'PayrailRequestsResponse' },
);

/** The data of an `event: webhook` block of the stream. */
export const PayrailWebhookEvent = Type.Object(
  {
    id: Type.String({ description: 'The webhook\u2019s id (X-PAYRAIL-WEBHOOK-ID)', examples: ['wh_0123456789abcdef'] }),
    seq: Cursor,
    type: enumOf(WEBHOOK_TYPES),
    session_id: Type.String(),
    created_at: Timestamp,
    delivery_state: enumOf(['pending', 'delivered', 'failed', 'no_endpoint'], 'Its delivery to the registered webhook_url; `no_endpoint`: none is registered'),
    resume_after: { ...Cursor, description: 'Reconnect with `after` set to this (and skip the seqs already handled) to miss nothing' },
    signature: Type.String({ description: 'The server\u2019s X-PARTNER-SIGN of `body`: Base64 RSA-SHA256, verify with GET /api/v1/public-key' }),
    body: Type.String({ description: 'The exact bytes a delivery POSTs: `{type, session}` (a webhook body, see `webhooks`)' }),
  },
  { title: 'PayrailWebhookEvent', description: 'The data of an `event: webhook` block of POST /api/v1/payrail/events' },
);

/** The data of the stream's first block, `event: ready`. */
export const PayrailStreamReady = Type.Object(
  { project: Type.String(), after: { ...Cursor, description: 'The stream sends the webhooks written after this seq' } },
  { title: 'PayrailStreamReady', description: 'The data of the first block of POST /api/v1/payrail/events, `event: ready`' },
);

export const PayrailEventStream = Type.String({
  title: 'PayrailEventStream',
  description:
    'A text/event-stream that stays open: first `event: ready` (data: PayrailStreamReady), then one `event: webhook` block per webhook (`id:` its seq, data: PayrailWebhookEvent), ' +
    'and a `: heartbeat` comment every 15 s. See docs/listen-and-logs.md.',
  examples: ['retry: 1000\n\nevent: ready\ndata: {"project":"demo","after":"41"}\n\nid: 42\nevent: webhook\ndata: {"id":"wh_…","seq":"42","type":"payment_finished",…}\n\n'],
});

/** What transform() gives each payrail/* method as its 200 answer: media type and schema. */
export const PAYRAIL_RESPONSES: Readonly<Record<string, { mediaType: string; schema: TSchema; description: string }>> = {
  'payrail/requests': { mediaType: 'application/json', schema: PayrailRequestsResponse, description: 'A page of the project\u2019s request log' },
  'payrail/events': { mediaType: 'text/event-stream', schema: PayrailEventStream, description: 'The project\u2019s webhooks as a stream (it stays open until the client leaves)' },
};

/** Admin routes whose answer is one of the above, by `VERB url` as fastify writes it (documentation only: the route serializes as before). */
export const ADMIN_RESPONSES: Readonly<Record<string, { schema: TSchema; description: string }>> = {
  'GET /admin/projects/:name/requests': { schema: PayrailRequestsResponse, description: 'A page of the project\u2019s request log (what `payrail logs tail` shows)' },
};

/** Named in components though no operation points at them: the stream's event data. */
export const STREAM_EVENT_SCHEMAS: readonly TSchema[] = [PayrailStreamReady, PayrailWebhookEvent];
