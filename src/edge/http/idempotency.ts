import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../../platform/db/database.js';
import { claimKey, completeKey, releaseKey, type ClaimResult, type KeyScope } from '../../platform/idempotency/idempotency.repo.js';
import type { Clock } from '../../kernel/clock.js';
import { ApiError } from '../../kernel/errors.js';

/**
 * X-PARTNER-IDEMPOTENCY-KEY, the same header with the same rules on the partner API and on every
 * mutating admin call: the same key with the same method and bytes replays the first answer (a
 * refusal too); with other bytes, or while the first is still running, it is refused with
 * `idempotency_key_already_exists`. Keys are kept 24 hours.
 */
export const IDEMPOTENCY_HEADER = 'x-partner-idempotency-key';
const IDEMPOTENCY_KEY_MAX = 255;
// Printable ASCII only: a key is echoed in error descriptions and must not carry control characters.
const KEY_CHARS = /^[\x20-\x7e]+$/;

/** The request's key, checked; undefined when it sends none. */
export function idempotencyKeyOf(req: FastifyRequest): string | undefined {
  const raw = req.headers[IDEMPOTENCY_HEADER];
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key === undefined) return undefined;
  if (key.length === 0 || key.length > IDEMPOTENCY_KEY_MAX || !KEY_CHARS.test(key)) {
    throw new ApiError('invalid_request', `X-PARTNER-IDEMPOTENCY-KEY must be 1 to ${IDEMPOTENCY_KEY_MAX} printable ASCII characters`);
  }
  return key;
}

/**
 * The same key means the same request only on the same method and path with the same bytes. (A POST
 * hashes as path and body alone, as keys stored before PATCH and DELETE took keys did.)
 */
export function requestHash(req: FastifyRequest): string {
  return createHash('sha256')
    .update(req.method === 'POST' ? '' : `${req.method} `)
    .update(req.url.split('?')[0] ?? '')
    .update('\n')
    .update(req.rawBody ?? Buffer.alloc(0))
    .digest('hex');
}

export function claimConflict(claim: Extract<ClaimResult, { kind: 'conflict' }>, key: string): ApiError {
  return new ApiError(
    'idempotency_key_already_exists',
    claim.reason === 'in_flight'
      ? `a request with X-PARTNER-IDEMPOTENCY-KEY "${key}" is still being processed`
      : `X-PARTNER-IDEMPOTENCY-KEY "${key}" was already used for a different request`,
  );
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The admin call's claimed key, completed with its answer in onSend. */
    claimedKey: string | undefined;
  }
}

/**
 * The admin API's keys, as hooks around every POST, PATCH and DELETE of `app`: claimed before the
 * handler, completed with the answer after it (an answer under 500 is kept and replayed; a 5xx frees
 * the key for a retry). The handler commits before the key is completed, so a process that dies in
 * between leaves a claim that a retry takes over after a minute: calls that move money also carry
 * their own once-only reference (the wallet top-up's `reference`).
 */
export function adminIdempotency(app: FastifyInstance, deps: { db: Db; clock: Clock; scope: KeyScope }): void {
  app.decorateRequest('claimedKey', undefined);
  app.addHook('preHandler', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    const key = idempotencyKeyOf(req);
    if (key === undefined) return;
    const claim = await claimKey(deps.db, deps.scope, key, requestHash(req), deps.clock.now());
    if (claim.kind === 'conflict') throw claimConflict(claim, key);
    if (claim.kind === 'replay') return reply.code(claim.status).type('application/json; charset=utf-8').send(claim.body);
    req.claimedKey = key;
    return undefined;
  });
  app.addHook('onSend', async (req, reply, payload) => {
    const key = req.claimedKey;
    if (key === undefined) return payload;
    req.claimedKey = undefined;
    if (reply.statusCode >= 500 || typeof payload !== 'string') await releaseKey(deps.db, deps.scope, key);
    else await completeKey(deps.db, deps.scope, key, reply.statusCode, payload);
    return payload;
  });
}
