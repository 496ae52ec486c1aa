import type { SwaggerOptions } from '@fastify/swagger';
import type { TSchema } from '@sinclair/typebox';
import { IDEMPOTENCY_HEADER } from '../http/idempotency.js';
import { ComponentRegistry, hoistOperation } from './components.js';
import { ErrorEnvelope, responseFor, TokenizeCardResponse, WEBHOOK_BODIES } from './response.schemas.js';
import { ADMIN_RESPONSES, PAYRAIL_RESPONSES, STREAM_EVENT_SCHEMAS } from './payrail.schemas.js';

/**
 * The OpenAPI 3.1 document of GET /openapi.json (docs/openapi.md). fastify-swagger collects the
 * routes; `transform` decides per route what is shown (the partner API, the public key, the
 * payer's tokenization and the operator's admin API; not pages and probes),
 * names the operation and puts the real response schemas in; `transformObject` then names the
 * schemas (components.ts), adds the security schemes and the webhooks. Nothing here touches the
 * route schemas the validator compiled: every change is made on copies.
 */

type Json = Record<string, unknown>;

const SIGNATURE = 'partnerSignature';
const PROJECT = 'partnerProject';
const PUBLIC_TOKEN = 'publicToken';
const ADMIN = 'adminToken';

const SIGNATURE_TEXT =
  'Base64 of the RSA-SHA256 signature (PKCS#1 v1.5, SHA-256) of the exact request body bytes, made with a private key whose public key is registered for the project. ' +
  'A GET is signed over its body bytes as sent (often empty or `[]`). With the project\u2019s replay guard on (signature_max_age_seconds), sign `X-PARTNER-TIMESTAMP + "." + body` instead ' +
  'and send X-PARTNER-TIMESTAMP. Webhooks are signed the same way with the server\u2019s key (GET /api/v1/public-key).';

const SECURITY_SCHEMES = {
  [PROJECT]: { type: 'apiKey', in: 'header', name: 'X-PARTNER-PROJECT', description: 'The project name (`demo` in the sandbox). Sent with X-PARTNER-SIGN.' },
  [SIGNATURE]: { type: 'apiKey', in: 'header', name: 'X-PARTNER-SIGN', description: SIGNATURE_TEXT },
  [PUBLIC_TOKEN]: { type: 'apiKey', in: 'header', name: 'X-PUBLIC-TOKEN', description: 'A public token from the `token` method (24 hours, one use per widget)' },
  [ADMIN]: { type: 'http', scheme: 'bearer', description: "The operator's admin token (docs/admin-api.md); never a partner's" },
};

const HEADERS = {
  type: 'object',
  properties: {
    'x-partner-timestamp': { type: 'string', pattern: '^[0-9]{1,12}(\\.[0-9]{1,6})?$', description: 'Unix seconds; required, and signed, when the project has signature_max_age_seconds (docs/security.md)' },
    [IDEMPOTENCY_HEADER]: { type: 'string', maxLength: 255, description: 'Idempotency key: the same key and body replay the stored answer for 24 h; a different body is idempotency_key_already_exists' },
  },
};

const pascal = (s: string) => s.replace(/(^|[/_-])([a-z0-9])/g, (_m, _sep, c: string) => c.toUpperCase());

/** `session/init/payment` → sessionInitPayment (v1), v2SessionInitPayment (v2); a GET twin gets `Get`. */
export function operationId(version: string, path: string, verb: string): string {
  const base = pascal(path);
  const id = version === 'v1' ? base.charAt(0).toLowerCase() + base.slice(1) : `${version}${base}`;
  return verb === 'GET' ? `${id}Get` : id;
}

const errorResponses = {
  '4xx': { ...ErrorEnvelope, 'x-response-description': 'Refused: the error envelope (code and description in docs/errors.md)' },
  '5xx': { ...ErrorEnvelope, 'x-response-description': 'internal_error or service_unavailable: retry with the same idempotency key' },
};

const ok = (schema: TSchema, description: string) => ({ ...schema, 'x-response-description': description });

interface RouteInput {
  schema: Json | undefined;
  url: string;
  route: { method: string | string[] };
}

function transform({ schema, url, route }: RouteInput): { schema: Json; url: string } {
  const verb = Array.isArray(route.method) ? String(route.method[0]) : route.method;
  const partner = /^\/api\/(v1|v2)\/(.+)$/.exec(url);
  if (url === '/api/v1/public-key') {
    return {
      url,
      schema: {
        ...schema,
        operationId: 'publicKey',
        security: [],
        response: { 200: { description: "The server's public key (SPKI PEM): verify webhooks' X-PARTNER-SIGN with it", content: { 'application/x-pem-file': { schema: { type: 'string' } } } } },
      },
    };
  }
  if (partner && schema && !schema['hide']) {
    const [, version = 'v1', path = ''] = partner;
    const { headers: _, response, ...rest } = schema;
    const declared = (response as Record<string, unknown> | undefined)?.['200'];
    const own = PAYRAIL_RESPONSES[path];
    if (own) {
      const answer = { description: own.description, content: { [own.mediaType]: { schema: own.schema } } };
      return { url, schema: { ...rest, operationId: operationId(version, path, verb), tags: ['payrail'], headers: HEADERS, response: { 200: answer, ...errorResponses } } };
    }
    return {
      url,
      schema: { ...rest, operationId: operationId(version, path, verb), headers: HEADERS, response: { 200: ok(responseFor(path, version === 'v2' ? 'v2' : 'v1', declared), 'Done: `status: "ok"` and the result'), ...errorResponses } },
    };
  }
  if (url === '/cds/v1/tokenize/card' && verb === 'POST' && schema) {
    return {
      url,
      schema: {
        ...schema,
        operationId: 'tokenizeCard',
        summary: "Tokenize a card from the payer's browser (§5.13), with a public token from the token method",
        security: [{ [PUBLIC_TOKEN]: [] }],
        response: { 200: ok(TokenizeCardResponse, 'The card token'), ...errorResponses },
      },
    };
  }
  if (url.startsWith('/admin/') && schema && !schema['hide']) {
    // The operator's API (docs/admin-api.md): documented with what its routes declare, under the bearer scheme.
    const name = url.slice('/admin/'.length).replace(/[:{}.]/g, '/');
    const id = `admin${verb.charAt(0)}${verb.slice(1).toLowerCase()}${pascal(`/${name}`).replace(/[^A-Za-z0-9]/g, '')}`;
    const summary = typeof schema['summary'] === 'string' ? schema['summary'] : `${verb} ${url} (docs/admin-api.md)`;
    const known = ADMIN_RESPONSES[`${verb} ${url}`];
    const response = { ...(schema['response'] as Json | undefined), ...(known ? { 200: ok(known.schema, known.description) } : {}), ...errorResponses };
    return { url, schema: { ...schema, operationId: id, summary, tags: ['admin'], security: [{ [ADMIN]: [] }], response } };
  }
  // Probes, pages, widgets, this document itself: not part of the API.
  return { url, schema: { ...schema, hide: true } };
}

function transformObject({ openapiObject }: { openapiObject: Json }): Json {
  const registry = new ComponentRegistry();
  const paths = (openapiObject['paths'] ?? {}) as Record<string, Record<string, Json>>;
  for (const item of Object.values(paths)) for (const op of Object.values(item)) hoistOperation(op, registry);
  for (const schema of STREAM_EVENT_SCHEMAS) registry.hoist(schema);
  const webhooks: Json = {};
  for (const w of WEBHOOK_BODIES) {
    webhooks[w.type] = {
      post: {
        operationId: `webhook${pascal(w.type)}`,
        summary: w.type,
        description: `${w.description}. POSTed to the project's webhook URL, signed in X-PARTNER-SIGN with the server's key; answer HTTP 200, or it is retried.`,
        tags: ['webhooks'],
        parameters: [{ in: 'header', name: 'X-PARTNER-SIGN', required: true, schema: { type: 'string' }, description: "Base64 RSA-SHA256 signature of the body, by the server's key (GET /api/v1/public-key)" }],
        requestBody: { required: true, content: { 'application/json': { schema: registry.hoist(w.schema) } } },
        responses: { '200': { description: 'Received; any other answer is retried' } },
      },
    };
  }
  const components = (openapiObject['components'] ?? {}) as Json;
  return {
    ...openapiObject,
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [{ url: '/', description: 'This payrail server' }],
    tags: [
      { name: 'v1', description: 'API v1: operation lists `acquiring_payments` (payments in) and `payments` (payouts); payout destination `payment_method`' },
      { name: 'v2', description: 'API v2: operation lists `payment_list` and `payout_list`; payout destination `payout_details`' },
      { name: 'tokenization', description: "Called from the payer's browser with a public token" },
      { name: 'payrail', description: 'payrail\u2019s own extensions beside the Smart Glocal methods, signed the same way: the webhook stream of `payrail listen` and the request log of `payrail logs tail` (docs/listen-and-logs.md)' },
      { name: 'admin', description: "The operator's API (docs/admin-api.md): projects, keys, webhooks, the sandbox clock, the ledger" },
      { name: 'webhooks', description: 'What payrail POSTs to the project\u2019s webhook URL' },
    ],
    webhooks,
    components: {
      ...components,
      schemas: { ...(components['schemas'] as Json | undefined), ...registry.schemas },
    },
    ...(registry.conflicts.length > 0 ? { 'x-component-title-conflicts': registry.conflicts } : {}),
  };
}

/** The options of the fastify-swagger registration in src/edge/app.ts. */
export function openApiOptions(version: string): SwaggerOptions {
  // Built untyped: the options' type is a union that hides transform and convertConstToEnum.
  const options: Record<string, unknown> = {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'payrail: Smart Glocal-compatible payment API',
        version,
        description:
          'Every /api request is a POST (fps/banks also GET) of a JSON body signed with RSA-SHA256 (PKCS#1 v1.5): the Base64 signature of the raw body goes in X-PARTNER-SIGN, the project name in X-PARTNER-PROJECT. ' +
          'v1 and v2 take the same bodies and differ in the names of the session\u2019s operation lists and of the payout destination. The rendered reference is at /docs.',
      },
      // Declared here, not in transformObject: fastify-swagger reads them to keep these headers out of each operation's parameters.
      components: { securitySchemes: SECURITY_SCHEMES },
      security: [{ [PROJECT]: [], [SIGNATURE]: [] }],
    },
    convertConstToEnum: false,
    transform,
    transformObject,
  };
  return options as unknown as SwaggerOptions;
}
