import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../../kernel/errors.js';
import { BODY_MAX_DEPTH, nestedDeeperThan } from './json-limits.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body bytes exactly as received: what partner signatures are computed over. */
    rawBody: Buffer | undefined;
    /** Set when the body is not JSON; reported only after authentication, so it cannot be probed anonymously. */
    bodyError: string | undefined;
  }
}

/**
 * Every body is read as raw bytes first (whatever its Content-Type: curl's default form type must not
 * make a signed JSON request fail), kept for the signature check, then parsed as JSON. A parse
 * failure is recorded, not thrown, so that the signature is checked before the body is judged. So is
 * a body nested deeper than BODY_MAX_DEPTH: JSON.parse takes any depth, but storing or rendering such
 * a value (JSON.stringify) would overflow the stack.
 */
export function installRawBodyParser(app: FastifyInstance, bodyLimit: number): void {
  app.decorateRequest('rawBody', undefined);
  app.decorateRequest('bodyError', undefined);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (req, body, done) => {
    const raw = body as Buffer;
    req.rawBody = raw;
    if (raw.length === 0) return done(null, undefined);
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8'));
      if (nestedDeeperThan(parsed, BODY_MAX_DEPTH)) {
        req.bodyError = `body must not be nested more than ${BODY_MAX_DEPTH} levels deep`;
        return done(null, undefined);
      }
      // PHP clients serialise an empty object as [] (spec §2.2): treat it as {}.
      done(null, Array.isArray(parsed) && parsed.length === 0 ? {} : parsed);
    } catch (err) {
      req.bodyError = `body is not valid JSON: ${(err as Error).message}`;
      done(null, undefined);
    }
  });
}

/**
 * fastify never reads the body of a GET: its bytes stay in the socket and the route sees none. A
 * client that signs the body it sends with a GET (the PHP SDK sends `[]` with `GET fps/banks`) needs
 * those bytes for its signature to verify, so partner GET methods read them here, raw and in full,
 * before authentication, under the same size limit as any body (413 past it). A GET without a body
 * reads as zero bytes.
 */
export async function readBodylessRequestBody(req: FastifyRequest, bodyLimit: number): Promise<void> {
  if (req.rawBody !== undefined) return;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > bodyLimit) throw new ApiError('payload_too_large', `request body is larger than the ${bodyLimit} bytes allowed`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.raw) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buf.length;
    if (size > bodyLimit) throw new ApiError('payload_too_large', `request body is larger than the ${bodyLimit} bytes allowed`);
    chunks.push(buf);
  }
  req.rawBody = Buffer.concat(chunks);
}

/**
 * The bodies a method without parameters accepts, on GET and POST alike: none at all, or an empty
 * JSON array or object (`[]` is how PHP serialises an empty request, spec §2.2), whitespace around
 * allowed. Anything else is refused, after authentication, naming what was sent.
 */
export function assertNoParameters(raw: Buffer | undefined, path: string): void {
  if (!raw || raw.length === 0) return;
  const text = raw.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError('invalid_request', `${path} takes no parameters: the body must be empty, [] or {}; it is not JSON`);
  }
  const empty = (Array.isArray(parsed) && parsed.length === 0) || (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && Object.keys(parsed).length === 0);
  if (!empty) {
    const what = Array.isArray(parsed) ? 'a non-empty array' : parsed !== null && typeof parsed === 'object' ? `an object with ${Object.keys(parsed).map((k) => JSON.stringify(k).slice(0, 40)).slice(0, 3).join(', ')}` : `a JSON ${parsed === null ? 'null' : typeof parsed}`;
    throw new ApiError('invalid_request', `${path} takes no parameters: the body must be empty, [] or {}; it is ${what}`);
  }
}
