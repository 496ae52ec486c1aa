import { Type, type Static } from '@sinclair/typebox';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Project } from '../../domain/projects/project.repo.js';
import { ApiError } from '../../kernel/errors.js';
import { formatTimestamp } from '../../kernel/time.js';
import type { ServerKey } from '../../platform/keys/server-key.js';
import { signAsync } from '../../platform/webhooks/deliver.js';
import { FeedCursor, lastWebhookSeq, webhooksAfter } from '../../platform/webhooks/webhook-feed.js';
import { defineMethod, registerPartnerApi, type PartnerApiDeps } from '../http/partner-api.js';
import { Cursor } from './payrail-requests.routes.js';

/**
 * POST /api/v{1,2}/payrail/events: a project's webhooks as a text/event-stream, for `payrail listen`
 * (docs/listen-and-logs.md). A payrail extension, signed like any partner call, body
 * `{"after": "<cursor>"}` (without it: only webhooks written from now on). Every webhook of the
 * project is in the outbox whether or not a webhook_url is registered; each event carries the exact
 * body bytes and the server's X-PARTNER-SIGN of them, so the CLI forwards what a real delivery sends.
 *
 * It is mounted through registerPartnerApi, so authentication, the replay guard and the body schema
 * are the API's own and every refusal is the error envelope; a preHandler hook of this scope (after
 * all of those) then takes the reply over and streams. The method's run() is never reached.
 *
 * The loop reads the outbox every `pollMs` (200 ms) by seq, so it also sees webhooks written by other
 * instances on the same PostgreSQL; a comment line every `heartbeatMs` (15 s) keeps proxies from
 * closing an idle stream, and the client closing the connection ends the loop.
 *
 * Resuming: the first block is `event: ready` with the cursor the stream starts after, and every
 * webhook carries `resume_after`, the low-water mark of FeedCursor (webhook-feed.ts). A client that
 * reconnects with `after: <the last resume_after>` and skips the seqs it already handled misses
 * nothing that was written while it was away, not even a webhook that committed late.
 *
 * Shutdown: preClose ends every open stream and waits for it; the answer says `connection: close`,
 * so its socket does not linger as a keep-alive connection that app.close() would wait for.
 */
export interface EventsDeps extends PartnerApiDeps {
  readonly serverKey: ServerKey;
  readonly pollMs?: number;
  readonly heartbeatMs?: number;
  readonly log: { warn(obj: object, msg: string): void };
}

const EventsBody = Type.Object({ after: Type.Optional(Cursor) }, { title: 'PayrailEventsRequest', additionalProperties: false });
type EventsBody = Static<typeof EventsBody>;
const PAGE = 500;
const streamsOf = new WeakMap<FastifyInstance, Map<AbortController, Promise<void>>>();

/** How many event streams this app is serving now (a leak shows here: tests, and a future ops metric). */
export function openEventStreams(app: FastifyInstance): number {
  return streamsOf.get(app)?.size ?? 0;
}

export async function payrailEventsRoutes(app: FastifyInstance, deps: EventsDeps): Promise<void> {
  // Open streams end when the server closes: fastify only closes idle connections, and a stream never is.
  const open = new Map<AbortController, Promise<void>>();
  streamsOf.set(app, open);
  // A client may also hold a connection on which it never sends a request (undici reconnects after a
  // stream it aborted, a browser preconnects). Node's closeIdleConnections() leaves such a socket to
  // the headers timeout (60 s or more), so close() would wait that long: shutdown destroys every
  // socket with no answer in flight once the streams are done.
  const sockets = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  app.addHook('preClose', async () => {
    for (const c of open.keys()) c.abort();
    await Promise.all(open.values());
    for (const socket of sockets) if (!(socket as Socket & { _httpMessage?: unknown })._httpMessage) socket.destroy();
  });
  await app.register(async (scope) => {
    scope.addHook('preHandler', async (req: FastifyRequest<{ Body: EventsBody }>, reply) => {
      if (!req.project) return; // not authenticated: the handler answers with the envelope
      const project = req.project;
      // The start is read before the stream opens, so a failing database is still an envelope answer.
      const after = req.body?.after ?? (await lastWebhookSeq(deps.db, project.id));
      reply.hijack();
      const closed = new AbortController();
      const done = stream(deps, req, reply, project, after, closed)
        .catch((err: unknown) => deps.log.warn({ err, project: project.name }, 'payrail/events stream failed'))
        .finally(() => open.delete(closed));
      open.set(closed, done);
    });
    registerPartnerApi(scope, deps, [
      defineMethod<EventsBody>({
        path: 'payrail/events',
        summary:
          'payrail extension: the project\'s webhooks as text/event-stream (one `webhook` event each: id, type, session_id, the exact body and its X-PARTNER-SIGN), after `after`, then live; for `payrail listen`',
        wakesWorker: false,
        body: EventsBody,
        run: async () => {
          throw new ApiError('internal_error', 'payrail/events is served as a stream');
        },
      }),
    ]);
  });
}

async function stream(deps: EventsDeps, req: FastifyRequest, reply: FastifyReply, project: Project, after: string, closed: AbortController): Promise<void> {
  const res = reply.raw;
  res.on('close', () => closed.abort());
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no', // nginx: do not buffer the stream
    'x-request-id': String(req.id),
    // A stream is never reused as a keep-alive connection: when it ends, its socket closes.
    connection: 'close',
  });
  // Each write waits for the socket to drain, so a slow client slows this loop instead of filling memory.
  const write = async (text: string) => {
    if (closed.signal.aborted) return;
    if (!res.write(text)) await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        closed.signal.removeEventListener('abort', done);
        resolve();
      };
      res.on('drain', done);
      closed.signal.addEventListener('abort', done);
    });
  };
  const heartbeat = setInterval(() => void write(': heartbeat\n\n'), deps.heartbeatMs ?? 15_000);
  const cursor = new FeedCursor(after);
  try {
    await write(`retry: 1000\n: payrail events of project ${project.name} after ${after}\n\nevent: ready\ndata: ${JSON.stringify({ project: project.name, after })}\n\n`);
    while (!closed.signal.aborted) {
      try {
        let rows = await webhooksAfter(deps.db, project.id, cursor.readAfter, PAGE);
        // A page full of rows already sent (a burst inside the grace window): read past them as well.
        if (rows.length === PAGE) rows = [...rows, ...(await webhooksAfter(deps.db, project.id, cursor.position, PAGE))];
        for (const w of rows) {
          const resumeAfter = cursor.readAfter;
          if (closed.signal.aborted || !cursor.take(w.seq, Date.now())) continue;
          const signature = await signAsync(Buffer.from(w.body), deps.serverKey.privateKey);
          const data = { id: w.id, seq: w.seq, type: w.type, session_id: w.sessionId, created_at: formatTimestamp(w.createdAt), delivery_state: w.state, resume_after: resumeAfter, signature, body: w.body };
          await write(`id: ${w.seq}\nevent: webhook\ndata: ${JSON.stringify(data)}\n\n`);
        }
        cursor.advance(Date.now());
      } catch (err) {
        deps.log.warn({ err, project: project.name }, 'payrail/events read failed; retrying');
        await pause(1000, closed.signal);
        continue;
      }
      await pause(deps.pollMs ?? 200, closed.signal);
    }
  } finally {
    clearInterval(heartbeat);
    if (!res.writableEnded) res.end();
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
