import fc from 'fast-check';
import { Raw, deepValue, hostileFor, hostileRootBody, hostileString, protoValue, serialize, withRawMember, type Hostile } from './fuzz-hostile.js';
import { fieldPlaces, pathText, setAt, validArb, type FieldPlace, type Operation, type Schema, type SchemaHints } from './fuzz-schema.js';

/**
 * The fuzz test's cases: for one operation of the OpenAPI document, a fast-check arbitrary of
 * whole requests (method, path, headers, body, credentials), mixing a valid-ish body with one field
 * mutated, whole hostile bodies, bad credentials, odd headers, hostile path and query parameters
 * and wrong methods. A case is data; `fuzz.test.ts` signs and sends it.
 */

export type AuthSpec = { readonly t: 'ok' } | { readonly t: 'bad'; readonly variant: string };

export interface FuzzCase {
  readonly op: Operation;
  /** What was done, without the field path: `field := string:nul`, `auth:no-sign`, `root:deep-array-30000`. */
  readonly shape: string;
  /** The field or parameter it was done to, when there is one. */
  readonly where: string;
  readonly method: string;
  /** Path and query, percent-encoded as they go on the wire. */
  readonly path: string;
  /** Added to (or, with null, removed from) the default headers. `{i}` is replaced by the case number. */
  readonly headers: Readonly<Record<string, string | string[] | null>>;
  /** A JSON-able tree (Raw pieces allowed), a Raw for the whole body, or undefined for none. */
  readonly body: unknown;
  readonly auth: AuthSpec;
  readonly chunked: boolean;
  /** The path parameters are ones the route accepts: a refusal of bad credentials must be 401. */
  readonly cleanPath: boolean;
}

export interface CaseContext {
  readonly doc: Parameters<typeof validArb>[0];
  readonly hints: SchemaHints;
  readonly bodyLimit: number;
  /** Real values for a path parameter (`{name}` → project names, `sessions/{id}` → session ids…). */
  pathPool(op: Operation, name: string): readonly string[];
}

/** Percent-encodes everything but unreserved characters; a lone surrogate becomes U+FFFD's bytes. */
export const encodePart = (s: string) =>
  [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

/** Hostile path parameter values, already in wire form. */
const HOSTILE_PATH: readonly [string, string][] = [
  ['path:%00', '%00'],
  ['path:nul-suffix', 'demo%00'],
  ['path:%2e%2e', '%2e%2e'],
  ['path:dotdot', '..'],
  ['path:dot', '.'],
  ['path:encoded-traversal', '%2e%2e%2f%2e%2e%2fhealth'],
  ['path:traversal', '..%2F..%2Fadmin%2Fclock'],
  ['path:encoded-slash', 'a%2Fb'],
  ['path:lone-percent', '%'],
  ['path:bad-escape', '%zz'],
  ['path:trailing-percent', 'demo%'],
  ['path:overlong-utf8', '%C0%AE%C0%AE'],
  ['path:invalid-utf8', '%FF%FE'],
  ['path:encoded-lone-surrogate', '%ED%A0%80'],
  ['path:crlf', '%0D%0ASet-Cookie:%20x'],
  ['path:space', '%20'],
  ['path:plus', '+'],
  ['path:semicolon', 'demo;x=1'],
  ['path:star', '*'],
  ['path:empty', ''],
  ['path:bidi', '%E2%80%AEdemo'],
  ['path:unknown-session-id', `ps_${'7'.repeat(19)}`],
  ['path:unknown-session-id', 'ps_1795240123569608125'],
  ['path:long-id', `ps_${'1'.repeat(200)}`],
  ['path:long-1000', 'a'.repeat(1000)],
  ['path:long-8000', 'a'.repeat(8000)],
  ['path:long-20000', 'a'.repeat(20000)],
  ['path:__proto__', '__proto__'],
  ['path:constructor', 'constructor'],
];

const HOSTILE_QUERY: readonly [string, (name: string, valid: string) => string][] = [
  ['query:missing', () => ''],
  ['query:empty', (n) => `${n}=`],
  ['query:no-equals', (n) => n],
  ['query:duplicate', (n, v) => `${n}=${v}&${n}=${v}`],
  ['query:bad-escape', (n) => `${n}=%zz`],
  ['query:%00', (n) => `${n}=1%00`],
  ['query:negative', (n) => `${n}=-1`],
  ['query:fraction', (n) => `${n}=1.5`],
  ['query:huge-number', (n) => `${n}=${'9'.repeat(400)}`],
  ['query:nan', (n) => `${n}=NaN`],
  ['query:long-5000', (n) => `${n}=${'a'.repeat(5000)}`],
  ['query:array-syntax', (n) => `${n}[]=1&${n}[]=2`],
  ['query:object-syntax', (n) => `${n}[a]=1`],
  ['query:__proto__', () => '__proto__[x]=1&constructor[prototype][x]=1'],
  ['query:unknown-param', () => 'unknown=%F0%9F%98%80'],
];

const nowSeconds = Math.floor(Date.now() / 1000);
/** Values for a declared header parameter (what node:http can put on the wire: no CR, LF or NUL). */
const HOSTILE_HEADER_VALUES: readonly [string, string | string[]][] = [
  ['empty', ''],
  ['word', 'abc'],
  ['zero', '0'],
  ['negative', '-1'],
  ['fraction', '1.1234567890123'],
  ['exponent', '1e309'],
  ['20-digits', '99999999999999999999'],
  ['nan', 'NaN'],
  ['now', String(nowSeconds)],
  ['now-ms', String(Date.now())],
  ['an-hour-ago', String(nowSeconds - 3600)],
  ['next-year', String(nowSeconds + 366 * 86400)],
  ['iso-date', new Date().toISOString()],
  ['spaces', ' 1 2 '],
  ['latin1', '\u00e9\u00ff\u0080'],
  ['tab', 'a\tb'],
  ['long-8000', '1'.repeat(8000)],
  ['list', '1, 2'],
  ['duplicate', ['1', '2']],
];

const BAD_PARTNER_AUTH = ['no-sign', 'empty-sign', 'garbage-sign', 'random-sign', 'other-body-sign', 'other-key-sign', 'truncated-sign', 'duplicate-sign', 'no-project', 'unknown-project', 'hostile-project', 'empty-project'];
const BAD_ADMIN_AUTH = ['no-auth', 'bearer-empty', 'wrong-token', 'basic', 'token-only', 'long-token', 'latin1-token', 'token-prefix'];
const BAD_PUBLIC_AUTH = ['no-public-token', 'garbage-public-token'];

const HEADER_VARIANTS: readonly [string, Record<string, string | string[] | null>, boolean?][] = [
  ['header:content-type=text/plain', { 'content-type': 'text/plain' }],
  ['header:content-type=form', { 'content-type': 'application/x-www-form-urlencoded' }],
  ['header:content-type=multipart', { 'content-type': 'multipart/form-data; boundary=zz' }],
  ['header:content-type=utf-16', { 'content-type': 'application/json; charset=utf-16' }],
  ['header:content-type=latin1', { 'content-type': 'application/json; charset=iso-8859-1' }],
  ['header:content-type=empty', { 'content-type': '' }],
  ['header:content-type=none', { 'content-type': null }],
  ['header:content-type=xml', { 'content-type': 'application/xml' }],
  ['header:content-type=list', { 'content-type': 'application/json, text/plain' }],
  ['header:content-type=garbage', { 'content-type': ';;;=\u00ff' }],
  ['header:content-encoding=gzip', { 'content-encoding': 'gzip' }],
  ['header:transfer-encoding=chunked', {}, true],
  ['header:idempotency=unique', { 'x-partner-idempotency-key': 'fz-{i}' }],
  ['header:idempotency=shared', { 'x-partner-idempotency-key': 'fz-shared' }],
  ['header:idempotency=empty', { 'x-partner-idempotency-key': '' }],
  ['header:idempotency=255', { 'x-partner-idempotency-key': 'k'.repeat(255) }],
  ['header:idempotency=256', { 'x-partner-idempotency-key': 'k'.repeat(256) }],
  ['header:idempotency=8000', { 'x-partner-idempotency-key': 'k'.repeat(8000) }],
  ['header:idempotency=latin1', { 'x-partner-idempotency-key': 'k\u00e9\u00ff\u0080' }],
  ['header:idempotency=duplicate', { 'x-partner-idempotency-key': ['fz-a-{i}', 'fz-b-{i}'] }],
  ['header:accept=html', { accept: 'text/html' }],
  ['header:method-override', { 'x-http-method-override': 'DELETE' }],
  ['header:x-request-id', { 'x-request-id': '../../\u00ff' }],
  ['header:many-headers', Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`x-fz-${i}`, 'v'.repeat(50)]))],
];

/** The route itself written another way: (path without query, query) → what is sent. */
const ROUTE_VARIANTS: readonly [string, (path: string, query: string) => string][] = [
  ['route:trailing-slash', (p, q) => `${p}/${q}`],
  ['route:double-slash', (p, q) => `/${p}${q}`],
  ['route:inner-double-slash', (p, q) => `${p.replace(/\/([^/]*)$/, '//$1')}${q}`],
  ['route:uppercase', (p, q) => `${p.toUpperCase()}${q}`],
  ['route:dot-segment', (p, q) => `${p.replace(/\/([^/]*)$/, '/./$1')}${q}`],
  ['route:dotdot-segment', (p, q) => `${p}/../${p.split('/').at(-1) ?? ''}${q}`],
  ['route:encoded-slash', (p, q) => `${p.replace(/\/([^/]*)$/, '%2F$1')}${q}`],
  ['route:encoded-letters', (p, q) => `${p.replace(/[a-z]/, (ch) => `%${ch.charCodeAt(0).toString(16)}`)}${q}`],
  ['route:matrix-param', (p, q) => `${p};jsessionid=1${q}`],
  ['route:nul', (p, q) => `${p}%00${q}`],
  ['route:bad-query', (p, q) => `${p}${q ? `${q}&` : '?'}%zz=%zz&&=&a[b]=1&__proto__[x]=1`],
  ['route:query-%00', (p, q) => `${p}${q ? `${q}&` : '?'}x=%00`],
  ['route:fragment', (p, q) => `${p}${q}#frag`],
  ['route:absolute-form', (p, q) => `http://127.0.0.1${p}${q}`],
  ['route:asterisk', () => '*'],
];

const WRONG_METHODS = ['GET', 'PUT', 'DELETE', 'PATCH', 'POST', 'OPTIONS', 'PROPFIND'];

function fillPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_m, name: string) => values[name] ?? 'x');
}

const describeHostile = (x: Hostile) => x.label;

/** The arbitrary of every case for `op`. */
export function caseArb(op: Operation, ctx: CaseContext): fc.Arbitrary<FuzzCase> {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  const headerParams = op.params.filter((p) => p.in === 'header');

  const validPathValues: fc.Arbitrary<Record<string, string>> = fc.record(
    Object.fromEntries(pathParams.map((p) => [p.name, fc.constantFrom(...ctx.pathPool(op, p.name)).map(encodePart)])),
  );
  const queryValue = (schema: Schema, name: string) => validArb(ctx.doc, schema, ctx.hints, name, 1).map((v) => encodePart(String(v)));
  const validQuery: fc.Arbitrary<[string, string][]> = fc.tuple(
    ...queryParams.map((p) => (p.required ? queryValue(p.schema, p.name).map((v) => [[p.name, v]] as [string, string][]) : fc.option(queryValue(p.schema, p.name), { nil: undefined }).map((v) => (v === undefined ? [] : ([[p.name, v]] as [string, string][]))))),
  ).map((parts) => parts.flat());
  const joinQuery = (pairs: readonly [string, string][], extra?: string) => {
    const q = [...pairs.map(([k, v]) => `${k}=${v}`), ...(extra ? [extra] : [])].join('&');
    return q ? `?${q}` : '';
  };
  const validBody: fc.Arbitrary<unknown> = op.body ? validArb(ctx.doc, op.body, ctx.hints) : fc.constant(undefined);

  const base = (over: Partial<FuzzCase> & Pick<FuzzCase, 'shape'>): fc.Arbitrary<FuzzCase> =>
    fc.tuple(validPathValues, validQuery, validBody).map(([pv, q, body]) => ({
      op,
      where: '',
      method: op.method,
      path: `${fillPath(op.template, pv)}${joinQuery(q)}`,
      headers: {},
      body,
      auth: { t: 'ok' as const },
      chunked: false,
      cleanPath: true,
      ...over,
    }));

  /** A valid-ish case whose body is replaced by `f(validBody)`. */
  const withBody = (f: (body: unknown) => fc.Arbitrary<{ body: unknown; shape: string; where: string }>): fc.Arbitrary<FuzzCase> =>
    base({ shape: '' }).chain((c) => f(c.body).map((m) => ({ ...c, ...m })));

  const places = (body: unknown): FieldPlace[] => {
    const list = fieldPlaces(ctx.doc, body, op.body);
    return list.length > 0 ? list : [{ path: ['fz_field'], schema: undefined, absent: true }];
  };

  const kinds: { weight: number; arbitrary: fc.Arbitrary<FuzzCase> }[] = [{ weight: 8, arbitrary: base({ shape: 'valid' }) }];

  if (op.body) {
    kinds.push(
      {
        weight: 34,
        arbitrary: withBody((body) =>
          fc
            .constantFrom(...places(body))
            .chain((place) => hostileFor(place.schema).map((x) => ({ body: setAt(body, place.path, x.value), shape: `field := ${describeHostile(x)}`, where: pathText(place.path) }))),
        ),
      },
      {
        weight: 6,
        arbitrary: withBody((body) =>
          fc
            .shuffledSubarray(places(body), { minLength: Math.min(2, places(body).length), maxLength: Math.min(4, places(body).length) })
            .chain((ps) => fc.tuple(...ps.map((p) => hostileFor(p.schema).map((x) => [p, x] as const))))
            .map((pairs) => ({
              // Inner places first: an outer one written later replaces them rather than being written into.
              body: [...pairs].sort((a, b) => b[0].path.length - a[0].path.length).reduce<unknown>((acc, [p, x]) => setAt(acc, p.path, x.value), body),
              shape: `fields := ${pairs.map(([, x]) => x.label).join(', ')}`,
              where: pairs.map(([p]) => pathText(p.path)).join(', '),
            })),
        ),
      },
      {
        weight: 4,
        arbitrary: withBody((body) => {
          const present = places(body).filter((p) => !p.absent);
          return present.length === 0
            ? fc.constant({ body, shape: 'delete-field (nothing to delete)', where: '' })
            : fc.constantFrom(...present).map((p) => ({ body: setAt(body, p.path, undefined, true), shape: 'delete-field', where: pathText(p.path) }));
        }),
      },
      {
        weight: 5,
        arbitrary: withBody((body) =>
          fc
            .tuple(
              fc.array(fc.tuple(fc.oneof(fc.constantFrom('fz_unknown', 'ID', 'Session_Id', ' session_id', 'session_id\u0000', ''), fc.string({ unit: 'binary', maxLength: 12 })), hostileFor(undefined)), { minLength: 1, maxLength: 3 }),
              fc.constantFrom(...[[] as FieldPlace['path'], ...places(body).filter((p) => !p.absent).map((p) => p.path)]),
            )
            .map(([extra, at]) => {
              let out = body;
              for (const [k, x] of extra) out = setAt(out, [...at, k], x.value);
              return { body: out, shape: `extra-fields := ${extra.map(([, x]) => x.label).join(', ')}`, where: pathText(at) };
            }),
        ),
      },
      {
        weight: 9,
        arbitrary: withBody((body) => {
          const all = places(body);
          const meta = all.filter((p) => p.path.at(-1) === 'metadata');
          const target = meta.length > 0 ? fc.oneof(fc.constantFrom(...meta), fc.constantFrom(...all)) : fc.constantFrom(...all);
          return fc.tuple(target, deepValue).map(([p, x]) => ({ body: setAt(body, p.path, x.value), shape: `field := ${x.label}`, where: pathText(p.path) }));
        }),
      },
      {
        weight: 4,
        arbitrary: withBody((body) =>
          fc
            .tuple(
              fc.constantFrom(
                ['member:__proto__', '"__proto__":{"polluted":true,"session_id":"ps_1","amount":1}'],
                ['member:constructor', '"constructor":{"prototype":{"polluted":true}}'],
                ['member:duplicate-key', '"session_id":"ps_1\\u0000","amount_details":{"amount":-1,"currency":"usd"},"metadata":"dup"'],
                ['member:nul-key', '"\\u0000":"\\u0000","a\\u0000b":1'],
                ['member:empty-key', '"":{"":""}'],
              ),
              fc.boolean(),
              protoValue,
            )
            .map(([[label, member], atEnd, proto]) => ({
              body: typeof body === 'object' && body !== null && !Array.isArray(body) ? withRawMember(setAt(body, ['fz_proto'], proto.value), member, label, atEnd) : Raw.text(`{${member}}`, label),
              shape: `${label}${atEnd ? ' (last)' : ' (first)'}`,
              where: '(root)',
            })),
        ),
      },
      {
        weight: 10,
        arbitrary: withBody((body) => hostileRootBody(serialize(body ?? {}), ctx.bodyLimit).map((x) => ({ body: x.value, shape: x.label, where: '(body)' }))),
      },
    );
  } else {
    kinds.push({
      weight: 4,
      arbitrary: fc.tuple(base({ shape: '' }), fc.oneof(hostileRootBody(Buffer.from('{}'), ctx.bodyLimit), fc.constant<Hostile>({ label: 'root:json-object', value: { a: 1 } }))).map(([c, x]) => ({
        ...c,
        body: x.value,
        shape: `body-on-${op.method.toLowerCase()}: ${x.label}`,
        where: '(body)',
      })),
    });
  }

  const badAuth = op.auth === 'partner' ? BAD_PARTNER_AUTH : op.auth === 'admin' ? BAD_ADMIN_AUTH : op.body ? BAD_PUBLIC_AUTH : [];
  if (badAuth.length > 0) {
    const mutatedBody = op.body ? fc.oneof(validBody, withBody((body) => hostileRootBody(serialize(body ?? {}), ctx.bodyLimit).map((x) => ({ body: x.value, shape: '', where: '' }))).map((c) => c.body)) : fc.constant(undefined);
    kinds.push({
      weight: 8,
      arbitrary: fc.tuple(base({ shape: '' }), fc.constantFrom(...badAuth), mutatedBody).map(([c, variant, body]) => ({ ...c, body, auth: { t: 'bad' as const, variant }, shape: `auth:${variant}` })),
    });
  }

  kinds.push({
    weight: 6,
    arbitrary: fc.tuple(base({ shape: '' }), fc.constantFrom(...HEADER_VARIANTS)).map(([c, [label, headers, chunked]]) => ({ ...c, headers, chunked: chunked ?? false, shape: label })),
  });

  if (pathParams.length > 0) {
    kinds.push({
      weight: 10,
      arbitrary: fc
        .tuple(
          base({ shape: '' }),
          validPathValues,
          fc.constantFrom(...pathParams.map((p) => p.name)),
          fc.oneof(
            { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_PATH) },
            { weight: 1, arbitrary: hostileString.map((x): [string, string] => [`path:encoded ${x.label}`, encodePart(String(x.value)).slice(0, 9000)]) },
          ),
        )
        .map(([c, pv, name, [label, value]]) => {
          const query = c.path.includes('?') ? c.path.slice(c.path.indexOf('?')) : '';
          return { ...c, path: `${fillPath(op.template, { ...pv, [name]: value })}${query}`, shape: label, where: `{${name}}`, cleanPath: false };
        }),
    });
  }

  if (headerParams.length > 0) {
    kinds.push({
      weight: 5,
      arbitrary: fc
        .tuple(base({ shape: '' }), fc.constantFrom(...headerParams), fc.constantFrom(...HOSTILE_HEADER_VALUES))
        .map(([c, param, [label, value]]) => ({ ...c, headers: { ...c.headers, [param.name.toLowerCase()]: value }, shape: `header-param:${label}`, where: param.name })),
    });
  }

  if (queryParams.length > 0) {
    kinds.push({
      weight: 8,
      arbitrary: fc
        .tuple(
          base({ shape: '' }),
          validPathValues,
          validQuery,
          fc.constantFrom(...queryParams),
          fc.oneof(
            { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_QUERY) },
            { weight: 1, arbitrary: hostileString.map((x): [string, (n: string) => string] => [`query:encoded ${x.label}`, (n) => `${n}=${encodePart(String(x.value)).slice(0, 9000)}`]) },
          ),
        )
        .map(([c, pv, q, param, [label, make]]) => {
          const valid = q.find(([k]) => k === param.name)?.[1] ?? '1';
          const others = q.filter(([k]) => k !== param.name);
          return { ...c, path: `${fillPath(op.template, pv)}${joinQuery(others, make(param.name, valid) || undefined)}`, shape: label, where: `?${param.name}` };
        }),
    });
  }

  kinds.push({
    weight: 3,
    arbitrary: fc.tuple(base({ shape: '' }), fc.constantFrom(...ROUTE_VARIANTS)).map(([c, [label, f]]) => {
      const q = c.path.indexOf('?');
      const [pathOnly, query] = q < 0 ? [c.path, ''] : [c.path.slice(0, q), c.path.slice(q)];
      return { ...c, path: f(pathOnly, query), shape: label, where: '(path)', cleanPath: false };
    }),
  });

  kinds.push({
    weight: 2,
    arbitrary: fc.tuple(base({ shape: '' }), fc.constantFrom(...WRONG_METHODS.filter((m) => m !== op.method))).map(([c, method]) => ({ ...c, method, shape: `method:${method}` })),
  });

  return fc.oneof(...kinds);
}

/**
 * Requests at the HTTP layer, before any route: what node's parser or fastify's router refuse. Each
 * answer must still be the envelope (or the connection just closed). `host` is the Host header value.
 */
export function protocolProbes(host: string): [string, Buffer][] {
  const r = (label: string, text: string): [string, Buffer] => [label, Buffer.from(text, 'latin1')];
  const body = '{"amount_details":{"amount":100,"currency":"usd"}}';
  return [
    r('protocol:request-line-20k', `GET /health?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    r('protocol:header-20k', `GET /health HTTP/1.1\r\nHost: ${host}\r\nX-Fz: ${'a'.repeat(20_000)}\r\n\r\n`),
    r('protocol:400-headers', `GET /health HTTP/1.1\r\nHost: ${host}\r\n${Array.from({ length: 400 }, (_, i) => `X-Fz-${i}: ${'v'.repeat(60)}\r\n`).join('')}\r\n`),
    r('protocol:unknown-method', `FOO /health HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    r('protocol:lowercase-method', `post /api/v1/session/create HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 2\r\n\r\n{}`),
    r('protocol:http-1.0-no-host', 'GET /health HTTP/1.0\r\n\r\n'),
    r('protocol:http-9.9', `GET /health HTTP/9.9\r\nHost: ${host}\r\n\r\n`),
    r('protocol:no-version', 'GET /health\r\n\r\n'),
    r('protocol:bare-lf', `GET /health HTTP/1.1\nHost: ${host}\n\n`),
    r('protocol:nul-in-path', `GET /he\u0000alth HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    r('protocol:nul-in-header', `GET /health HTTP/1.1\r\nHost: ${host}\r\nX-Fz: a\u0000b\r\n\r\n`),
    r('protocol:space-in-path', `GET /he alth HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    r('protocol:obs-fold', `GET /health HTTP/1.1\r\nHost: ${host}\r\nX-Fz: a\r\n b\r\n\r\n`),
    r('protocol:header-no-colon', `GET /health HTTP/1.1\r\nHost: ${host}\r\nNoColon\r\n\r\n`),
    r('protocol:content-length-and-chunked', `POST /api/v1/session/create HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`),
    r('protocol:content-length-garbage', `POST /api/v1/session/create HTTP/1.1\r\nHost: ${host}\r\nContent-Length: abc\r\n\r\n{}`),
    r('protocol:content-length-negative', `POST /api/v1/session/create HTTP/1.1\r\nHost: ${host}\r\nContent-Length: -1\r\n\r\n{}`),
    r('protocol:two-content-lengths', `POST /api/v1/session/create HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`),
    r('protocol:content-length-huge', `POST /api/v1/session/create HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{}`),
    r('protocol:bad-chunk-size', `POST /api/v1/session/create HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`),
    r('protocol:chunked-over-limit', `POST /api/v1/session/create HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${'ffff\r\n' + 'a'.repeat(0xffff) + '\r\n'}${'10\r\n' + 'a'.repeat(16) + '\r\n'}0\r\n\r\n`),
    r('protocol:short-body-then-close', `POST /api/v1/session/create HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n${body}`),
    r('protocol:expect-100', `POST /api/v1/session/create HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n${body}`),
    r('protocol:expect-garbage', `POST /api/v1/session/create HTTP/1.1\r\nHost: ${host}\r\nExpect: 999-nonsense\r\nContent-Length: 2\r\n\r\n{}`),
    r('protocol:absolute-form', `GET http://${host}/health HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    r('protocol:connect', `CONNECT 127.0.0.1:9 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n`),
    r('protocol:options-asterisk', `OPTIONS * HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    r('protocol:upgrade-websocket', `GET /health HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`),
    r('protocol:h2-preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
    r('protocol:tls-hello', '\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003'),
    r('protocol:garbage', 'hello\r\n\r\n'),
  ];
}
