import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { request } from 'undici';
import { toApiError } from '../src/edge/http/errors.js';
import type { FastifyRequest } from 'fastify';
import { ERROR_STATUS } from '../src/kernel/errors.js';
import { bankCard, USD } from './helpers/acquiring.js';
import { signBody, startHarness, type Harness } from './helpers/harness.js';

/**
 * Bad input of every kind gets the API's error envelope with a precise code, never a 500 and never
 * another body: control characters in ids, tokens, hashes, URLs and path or query parameters;
 * free-form JSON too deep or too large; and the HTTP layer below the routes (malformed request
 * lines, huge headers, long path parameters, wrong methods, CORS preflights outside /cds, bodies
 * over the limit of any size). Everything goes over real sockets: node:http for exact paths, raw
 * node:net sockets for what an HTTP client would refuse to send, undici for large bodies.
 */
let h: Harness;
let base: string;
let port: number;

before(async () => {
  h = await startHarness();
  base = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
  port = Number(new URL(base).port);
});
after(async () => {
  await h?.close();
});

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

/** One request with the path exactly as written (node:http does not normalise `%00` or broken escapes). */
function send(method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
    const req = http.request(
      { host: '127.0.0.1', port, method, path, agent: false, headers: { ...headers, ...(payload ? { 'content-length': String(payload.length) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const signedHeaders = (raw: string | Buffer) => ({ 'content-type': 'application/json', 'x-partner-project': 'demo', 'x-partner-sign': signBody(raw, h.demoKey) });
const adminHeaders = () => ({ authorization: `Bearer ${h.runtime.adminToken}`, 'content-type': 'application/json' });

/** A signed partner call over HTTP: the body as JSON, or these exact bytes. */
const api = (method: string, body: unknown, raw = JSON.stringify(body)) => send('POST', `/api/v1/${method}`, signedHeaders(raw), raw);
const admin = (method: string, path: string, body?: unknown) => send(method, `/admin${path}`, adminHeaders(), body === undefined ? undefined : JSON.stringify(body));

/** The envelope, its code and the code's HTTP status; the description when given. */
function assertEnvelope(a: Pick<Answer, 'status' | 'headers' | 'text'>, code: keyof typeof ERROR_STATUS, description?: string | RegExp): void {
  assert.equal(a.status, ERROR_STATUS[code], `${a.status} ${a.text}`);
  assert.match(String(a.headers['content-type']), /^application\/json/, a.text);
  const body = JSON.parse(a.text) as { status: string; error: { code: string; description: string } };
  assert.deepEqual(Object.keys(body).sort(), ['error', 'status']);
  assert.equal(body.status, 'error');
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'description']);
  assert.equal(body.error.code, code, a.text);
  if (typeof description === 'string') assert.equal(body.error.description, description);
  else if (description) assert.match(body.error.description, description);
}

/** A raw HTTP exchange: write these bytes, read until the server closes (or `ms`). */
function raw(bytes: string | Buffer, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.write(bytes);
  });
}

/** The status line and the envelope of a raw answer. */
function parseRaw(text: string): Answer {
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: http.IncomingHttpHeaders = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, text: rest.join('\r\n\r\n') };
}

const CONTROLS: Array<[string, string]> = [
  ['NUL', '\u0000'],
  ['CR', '\r'],
  ['LF', '\n'],
  ['CRLF', '\r\n'],
  ['TAB', '\t'],
  ['US (0x1f)', '\u001f'],
  ['DEL', '\u007f'],
];

const nested = (depth: number, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};
const customer = { reference: 'hardening' };
const card = bankCard('4242424242424242');

describe('control characters in ids, tokens and hashes are refused by the schema, naming the field', () => {
  for (const [name, c] of CONTROLS) {
    test(`session/status with ${name} in session_id`, async () => {
      assertEnvelope(await api('session/status', { session_id: `ps_1${c}` }), 'invalid_request', 'session_id must not contain control characters');
    });
  }

  const cases: Array<[string, string, unknown, string]> = [
    ['session/confirm', 'session_id', { session_id: 'ps_1\u0000' }, 'session_id'],
    ['session/start/payment', 'session_id', { session_id: '\u0000' }, 'session_id'],
    ['recurrent/status', 'recurrent.token', { recurrent: { token: 'rt_1\u0000' } }, 'recurrent.token'],
    ['recurrent/disable', 'recurrent.token', { recurrent: { token: 'rt_1\r\n' } }, 'recurrent.token'],
    ['token/info', 'number_hash', { type: 'card', card: { encrypted_card: { number_hash: 'ab\u0000' } } }, 'card.encrypted_card.number_hash'],
    ['token/info', 'public token', { type: 'public_token', public_token: { token: 'ab\u0000' } }, 'public_token.token'],
    ['token/info', 'recurrent token', { type: 'recurrent_token', recurrent_token: { token: 'ab\u007f' } }, 'recurrent_token.token'],
    ['token', 'acquiring_widget.session_id', { acquiring_widget: { session_id: 'ps_1\u0000' } }, 'acquiring_widget.session_id'],
    [
      'session/init/payment',
      'an encrypted card hash',
      { payment_details: { type: 'card', card: { type: 'encrypted_card', encrypted_card: { number_hash: 'h\u0000' } } }, amount_details: USD(100), customer },
      'payment_details.card.encrypted_card.number_hash',
    ],
    [
      'session/init/payment',
      'a card token',
      { payment_details: { type: 'card', card: { type: 'tokenized_card', tokenized_card: { token: 't\n' } } }, amount_details: USD(100), customer },
      'payment_details.card.tokenized_card.token',
    ],
    [
      'session/init/payment',
      'a recurrent token',
      { payment_details: { type: 'recurrent', recurrent: { token: 'rt\u0000' } }, amount_details: USD(100), customer },
      'payment_details.recurrent.token',
    ],
    ['session/init/payment', 'customer.reference', { payment_details: card, amount_details: USD(100), customer: { reference: 'r\u0000' } }, 'customer.reference'],
    [
      'session/init/payment',
      'a contractor alias',
      { payment_details: card, amount_details: USD(100), customer, revenue_split_info: [{ contractor_alias: 'c\u0000', remains: true }] },
      'revenue_split_info[0].contractor_alias',
    ],
  ];
  for (const [method, what, body, field] of cases) {
    test(`${method}: ${what}`, async () => {
      assertEnvelope(await api(method, body), 'invalid_request', `${field} must not contain control characters`);
    });
  }

  test('admin bodies: webhooks/trigger session_id and project, a webhook_url with CR/LF', async () => {
    assertEnvelope(await admin('POST', '/webhooks/trigger', { session_id: 'ps_1\u0000', type: 'payment_finished' }), 'invalid_request', 'session_id must not contain control characters');
    assertEnvelope(await admin('POST', '/webhooks/trigger', { project: 'demo\u0000', type: 'payment_finished' }), 'invalid_request', 'project must not contain control characters');
    assertEnvelope(await admin('PATCH', '/projects/demo', { webhook_url: 'https://8.8.8.8/hook\r\nX-Injected: 1' }), 'invalid_request', 'webhook_url must not contain control characters');
  });

  test('the same ids without control characters still reach the method', async () => {
    assertEnvelope(await api('session/status', { session_id: 'ps_1' }), 'session_not_found');
    const created = JSON.parse((await api('session/create', { customer: { reference: 'ref with spaces é' } })).text) as { session: { id: string } };
    const status = await api('session/status', { session_id: created.session.id });
    assert.equal(status.status, 200, status.text);
  });
});

describe('control characters in path and query parameters: one check for every route', () => {
  const paths: Array<[string, string, string]> = [
    ['GET', '/admin/projects/demo%00', 'path parameter name'],
    ['GET', '/admin/projects/demo%0d%0a', 'path parameter name'],
    ['GET', '/admin/projects/demo%00/wallet', 'path parameter name'],
    ['PATCH', '/admin/projects/demo%7f', 'path parameter name'],
    ['DELETE', '/admin/projects/demo/keys/k%00', 'path parameter id'],
    ['GET', '/admin/sessions/ps_1%00/webhooks', 'path parameter id'],
    ['POST', '/admin/webhooks/wh%00/resend', 'path parameter id'],
    ['GET', '/3ds/%00', 'path parameter id'],
    ['POST', '/3ds/%00', 'path parameter id'],
    ['GET', '/payment/%00', 'path parameter token'],
    ['GET', '/payment/%09/state', 'path parameter token'],
    ['POST', '/payment/%00/pay', 'path parameter token'],
    ['GET', '/widget/tokenize?token=%00', 'query parameter token'],
    ['GET', '/admin/reports/payouts.csv?project=%00&from=2024-01-01T00:00:00Z&to=2024-02-01T00:00:00Z', 'query parameter project'],
  ];
  for (const [method, path, field] of paths) {
    test(`${method} ${path}`, async () => {
      const body = method === 'GET' || method === 'DELETE' ? undefined : method === 'POST' && path.endsWith('/pay') ? '{"number_hash":"h"}' : '{}';
      const a = await send(method, path, adminHeaders(), body);
      assertEnvelope(a, 'invalid_request', `${field} must not contain control characters`);
    });
  }

  test('on /admin the admin token is checked first: nothing about the request is judged for an anonymous caller', async () => {
    assertEnvelope(await send('GET', '/admin/projects/demo%00'), 'authentication_error');
  });

  test('a malformed %-escape in the path is invalid_request', async () => {
    assertEnvelope(await send('GET', '/admin/projects/%E0%A4%A', adminHeaders()), 'invalid_request', 'the path is not a valid URL: it holds a malformed %-escape');
  });
});

describe('the last defence: values PostgreSQL cannot store are invalid_request, not a 500', () => {
  test('SQLSTATE 22021 (NUL in text) and 22P05 (\\u0000 in jsonb) from the real database map to invalid_request', async () => {
    const { db } = h.runtime.database;
    const fakeReq = { id: 'req_test', log: { warn: () => undefined, error: () => undefined }, routeOptions: {} } as unknown as FastifyRequest;
    for (const [code, query] of [
      ['22021', sql`SELECT ${'a\u0000'}::text AS x`],
      ['22P05', sql`SELECT ${'{"a":"\\u0000"}'}::jsonb AS x`],
    ] as const) {
      const err = await query.execute(db).then(
        () => assert.fail(`${code}: the database accepted it`),
        (e: unknown) => e as { code?: string },
      );
      assert.equal(err.code, code);
      const mapped = toApiError(err, fakeReq);
      assert.equal(mapped.code, 'invalid_request');
      assert.equal(mapped.httpStatus, 400);
    }
  });

  test('over HTTP: a payment-page hash with NUL is refused', async () => {
    const created = JSON.parse((await api('session/create', { amount_details: USD(500), customer })).text) as { session: { id: string } };
    const token = JSON.parse((await api('token', { acquiring_widget: { session_id: created.session.id } })).text) as { public_token: string };
    const a = await send('POST', `/payment/${token.public_token}/pay`, { 'content-type': 'application/json' }, JSON.stringify({ number_hash: 'h\u0000' }));
    assertEnvelope(a, 'invalid_request', 'number_hash must not contain control characters');
  });

  test('a cursor too large for the database (400 digits) is refused by the schema, not by PostgreSQL', async () => {
    assertEnvelope(await admin('GET', `/webhooks/attempts?after=${'9'.repeat(400)}`), 'invalid_request', /^after must be an attempt id/);
  });
});

describe('free-form JSON: metadata at most 64 levels and 8 KiB; the whole body at most 128 levels', () => {
  test('metadata 64 levels deep is kept, 65 is refused naming the field', async () => {
    assert.equal((await api('session/create', { metadata: nested(64) })).status, 200);
    assertEnvelope(await api('session/create', { metadata: nested(65) }), 'invalid_request', 'metadata must not be nested more than 64 levels deep');
    assertEnvelope(await api('session/create', { metadata: { a: { b: nested(63) } } }), 'invalid_request', 'metadata must not be nested more than 64 levels deep');
  });

  test('metadata of 8192 bytes as JSON is kept, 8193 is refused with its size', async () => {
    const ok = 'x'.repeat(8190); // "…" adds two quotes
    assert.equal((await api('session/create', { metadata: ok })).status, 200);
    assertEnvelope(await api('session/create', { metadata: `${ok}x` }), 'invalid_request', 'metadata must be at most 8192 bytes as JSON (it is 8193)');
    // Bytes, not characters: 4096 two-byte characters are 8194 bytes with the quotes.
    assertEnvelope(await api('session/create', { metadata: 'é'.repeat(4096) }), 'invalid_request', 'metadata must be at most 8192 bytes as JSON (it is 8194)');
  });

  test('every metadata of the API, and the other free-form fields, have the limits', async () => {
    const deep = nested(65);
    assertEnvelope(
      await api('session/init/payment', { payment_details: card, amount_details: USD(100), customer, metadata: deep }),
      'invalid_request',
      'metadata must not be nested more than 64 levels deep',
    );
    assertEnvelope(
      await api('session/multi/init', { payment_list: [{ payment_details: card, amount_details: USD(100), customer, metadata: deep }] }),
      'invalid_request',
      'payment_list[0].metadata must not be nested more than 64 levels deep',
    );
    assertEnvelope(await api('session/refund', { session_id: 'ps_1', metadata: deep }), 'invalid_request', 'metadata must not be nested more than 64 levels deep');
    assertEnvelope(
      await api('session/create', { payment_options: { subscription: { period: 'month', id: 'x'.repeat(9000) } } }),
      'invalid_request',
      'payment_options.subscription.id must be at most 8192 bytes as JSON (it is 9002)',
    );
    assertEnvelope(await api('session/confirm', { session_id: 'ps_1', confirm_information: deep }), 'invalid_request', 'confirm_information must not be nested more than 64 levels deep');
  });

  for (const depth of [129, 4_100, 30_000]) {
    test(`a body ${depth} levels deep anywhere (metadata, an unknown field, a stored token body) is invalid_request`, async () => {
      const text = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      for (const [method, raw] of [
        ['session/create', `{"metadata":${text}}`],
        ['session/create', `{"unknown":${text}}`],
        ['token', `{"tokenize_widget":{"x":${text}}}`],
      ] as const) {
        assertEnvelope(await api(method, undefined, raw), 'invalid_request', 'body must not be nested more than 128 levels deep');
      }
    });
  }

  test('the depth of a body is judged only after its signature verifies', async () => {
    const text = `{"metadata":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    assertEnvelope(await send('POST', '/api/v1/session/create', { 'x-partner-project': 'demo', 'x-partner-sign': 'AAAA' }, text), 'authentication_error');
  });

  test('a deep body on /admin is refused too', async () => {
    assertEnvelope(await send('PATCH', '/admin/projects/demo', adminHeaders(), `{"fees":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}`), 'invalid_request', 'body must not be nested more than 128 levels deep');
  });
});

describe('URL fields: absolute, printable ASCII, no control characters', () => {
  const init = (payment_options: unknown) => api('session/init/payment', { payment_details: bankCard('4000000000003220'), amount_details: USD(100), customer, payment_options });

  test('a return_url with CR/LF is refused at the schema, so it never reaches the 3-D Secure redirect', async () => {
    for (const url of ['https://shop.example/back\r\nSet-Cookie: a=1', 'https://shop.example/back\n', 'https://shop.example/\u0000', 'https://shop.example/\t']) {
      assertEnvelope(await init({ return_url: url }), 'invalid_request', 'payment_options.return_url must not contain control characters');
      assertEnvelope(await api('session/create', { payment_options: { return_url: url } }), 'invalid_request', 'payment_options.return_url must not contain control characters');
      assertEnvelope(await api('session/start/payment', { session_id: 'ps_1', payment_options: { return_url: url } }), 'invalid_request', 'payment_options.return_url must not contain control characters');
    }
  });

  test('a return_url with a space or a non-ASCII character must be percent-encoded (it goes into a Location header)', async () => {
    for (const url of ['https://shop.example/日本', 'https://shop.example/a b']) {
      assertEnvelope(
        await init({ return_url: url }),
        'invalid_request',
        'payment_options.return_url must be an absolute URL of printable ASCII characters (percent-encode spaces and other characters)',
      );
    }
    assertEnvelope(await init({ return_url: 'back' }), 'invalid_request', 'payment_options.return_url must be an absolute URL');
    assertEnvelope(await init({ return_url: `https://shop.example/${'a'.repeat(2048)}` }), 'invalid_request', 'payment_options.return_url must be an absolute URL');
  });

  test("return_url keeps any scheme (the spec's dummy:/url, an app's deep link); percent-encoded URLs are fine", async () => {
    for (const url of ['dummy:/url', 'myapp://payment/done', 'https://shop.example/%E6%97%A5?a=1&b=%20']) {
      const a = await api('session/create', { payment_options: { return_url: url } });
      assert.equal(a.status, 200, `${url}: ${a.text}`);
    }
  });

  test('the widget return URLs must be http(s), without control characters', async () => {
    const token = (acquiring_widget: Record<string, unknown>) => api('token', { acquiring_widget: { session_id: 'ps_1', ...acquiring_widget } });
    assertEnvelope(await token({ success_return_url: 'https://shop.example/ok\r\nX: 1' }), 'invalid_request', 'acquiring_widget.success_return_url must not contain control characters');
    assertEnvelope(await token({ failure_return_url: 'javascript:alert(1)' }), 'invalid_request', 'acquiring_widget.failure_return_url must be an absolute http(s) URL');
    assertEnvelope(
      await token({ failure_return_url: 'https://shop.example/ü' }),
      'invalid_request',
      'acquiring_widget.failure_return_url must be an absolute http(s) URL of printable ASCII characters (percent-encode spaces and other characters)',
    );
  });
});

describe('the HTTP layer answers in the envelope too', () => {
  test('a path parameter over 100 characters is 414 uri_too_long', async () => {
    for (const path of [`/admin/projects/${'a'.repeat(101)}`, `/3ds/${'a'.repeat(5000)}`, `/payment/${'b'.repeat(200)}/state`]) {
      assertEnvelope(await send('GET', path, adminHeaders()), 'uri_too_long', 'a path parameter is longer than the 100 characters allowed');
    }
    assert.equal((await send('GET', `/admin/projects/${'a'.repeat(100)}`, adminHeaders())).status, 404);
  });

  test('headers over 16 KiB are 431 headers_too_large, written on the socket', async () => {
    const a = parseRaw(await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    assertEnvelope(a, 'headers_too_large', `the request line and headers are larger than the ${http.maxHeaderSize} bytes allowed`);
    assert.equal(a.headers['connection'], 'close');
    // A request line that long is the same case.
    assertEnvelope(parseRaw(await raw(`GET /health?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)), 'headers_too_large');
  });

  test('the 431 is read even by a client that goes on sending after its headers', async () => {
    const big = Buffer.concat([Buffer.from(`POST /api/v1/session/create HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nContent-Length: 1000000\r\n\r\n`), Buffer.alloc(1_000_000, 0x20)]);
    assertEnvelope(parseRaw(await raw(big)), 'headers_too_large');
  });

  test('a malformed request is 400 invalid_request, written on the socket', async () => {
    for (const bytes of [
      'GARBAGE\r\n\r\n',
      'GET /health HTTP/9.9\r\nHost: x\r\n\r\n',
      'GET /health HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n',
      'GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n',
      'POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      'POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    ]) {
      const a = parseRaw(await raw(bytes));
      assertEnvelope(a, 'invalid_request', /^malformed HTTP request/);
    }
  });

  test('an Expect other than 100-continue is 417 expectation_failed; 100-continue still works', async () => {
    const a = parseRaw(await raw('POST /api/v1/session/create HTTP/1.1\r\nHost: x\r\nExpect: 999-nonsense\r\nContent-Length: 2\r\n\r\n{}'));
    assertEnvelope(a, 'expectation_failed', 'Expect: 999-nonsense is not supported; only 100-continue is');
    const body = JSON.stringify({ session_id: 'ps_1' });
    const headers = Object.entries({ ...signedHeaders(body), expect: '100-continue', 'content-length': String(body.length) }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    const continued = await raw(`POST /api/v1/session/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers}\r\n${body}`);
    assert.match(continued, /^HTTP\/1\.1 100 Continue\r\n/);
    assertEnvelope(parseRaw(continued.slice(continued.indexOf('\r\n\r\n') + 4)), 'session_not_found');
  });

  test('CONNECT is 405 method_not_allowed (no proxy here), not a dropped connection', async () => {
    assertEnvelope(parseRaw(await raw('CONNECT 127.0.0.1:9 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n')), 'method_not_allowed', 'CONNECT is not supported: payrail is not a proxy');
  });

  test('a request not received in time is 408 request_timeout (node reports it as a client error)', async () => {
    const server = h.runtime.app.server;
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const client = net.connect(port, '127.0.0.1');
    let out = '';
    client.on('data', (d) => (out += d.toString('latin1')));
    const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    client.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    const socket = await accepted;
    server.emit('clientError', Object.assign(new Error('request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket);
    await closed;
    assertEnvelope(parseRaw(out), 'request_timeout', 'the request was not received in full in time');
  });

  test('a wrong method on an existing path is 405 method_not_allowed with an Allow header', async () => {
    const cases: Array<[string, string, string]> = [
      ['PUT', '/admin/projects/demo', 'GET, HEAD, PATCH'],
      ['GET', '/api/v1/session/status', 'POST'],
      ['DELETE', '/api/v2/session/create', 'POST'],
      ['POST', '/health', 'GET, HEAD'],
      ['GET', '/cds/v1/tokenize/card', 'POST, OPTIONS'],
    ];
    for (const [method, path, allow] of cases) {
      const a = await send(method, path, adminHeaders());
      assertEnvelope(a, 'method_not_allowed', `${method} is not allowed on ${path}; allowed: ${allow}`);
      assert.equal(a.headers['allow'], allow);
    }
    assertEnvelope(await send('GET', '/api/v1/no/such/method'), 'not_found', 'no such endpoint: GET /api/v1/no/such/method');
  });

  test('CORS is only for /cds: a preflight to /api or /admin is 405 with no CORS headers', async () => {
    const preflight = { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-partner-sign' };
    for (const [path, allow] of [
      ['/api/v1/session/create', 'POST'],
      ['/api/v2/session/status', 'POST'],
      ['/admin/projects', 'POST'],
      ['/admin/projects/demo', 'GET, HEAD, PATCH'],
    ] as const) {
      const a = await send('OPTIONS', path, preflight);
      assertEnvelope(a, 'method_not_allowed', `OPTIONS is not allowed on ${path} (cross-origin requests are served only under /cds); allowed: ${allow}`);
      assert.equal(a.headers['access-control-allow-origin'], undefined, path);
      assert.equal(a.headers['access-control-allow-methods'], undefined, path);
    }
    const signed = await api('session/status', { session_id: 'ps_1' });
    assert.equal(signed.headers['access-control-allow-origin'], undefined);
  });

  test('a preflight to /cds is answered by CORS', async () => {
    const a = await send('OPTIONS', '/cds/v1/tokenize/card', { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-public-token' });
    assert.equal(a.status, 204, a.text);
    assert.equal(a.headers['access-control-allow-origin'], '*');
    assert.equal(a.headers['access-control-allow-methods'], 'POST');
    // An OPTIONS that is no preflight gets the envelope, not the CORS plugin's text/plain.
    assertEnvelope(await send('OPTIONS', '/cds/v1/tokenize/card'), 'invalid_request', 'a CORS preflight needs the Origin and Access-Control-Request-Method headers');
    const post = await send('POST', '/cds/v1/tokenize/card', { origin: 'https://shop.example', 'content-type': 'application/json' }, '{}');
    assertEnvelope(post, 'invalid_public_token');
    assert.equal(post.headers['access-control-allow-origin'], '*');
  });
});

describe('a body over the limit is 413 for any size, and the client reads it', () => {
  const limit = 65_536;
  const description = `request body is larger than the ${limit} bytes allowed`;

  for (const size of [4_000_000, 40_000_000]) {
    test(`undici sending ${size / 1e6} MB with Content-Length`, async () => {
      const res = await request(`${base}/api/v1/session/create`, { method: 'POST', headers: signedHeaders('{}'), body: Buffer.alloc(size, 0x20) });
      assertEnvelope({ status: res.statusCode, headers: res.headers as http.IncomingHttpHeaders, text: await res.body.text() }, 'payload_too_large', description);
    });

    for (const chunked of [true, false]) {
    test(`node:http sending ${size / 1e6} MB ${chunked ? 'chunked' : 'with Content-Length'} and Connection: close: the answer, and no EPIPE or reset while it still sends`, async () => {
      const { answer, errors } = await new Promise<{ answer: Answer; errors: string[] }>((resolve) => {
        const errors: string[] = [];
        let answer: Answer | undefined;
        const headers = { ...adminHeaders(), ...(chunked ? {} : { 'content-length': String(size) }) };
        const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: chunked ? '/admin/projects' : '/api/v1/session/create', agent: false, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => (answer = { status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', (e) => errors.push(e.message));
        req.on('close', () => resolve({ answer: answer!, errors }));
        const chunk = Buffer.alloc(1 << 16, 0x20);
        for (let sent = 0; sent < size; sent += chunk.length) req.write(chunk);
        req.end();
      });
      assert.deepEqual(errors, []);
      assertEnvelope(answer, 'payload_too_large', description);
    });
    }
  }

  test('a raw client that writes its whole 4 MB before reading gets the 413, and the connection then serves the next request', async () => {
    const size = 4_000_000;
    const head = `POST /api/v1/session/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`;
    const text = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let out = '';
      socket.on('error', reject);
      socket.on('data', (d) => {
        out += d.toString('latin1');
        if (out.includes('{"status":"ok"}')) socket.end();
      });
      socket.on('close', () => resolve(out));
      socket.write(head);
      socket.write(Buffer.alloc(size, 0x20), () => socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'));
    });
    const [first, second] = text.split(/(?=HTTP\/1\.1 )/);
    assertEnvelope(parseRaw(first!), 'payload_too_large', description);
    assert.match(second ?? '', /^HTTP\/1\.1 200 OK/);
  });
});

test('none of this logged an error', () => {
  const errors = h.logs.map((l) => JSON.parse(l) as { level: number; msg?: string }).filter((l) => l.level >= 50);
  assert.deepEqual(errors.map((l) => JSON.stringify(l).slice(0, 1500)), []);
});
