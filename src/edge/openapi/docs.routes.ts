import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';

/**
 * GET /docs: the API reference, rendered in the browser by Redoc from GET /openapi.json. Redoc's
 * bundle is served from the installed `redoc` package (GET /docs/redoc.standalone.js), so the page
 * works offline and sends nothing anywhere but this server.
 *
 * The CSP allows 'self' only, plus what Redoc cannot work without:
 * - style-src 'unsafe-inline': Redoc (styled-components) writes its styles into <style> elements at
 *   run time, with contents no hash or nonce given in advance can match;
 * - worker-src blob:: its search index runs in a Web Worker that it creates from a blob: URL;
 * - img-src data:: its icons and the logo placeholder are data: URLs.
 * No 'unsafe-eval', no remote origin: the bundle needs neither (test/browser/api-docs.test.ts).
 * Its one remote resource, the Redocly logo of the menu's footer, is taken out as the bundle is
 * read (an empty src: the image's onError hides it), so the page asks for nothing off this server.
 */
const REMOTE_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg';
const BUNDLE = createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js');

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>payrail API reference</title></head>
<body><redoc spec-url="/openapi.json" hide-download-button="false"></redoc>
<script src="/docs/redoc.standalone.js"></script></body></html>`;

export function docsRoutes(app: FastifyInstance): void {
  // Read on first use, then kept: about 1 MB, and most processes never serve it.
  let bundle: string | undefined;
  app.get('/docs', { schema: { hide: true } }, async (_req, reply) =>
    reply
      .headers({
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': CSP,
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
      })
      .send(PAGE),
  );
  app.get('/docs/redoc.standalone.js', { schema: { hide: true } }, async (_req, reply) => {
    bundle ??= (await fs.promises.readFile(BUNDLE, 'utf8')).replace(REMOTE_LOGO, '');
    return reply.headers({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }).send(bundle);
  });
}
