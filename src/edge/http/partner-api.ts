import { createHash, verify as rsaVerify } from 'node:crypto';
import type { TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db, Queryable, Tx } from '../../platform/db/database.js';
import { runStatement, type PlannedInsert } from '../../platform/db/prepared.js';
import type { ProjectDirectory } from '../../domain/projects/project-directory.js';
import type { Project } from '../../domain/projects/project.repo.js';
import { useSignatureOnce } from '../../platform/keys/used-signature.repo.js';
import { API_VERSIONS, type ApiVersion } from '../../kernel/api-version.js';
import type { Clock } from '../../kernel/clock.js';
import { ApiError } from '../../kernel/errors.js';
import { errorBody, toApiError } from './errors.js';
import { findAnswer, insertWithAnswer, storeAnswer, type Answer, type KeyedAnswer } from '../../platform/idempotency/idempotency.repo.js';
import { claimConflict, IDEMPOTENCY_HEADER, idempotencyKeyOf, requestHash } from './idempotency.js';
import { ErrorResponse } from '../wire/envelope.schema.js';
import { assertNoParameters, readBodylessRequestBody } from './raw-body.js';

/**
 * The partner API's transport: signature authentication, idempotency, the fewest statements per
 * call, and the response bytes. A call runs as one of three shapes:
 * - a write (`defineMethod`): one transaction around `run`; with an idempotency key, the answer is
 *   stored by one more statement inside that transaction (one commit, never a half-written call);
 * - a read (`defineRead`): `read` on the pool, with no BEGIN/COMMIT (at READ COMMITTED a transaction
 *   gives its statements no common snapshot anyway); with a key, its answer is stored after it by
 *   one autocommit statement;
 * - one INSERT known before it runs (`single`, session/create without card data): sent alone in
 *   autocommit, and with a key folded into that same statement (idempotency.repo.ts insertWithAnswer). Domain modules declare methods; this file mounts each under every version
 * it supports (/api/v1/<path>, /api/v2/<path>).
 */
export interface MethodContext {
  readonly project: Project;
  readonly version: ApiVersion;
}

export interface ApiMethod<B = unknown> {
  readonly path: string;
  readonly summary: string;
  readonly body: TSchema;
  readonly response?: TSchema;
  readonly versions?: readonly ApiVersion[];
  /** POST unless said otherwise (the SDK reads fps/banks with GET). A GET is signed over its body bytes as sent, as a POST is. */
  readonly httpMethods?: readonly ('GET' | 'POST')[];
  /** @deprecated the single-method form of httpMethods. */
  readonly httpMethod?: 'GET' | 'POST';
  /**
   * The method takes no parameters: no body schema, and the body must be empty, `[]` or `{}`
   * (anything else is invalid_request, after authentication). `body` is then only documentation.
   */
  readonly noParameters?: boolean;
  /**
   * false for methods that never queue webhooks or jobs (session/create, reads): their commits need
   * not wake the worker, which on PGlite would cost a claim query per request.
   */
  readonly wakesWorker?: boolean;
  /** Runs inside one transaction; returns what joins `status: "ok"` in the response. */
  run(tx: Tx, ctx: MethodContext, body: B): Promise<Record<string, unknown>>;
  /** Set by defineRead: the method only reads, and runs on the pool, outside any transaction. */
  readonly read?: (db: Queryable, ctx: MethodContext, body: B) => Promise<Record<string, unknown>>;
  /**
   * The call as one INSERT and its answer, when this body allows it (undefined: `run` in a
   * transaction). The transport sends it alone, or folded with the idempotency key.
   */
  single?(ctx: MethodContext, body: B): { readonly insert: PlannedInsert; readonly payload: Record<string, unknown> } | undefined;
}

/** Erases the body type so methods with different bodies can share one list. */
export const defineMethod = <B>(method: ApiMethod<B>): ApiMethod => method as ApiMethod;

/** A method that only reads: `run` gets the pool (or, never needed, a transaction). */
export const defineRead = <B>(method: Omit<ApiMethod<B>, 'run' | 'read' | 'single' | 'wakesWorker'> & { run(db: Queryable, ctx: MethodContext, body: B): Promise<Record<string, unknown>> }): ApiMethod =>
  ({ ...method, wakesWorker: false, read: method.run }) as ApiMethod;

export interface PartnerApiDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly projects: ProjectDirectory;
  /** Called after each committed call: wakes the worker for webhooks and jobs the call queued. */
  readonly afterCommit?: () => void;
  /** The body size limit, also applied to the bodies of GET requests read here (default 64 KiB). */
  readonly bodyLimitBytes?: number;
  /** The project's rate limit (rate-limit.ts): throws rate_limited once it is spent. */
  readonly rateLimit?: (req: FastifyRequest, project: Project) => Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    project: Project | undefined;
  }
}

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** RFC 4648 §4 Base64, canonical and padded, nothing else: no spaces, no base64url, no trailing junk. */
function strictBase64(s: string): Buffer | undefined {
  if (s.length === 0 || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return undefined;
  const bytes = Buffer.from(s, 'base64');
  return bytes.toString('base64') === s ? bytes : undefined;
}
// Unix seconds, with up to six decimals: identical requests within one second sign identically (RSA PKCS#1 v1.5 is deterministic).
const TIMESTAMP = /^[0-9]{1,12}(?:\.[0-9]{1,6})?$/;

/**
 * X-PARTNER-PROJECT names the project; X-PARTNER-SIGN must verify the raw body with one of its
 * active keys. With the project's replay guard on (signature_max_age_seconds), the request also
 * carries X-PARTNER-TIMESTAMP (Unix seconds), the signature covers `timestamp + "." + body`, the
 * timestamp must be within the window of the server's real time, and each signature is taken once.
 */
async function authenticate(deps: PartnerApiDeps, req: FastifyRequest): Promise<void> {
  const name = header(req, 'x-partner-project');
  if (!name) throw new ApiError('identification_error', 'X-PARTNER-PROJECT header is required');
  const entry = await deps.projects.get(name);
  if (!entry) throw new ApiError('identification_error', `project "${name}" is not known`);
  const signature = header(req, 'x-partner-sign');
  if (!signature) throw new ApiError('authentication_error', 'X-PARTNER-SIGN header is required: the Base64 RSA-SHA256 signature of the request body');
  const sig = strictBase64(signature);
  if (!sig) throw new ApiError('authentication_error', 'X-PARTNER-SIGN must be standard Base64 (RFC 4648, with padding) and nothing else');
  const body = req.rawBody ?? Buffer.alloc(0);
  const window = entry.project.signatureMaxAgeSeconds;
  let signed = body;
  let timestamp = 0;
  if (window !== null) {
    const given = header(req, 'x-partner-timestamp');
    if (given === undefined || !TIMESTAMP.test(given)) {
      throw new ApiError('authentication_error', `project "${name}" requires X-PARTNER-TIMESTAMP (Unix seconds, up to 6 decimals), signed as timestamp + "." + body`);
    }
    timestamp = Number(given);
    const skew = Math.abs(Date.now() / 1000 - timestamp);
    if (skew > window) {
      throw new ApiError('authentication_error', `X-PARTNER-TIMESTAMP ${given} is ${Math.round(skew)} s from the server's time; project "${name}" accepts ${window} s`);
    }
    signed = Buffer.concat([Buffer.from(`${given}.`), body]);
  }
  if (!entry.keys.some(({ key }) => rsaVerify('sha256', signed, key, sig))) {
    throw new ApiError(
      'authentication_error',
      window === null
        ? `X-PARTNER-SIGN does not verify the request body with any active key of project "${name}"`
        : `X-PARTNER-SIGN does not verify X-PARTNER-TIMESTAMP + "." + the request body with any active key of project "${name}"`,
    );
  }
  // After the signature (a forged request spends no budget), before the replay guard's write.
  await deps.rateLimit?.(req, entry.project);
  if (window !== null) {
    const digest = createHash('sha256').update(sig).digest('hex');
    if (!(await useSignatureOnce(deps.db, entry.project.id, digest, new Date((timestamp + window + 1) * 1000)))) {
      throw new ApiError('authentication_error', 'this signed request was already accepted once: sign each request anew (a new X-PARTNER-TIMESTAMP)');
    }
  }
  if (req.bodyError) throw new ApiError('invalid_request', req.bodyError);
  req.project = entry.project;
}

const ok = (payload: Record<string, unknown>) => JSON.stringify({ status: 'ok', ...payload });

/** Thrown inside a write's transaction when its key turns out to be another request's: the transaction rolls back. */
const KEY_TAKEN = new Error('idempotency key taken');

async function execute(deps: PartnerApiDeps, method: ApiMethod, ctx: MethodContext, body: unknown, keyed?: Omit<KeyedAnswer, 'status' | 'body'>): Promise<string> {
  const out = await deps.db.transaction().execute(async (tx) => {
    const text = ok(await method.run(tx, ctx, body));
    if (keyed && !(await storeAnswer(tx, { ...keyed, status: 200, body: text }))) throw KEY_TAKEN;
    return text;
  });
  if (method.wakesWorker !== false) deps.afterCommit?.();
  return out;
}

/** Runs the call once, by its shape (see the top of this file); with `keyed`, false when the key is another request's. */
async function perform(deps: PartnerApiDeps, method: ApiMethod, ctx: MethodContext, body: unknown, keyed: Omit<KeyedAnswer, 'status' | 'body'> | undefined): Promise<string | false> {
  const single = method.single?.(ctx, body);
  if (single) {
    const text = ok(single.payload);
    if (!keyed) await runStatement(deps.db, single.insert.statement, single.insert.values);
    else if (!(await insertWithAnswer(deps.db, single.insert, { ...keyed, status: 200, body: text }))) return false;
    if (method.wakesWorker !== false) deps.afterCommit?.();
    return text;
  }
  if (method.read) {
    const read = method.read;
    // One pool connection for all of the read's statements (a pool checkout each would cost more), no BEGIN/COMMIT.
    const text = ok(await deps.db.connection().execute((db) => read(db, ctx, body)));
    return !keyed || (await storeAnswer(deps.db, { ...keyed, status: 200, body: text })) ? text : false;
  }
  try {
    return await execute(deps, method, ctx, body, keyed);
  } catch (err) {
    if (err === KEY_TAKEN) return false;
    throw err;
  }
}

function answer(send: (status: number, body: string) => FastifyReply, found: Answer, key: string): FastifyReply {
  if (found.kind === 'replay') return send(found.status, found.body);
  throw claimConflict(found, key);
}

async function handle(deps: PartnerApiDeps, method: ApiMethod, version: ApiVersion, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const project = req.project;
  if (!project) throw new ApiError('identification_error', 'X-PARTNER-PROJECT header is required');
  const ctx: MethodContext = { project, version };
  const send = (status: number, body: string) => reply.code(status).type('application/json; charset=utf-8').send(body);
  const key = idempotencyKeyOf(req);
  if (key === undefined) return send(200, (await perform(deps, method, ctx, req.body, undefined)) as string);
  const keyed = { projectId: project.id, key, requestHash: requestHash(req), now: deps.clock.now() };
  // The key is another request's: its answer, or why not. Gone meanwhile (its call rolled back), the key is free again: once more.
  const taken = async (): Promise<FastifyReply> => {
    const found = await findAnswer(deps.db, project.id, key, keyed.requestHash);
    if (found) return answer(send, found, key);
    const again = await perform(deps, method, ctx, req.body, keyed);
    if (again !== false) return send(200, again);
    return answer(send, (await findAnswer(deps.db, project.id, key, keyed.requestHash)) ?? { kind: 'conflict', reason: 'in_flight' }, key);
  };
  let out: string | false;
  try {
    out = await perform(deps, method, ctx, req.body, keyed);
  } catch (err) {
    const apiError = toApiError(err, req);
    // A 5xx stores nothing (the call rolled back): the partner may retry with the same key.
    if (apiError.httpStatus >= 500) throw apiError;
    // A refusal is an answer too: the same request replays it, byte for byte.
    const body = errorBody(apiError.code, apiError.message);
    if (await storeAnswer(deps.db, { ...keyed, status: apiError.httpStatus, body })) return send(apiError.httpStatus, body);
    return taken();
  }
  return out === false ? taken() : send(200, out);
}

export function registerPartnerApi(app: FastifyInstance, deps: PartnerApiDeps, methods: readonly ApiMethod[]): void {
  const bodyLimit = deps.bodyLimitBytes ?? 64 * 1024;
  const headers = {
    type: 'object',
    properties: {
      'x-partner-project': { type: 'string', description: 'Project name' },
      'x-partner-sign': { type: 'string', description: 'Base64 RSA-SHA256 (PKCS#1 v1.5) signature of the raw body (of timestamp + "." + body with the replay guard on)' },
      'x-partner-timestamp': { type: 'string', description: 'Unix seconds; required, and signed, when the project has signature_max_age_seconds (docs/security.md)' },
      [IDEMPOTENCY_HEADER]: { type: 'string', description: 'Optional idempotency key (kept 24 h)' },
    },
  };
  for (const method of methods) {
    for (const version of method.versions ?? API_VERSIONS) {
      for (const verb of method.httpMethods ?? [method.httpMethod ?? 'POST']) {
        app.route({
          method: verb,
          url: `/api/${version}/${method.path}`,
          schema: {
            summary: method.summary,
            tags: [version],
            ...(verb === 'GET' || method.noParameters ? {} : { body: method.body }),
            headers,
            response: { 200: method.response ?? { type: 'object' }, '4xx': ErrorResponse, '5xx': ErrorResponse },
          },
          preValidation: async (req) => {
            // fastify leaves a GET's body unread: read it, as the signature covers it.
            if (verb === 'GET') await readBodylessRequestBody(req, bodyLimit);
            await authenticate(deps, req);
            if (method.noParameters) assertNoParameters(req.rawBody, method.path);
            // No body at all is an empty request, as `{}` and PHP's `[]` are (docs/decisions.md): the
            // schema then names the missing field rather than refusing the body as a whole.
            else if (req.body === undefined) req.body = {};
          },
          handler: async (req, reply) => handle(deps, method, version, req, reply),
        });
      }
    }
  }
}
