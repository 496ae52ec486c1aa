import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { signBody, startHarness, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { FPS_BANKS } from '../src/domain/payouts/fps-banks.js';
import { assertError, hook, rowCounts, shape, type Json } from './helpers/payouts.js';

/**
 * The FPS methods (§5.16) as every client calls them, over a real socket: `fps/banks` by GET (the
 * SDK's FpsApi, which sends and signs `[]` with its GET) or POST, on v1 and v2, the signature checked
 * over the body bytes exactly as sent; `fps/customer_verification` on v2 as well as v1, with the v2
 * destination name `payout_details`, its webhook in v2.
 */
let h: Harness;
let rx: Receiver;
let base: string;

before(async () => {
  h = await startHarness();
  rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
  const res = await h.admin('PATCH', '/projects/demo', { webhook_url: rx.url });
  assert.equal(res.statusCode, 200, res.body);
  base = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  await h.close();
  await rx.close();
});

interface Sent {
  readonly statusCode: number;
  readonly body: string;
  json(): Json;
}

/** One request on a real socket: these bytes as the body (even with a GET), signed over `signed` (default: the bytes sent). */
function send(method: 'GET' | 'POST', path: string, body: string, o: { signed?: string; key?: KeyObject; project?: string; contentType?: boolean } = {}): Promise<Sent> {
  const headers: Record<string, string> = {
    'x-partner-project': o.project ?? 'demo',
    'x-partner-sign': signBody(o.signed ?? body, o.key ?? h.demoKey),
    ...(o.contentType === false ? {} : { 'content-type': 'application/json' }),
    ...(body.length > 0 ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ statusCode: res.statusCode ?? 0, body: text, json: () => JSON.parse(text) as Json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const BANKS = { status: 'ok', banks: FPS_BANKS };

describe('fps/banks', () => {
  for (const version of ['v1', 'v2'] as const) {
    for (const verb of ['GET', 'POST'] as const) {
      for (const body of ['', '[]', '{}', ' [ ] ']) {
        test(`${verb} /api/${version}/fps/banks with ${JSON.stringify(body)} signed as sent: the bank list`, async () => {
          const res = await send(verb, `/api/${version}/fps/banks`, body);
          assert.equal(res.statusCode, 200, res.body);
          assert.deepEqual(res.json(), BANKS);
        });
      }
    }
  }

  test('the list is the sandbox banks, each {id, eng_name, ru_name}, the SG example bank among them', async () => {
    const { banks } = (await send('GET', '/api/v1/fps/banks', '[]')).json();
    assert.ok(banks.length >= 10);
    for (const b of banks) assert.deepEqual(Object.keys(b).sort(), ['eng_name', 'id', 'ru_name']);
    assert.deepEqual(banks.find((b: Json) => b.id === '100000000069'), { id: '100000000069', eng_name: 'SDM-Bank', ru_name: 'СДМ-Банк' });
  });

  test('a GET without a Content-Type, as curl sends it, is read the same', async () => {
    const res = await send('GET', '/api/v1/fps/banks', '[]', { contentType: false });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), BANKS);
  });

  test('the signature covers the bytes sent: [] signed as the empty body, or the reverse, is authentication_error', async () => {
    const wrong = 'X-PARTNER-SIGN does not verify the request body with any active key of project "demo"';
    assertError(await send('GET', '/api/v1/fps/banks', '[]', { signed: '' }), 401, 'authentication_error', wrong);
    assertError(await send('GET', '/api/v2/fps/banks', '', { signed: '[]' }), 401, 'authentication_error', wrong);
    assertError(await send('POST', '/api/v1/fps/banks', '{}', { signed: '[]' }), 401, 'authentication_error', wrong);
    assertError(await send('GET', '/api/v1/fps/banks', '[]', { project: 'nobody' }), 401, 'identification_error', 'project "nobody" is not known');
  });

  test('any other body is invalid_request naming what was sent, on GET and POST, and only after the signature', async () => {
    const cases: [string, string][] = [
      ['{"bank":"x"}', 'fps/banks takes no parameters: the body must be empty, [] or {}; it is an object with "bank"'],
      ['[1]', 'fps/banks takes no parameters: the body must be empty, [] or {}; it is a non-empty array'],
      ['null', 'fps/banks takes no parameters: the body must be empty, [] or {}; it is a JSON null'],
      ['"x"', 'fps/banks takes no parameters: the body must be empty, [] or {}; it is a JSON string'],
    ];
    for (const version of ['v1', 'v2']) {
      for (const [body, description] of cases) {
        assertError(await send('GET', `/api/${version}/fps/banks`, body), 400, 'invalid_request', description);
        assertError(await send('POST', `/api/${version}/fps/banks`, body), 400, 'invalid_request', description);
      }
    }
    assertError(await send('GET', '/api/v1/fps/banks', '[nope'), 400, 'invalid_request', 'fps/banks takes no parameters: the body must be empty, [] or {}; it is not JSON');
    assertError(await send('POST', '/api/v1/fps/banks', '[nope'), 400, 'invalid_request', /^body is not valid JSON: /);
    // Unsigned, a bad body is not judged: the caller learns only that it is not authenticated.
    assertError(await send('GET', '/api/v1/fps/banks', '{"bank":"x"}', { signed: '' }), 401, 'authentication_error', /does not verify/);
  });

  test('a GET body over the body limit is payload_too_large', async () => {
    const big = `[${' '.repeat(70 * 1024)}]`;
    assertError(await send('GET', '/api/v1/fps/banks', big), 413, 'payload_too_large', 'request body is larger than the 65536 bytes allowed');
  });
});

describe('fps/customer_verification on v2', () => {
  const verification = (phone: string, bankId = '100000000069') => ({
    type: 'bank_account',
    bank_account: { system_type: 'faster_payment_system_verification', faster_payment_system_verification: { phone, bank_id: bankId } },
  });
  const names = { recipient: { first_name: 'Ivan', last_name: 'Ivanov', middle_name: 'Ivanovich' } };

  const post = (path: string, body: unknown) => send('POST', path, JSON.stringify(body));

  test('payout_details (the SDK v2 request): payout_list in the answer and in the webhook, which is v2 too; v1 session/status answers in v1', async () => {
    const created = await post('/api/v2/session/create', {});
    assert.equal(created.statusCode, 200, created.body);
    const sid: string = created.json().session.id;
    const res = await post('/api/v2/fps/customer_verification', { session_id: sid, payout_details: verification('79000000002'), participant_details: names });
    assert.equal(res.statusCode, 200, res.body);
    const payout = { id: '<po>', created_at: '<ts>', updated_at: '<ts>', payout_details: verification('79000000002'), participant_details: names };
    assert.deepEqual(shape(res.json().session), {
      id: '<ps>',
      status: 'in_progress',
      created_at: '<ts>',
      updated_at: '<ts>',
      payout_list: [{ ...payout, status: 'in_progress' }],
    });
    const fin = await hook(rx, sid, 1, 'payment_finished');
    assert.deepEqual(shape(fin.session), {
      id: '<ps>',
      status: 'accepted',
      created_at: '<ts>',
      updated_at: '<ts>',
      finished_at: '<ts>',
      payout_list: [{ ...payout, status: 'succeeded', finished_at: '<ts>' }],
    });
    const v1 = await post('/api/v1/session/status', { session_id: sid });
    const { payout_details: details, ...rest } = payout;
    assert.deepEqual(shape(v1.json().session), {
      id: '<ps>',
      status: 'accepted',
      created_at: '<ts>',
      updated_at: '<ts>',
      finished_at: '<ts>',
      payments: [{ ...rest, payment_method: details, status: 'succeeded', finished_at: '<ts>' }],
    });
  });

  test('the v1 name payment_method is taken on v2 too; an unregistered phone fails account_not_found', async () => {
    const sid: string = (await post('/api/v2/session/create', {})).json().session.id;
    const res = await post('/api/v2/fps/customer_verification', { session_id: sid, payment_method: verification('79000000001'), participant_details: names });
    assert.equal(res.statusCode, 200, res.body);
    const fin = await hook(rx, sid, 1, 'payment_finished');
    assert.equal(fin.session['status'], 'cancelled');
    assert.deepEqual(fin.session['payout_list'][0].error, { code: 'account_not_found', description: 'phone 79000000001 is not registered in the Faster Payment System at bank 100000000069' });
  });

  test('refusals on v2: no destination, an unknown bank, missing names, an unknown session; nothing written', async () => {
    const sid: string = (await post('/api/v2/session/create', {})).json().session.id;
    const before = await rowCounts(h.runtime.database.db);
    const field = 'payment_method.bank_account.faster_payment_system_verification';
    assertError(await post('/api/v2/fps/customer_verification', { session_id: sid, participant_details: names }), 400, 'invalid_request', 'payout_details is required');
    assertError(
      await post('/api/v2/fps/customer_verification', { session_id: sid, payout_details: verification('79000000002', '100000000999'), participant_details: names }),
      400,
      'invalid_request',
      `${field}.bank_id is not a bank of the Faster Payment System (see GET /api/v1/fps/banks)`,
    );
    assertError(
      await post('/api/v2/fps/customer_verification', { session_id: sid, payout_details: verification('79000000002'), participant_details: { recipient: { first_name: 'Ivan' } } }),
      400,
      'invalid_request',
      'participant_details.recipient.last_name is required',
    );
    assertError(await post('/api/v2/fps/customer_verification', { session_id: sid, payout_details: verification('79000000002') }), 400, 'invalid_request', /participant_details/);
    assertError(
      await post('/api/v2/fps/customer_verification', { session_id: 'ps_123', payout_details: verification('79000000002'), participant_details: names }),
      404,
      'session_not_found',
      'session ps_123 not found',
    );
    assert.deepEqual(await rowCounts(h.runtime.database.db), before);
  });
});
