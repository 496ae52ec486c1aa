import type { FastifyInstance } from 'fastify';
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
