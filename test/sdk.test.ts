import type * as SdkModule from '../sdk/src/index.js';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { newKeyPair, startHarness, type Harness } from './helpers/harness.js';
import { startReceiver, type Received, type Receiver } from './helpers/receiver.js';
import { ROOT } from './helpers/worker-process.js';
import {
  Payrail,
  PayrailConnectionError,
  PayrailError,
  PayrailSignatureError,
  signWebhook,
  unknownFields,
  type ErrorEnvelope,
  type Payment,
  type PayoutV2,
  type SessionResponse,
  type WebhookEvent,
} from '../sdk/src/index.js';

/**
 * The partner SDK (sdk/) against a real listening payrail: a harness runtime on a loopback port, a
 * real webhook receiver, and a tiny proxy in front of the server that fails attempts on purpose
 * (503, a connection dropped before or after the server acted, a hang) to watch the retries.
 */
let h: Harness;
let base: string;
let rx: Receiver;
let serverPem: string;
let v1: Payrail;
let v2: Payrail<'v2'>;

const card = (number: string) => ({ type: 'card' as const, card: { type: 'bank_card' as const, bank_card: { number, expiration_month: '12', expiration_year: '30', security_code: '123' } } });
const usd = (amount: number) => ({ amount, currency: 'usd' });

before(async () => {
  h = await startHarness();
  base = await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
  serverPem = await (await fetch(`${base}/api/v1/public-key`)).text();
  rx = await startReceiver(serverPem);
  assert.equal((await h.admin('PATCH', '/projects/demo', { webhook_url: rx.url })).statusCode, 200);
  const pem = fs.readFileSync(path.join(h.dataDir, 'demo.private.pem'), 'utf8');
  v1 = new Payrail({ url: base, project: 'demo', privateKey: pem, serverPublicKey: serverPem });
  v2 = new Payrail({ url: base, project: 'demo', privateKey: h.demoKey, apiVersion: 'v2' });
});
after(async () => {
  await h.close();
  await rx.close();
});

/** The receiver's webhooks of one session, once those of `types` have all arrived, in order. */
async function webhooksOf(sessionId: string, types: string[], timeoutMs = 15_000): Promise<Received[]> {
  const started = Date.now();
  for (;;) {
    const mine = rx.received.filter((r) => r.json.session['id'] === sessionId);
    if (types.every((t) => mine.some((r) => r.json.type === t))) return mine;
    if (Date.now() - started > timeoutMs) throw new Error(`webhooks of ${sessionId}: got ${mine.map((r) => r.json.type).join(', ')}; want ${types.join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every field of a real answer is declared by the SDK type of that name. */
const declared = (value: unknown, type: string) => assert.deepEqual(unknownFields(value, type), [], `${type}: ${JSON.stringify(value)}`);

describe('a card payment, v1, driven by the SDK', () => {
  test('create → start/payment → ready_to_confirm → confirm → payment_finished → refund, webhooks verified', async () => {
    const created = await v1.session.create({ metadata: { order: 'sdk-1' } });
    const s = created.session;
    // The compile-time half: a literal of exactly the fields the server sent must satisfy the type.
    assert.deepEqual(created, { status: 'ok', session: { id: s.id, status: 'created', created_at: s.created_at, updated_at: s.updated_at } } satisfies SessionResponse);
    declared(created, 'SessionResponseV1');

    const started = await v1.session.startPayment({ session_id: s.id, payment_details: card('4242424242424242'), amount_details: usd(10_000), customer: { reference: 'cust-7' } });
    declared(started, 'SessionResponseV1');
    assert.equal(started.session.status, 'in_progress');

    const [ready] = await webhooksOf(s.id, ['ready_to_confirm']);
    const event = v1.webhooks.verify(ready!.body, ready!.headers['x-partner-sign']);
    assert.equal(event.type, 'ready_to_confirm');
    assert.equal(event.session.next_action, 'confirm');
    declared(event, 'WebhookEventV1');

    declared(await v1.session.confirm({ session_id: s.id }), 'SessionResponseV1');
    const hooks = await webhooksOf(s.id, ['payment_finished']);
    const finished = v1.webhooks.verify(hooks.find((r) => r.json.type === 'payment_finished')!.body, hooks.find((r) => r.json.type === 'payment_finished')!.headers['x-partner-sign']);
    declared(finished, 'WebhookEventV1');
    const p = finished.session.acquiring_payments![0]!;
    const masked = p.payment_details.type === 'card' ? p.payment_details.card : assert.fail('a card payment');
    const expected = {
      type: 'payment_finished',
      session: {
        id: s.id,
        status: 'accepted',
        created_at: s.created_at,
        updated_at: finished.session.updated_at,
        finished_at: finished.session.finished_at!,
        acquiring_payments: [
          {
            id: p.id,
            status: 'succeeded',
            created_at: p.created_at,
            updated_at: p.updated_at,
            finished_at: p.finished_at!,
            customer: { reference: 'cust-7' },
            payment_details: { type: 'card', card: { last4: '4242', brand: 'visa', bin: masked.bin!, country_iso3: masked.country_iso3! } },
            amount_details: usd(10_000),
            amounts: { gross: usd(10_000), net: usd(10_000), fee: { merchant_fee: usd(0) } },
            transaction_info: { rrn: p.transaction_info!.rrn!, auth_code: p.transaction_info!.auth_code! },
            metadata: { order: 'sdk-1' },
          } satisfies Payment,
        ],
      },
    } satisfies WebhookEvent;
    assert.deepEqual(finished, expected);
    assert.deepEqual((await v1.session.status({ session_id: s.id })).session, finished.session, 'the webhook is the session as status shows it');

    const refunded = await v1.session.refund({ session_id: s.id });
    declared(refunded, 'SessionResponseV1');
    const all = await webhooksOf(s.id, ['payment_refunded']);
    for (const r of all) assert.equal(v1.webhooks.verify(r.body, r.headers['x-partner-sign']).session.id, s.id);
    declared(v1.webhooks.verify(all.at(-1)!.body, all.at(-1)!.headers['x-partner-sign']), 'WebhookEventV1');
  });

  test('a tampered, missing or foreign signature throws PayrailSignatureError', async () => {
    const { session } = await v1.session.initPayment({ payment_details: card('5555555555554444'), amount_details: usd(2_500), customer: { reference: 'c' } });
    const [r] = await webhooksOf(session.id, ['ready_to_confirm']);
    const sig = r!.headers['x-partner-sign'];
    assert.equal(v1.webhooks.verify(Buffer.from(r!.body), sig).type, 'ready_to_confirm');
    assert.throws(() => v1.webhooks.verify(r!.body.replace('"in_progress"', '"accepted"'), sig), PayrailSignatureError);
    assert.throws(() => v1.webhooks.verify(`${r!.body} `, sig), PayrailSignatureError);
    assert.throws(() => v1.webhooks.verify(r!.body, undefined), /X-PARTNER-SIGN header is missing/);
    const other = newKeyPair();
    assert.throws(() => v1.webhooks.verify(r!.body, signWebhook(r!.body, other.privateKey)), PayrailSignatureError);
    // The test-signing helper: what it signs, the matching public key verifies.
    const mine = Payrail.webhooks.sign(r!.body, other.privateKey);
    assert.equal(Payrail.webhooks.verify(r!.body, mine, other.publicPem).session.id, session.id);
    assert.throws(() => v2.webhooks.verify(r!.body, sig), /no serverPublicKey/);
    assert.equal((await v2.fetchServerPublicKey()).trim(), serverPem.trim());
    assert.equal(v2.webhooks.verify(r!.body, sig).session.id, session.id);
  });
});

describe('a payout, v2, driven by the SDK', () => {
  test('top-up → init/payout → ready_to_confirm → confirm → payment_finished; the wallet pays it', async () => {
    assert.equal((await h.admin('POST', '/projects/demo/wallet/topup', { amount: 500_000, currency: 'usd' })).statusCode, 200);
    const usdWallet = async () => (await v2.wallet.balance()).wallets.find((w) => w.amount_details.currency === 'usd')!.amount_details.amount;
    const balance = await v2.wallet.balance();
    declared(balance, 'WalletBalanceResponse');
    const before = await usdWallet();

    const dest = { type: 'card' as const, card: { type: 'bank_card' as const, bank_card: { number: '4242424242424242' } } };
    const init = await v2.session.initPayout({ payout_details: dest, amount_details: usd(10_000), participant_details: { recipient: { full_name: 'John Johnson' } } });
    declared(init, 'SessionResponseV2');
    const id = init.session.id;
    const [ready] = await webhooksOf(id, ['ready_to_confirm']);
    const event = v2.webhooks.verify(ready!.body, ready!.headers['x-partner-sign']);
    declared(event, 'WebhookEventV2');
    assert.equal(event.session.payout_list?.[0]?.status, 'pending');

    await v2.session.confirm({ session_id: id });
    const hooks = await webhooksOf(id, ['payment_finished']);
    const last = hooks.find((r) => r.json.type === 'payment_finished')!;
    const done = v2.webhooks.verify(last.body, last.headers['x-partner-sign']);
    declared(done, 'WebhookEventV2');
    const p = done.session.payout_list![0]!;
    assert.deepEqual(p, {
      id: p.id,
      status: 'succeeded',
      created_at: p.created_at,
      updated_at: p.updated_at,
      finished_at: p.finished_at!,
      payout_details: { type: 'card', card: { last4: '4242', brand: 'visa', country_iso3: p.payout_details.type === 'card' ? p.payout_details.card.country_iso3 : '' } },
      amount_details: usd(10_000),
      amounts: { gross: usd(10_000), net: usd(10_000), fee: { merchant_fee: usd(0) } },
      participant_details: { recipient: { full_name: 'John Johnson' } },
      transaction_info: { rrn: p.transaction_info!.rrn!, auth_code: p.transaction_info!.auth_code! },
    } satisfies PayoutV2);
    assert.equal(done.session.status, 'accepted');
    assert.equal(await usdWallet(), before - 10_000);
  });

  test('the other read methods answer in their declared shapes', async () => {
    declared(await v2.fps.banks(), 'FpsBanksResponse');
    declared(await v1.token.create({ tokenize_widget: {} }), 'PublicTokenResponse');
    const log = await v1.requests.list({ limit: 5 });
    declared(log, 'RequestLogResponse');
    assert.ok(log.requests.length > 0);
    const ac = new AbortController();
    for await (const w of v1.events.stream({ after: '0' }, { signal: ac.signal })) {
      declared(w, 'StreamedWebhook');
      assert.equal(v1.webhooks.verify(w.body, w.signature).session.id, w.session_id);
      ac.abort();
    }
    // The runtime check can fail: a field the types lack is named with its path.
    assert.deepEqual(unknownFields({ status: 'ok', session: { id: 'ps_1', status: 'created', surprise: 1, payments: [{ id: 'x', extra: 2 }] } }, 'SessionResponseV1'), [
      '$.session.surprise',
      '$.session.payments[0].extra',
    ]);
  });
});

type Step = 'forward' | 'drop-before' | 'drop-after' | '503' | 'hang';
interface Seen {
  readonly path: string;
  readonly key: string | undefined;
  upstream?: string;
}

/** A loopback proxy to the server that handles attempt n (0-based) as plan(n) says. */
async function startProxy(plan: (n: number) => Step) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const step = plan(seen.length);
      const entry: Seen = { path: req.url ?? '', key: req.headers['x-partner-idempotency-key'] as string | undefined };
      seen.push(entry);
      if (step === 'drop-before') return req.socket.destroy();
      if (step === 'hang') return;
      if (step === '503') {
        res.writeHead(503, { 'content-type': 'application/json' });
        return res.end('{"status":"error","error":{"code":"service_unavailable","description":"proxy: try again"}}');
      }
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'x-partner-project', 'x-partner-sign', 'x-partner-idempotency-key']) if (typeof req.headers[name] === 'string') headers[name] = req.headers[name];
      void fetch(`${base}${req.url}`, { method: 'POST', headers, body: Buffer.concat(chunks) }).then(async (up) => {
        entry.upstream = await up.text();
        if (step === 'drop-after') return req.socket.destroy();
        res.writeHead(up.status, { 'content-type': 'application/json' });
        res.end(entry.upstream);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new Payrail({ url, project: 'demo', privateKey: h.demoKey, maxRetries: 3, retryBaseDelayMs: 20, retryMaxDelayMs: 100, timeoutMs: 2_000 });
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url, seen, client, close };
}

describe('retries, idempotency keys and errors, over real sockets', () => {
  test('a 4xx is not retried and is a PayrailError with the server code', async () => {
    const proxy = await startProxy(() => 'forward');
    try {
      const err = await proxy.client.session.status({ session_id: 'ps_404' }).catch((e: unknown) => e);
      assert.ok(err instanceof PayrailError, String(err));
      assert.deepEqual([err.code, err.httpStatus], ['session_not_found', 404]);
      assert.match(err.description, /ps_404/);
      const bad = await proxy.client.session.initPayment({ payment_details: card('4242424242424241'), amount_details: usd(100), customer: { reference: 'c' } }, { idempotencyKey: 'sdk-bad-card' }).catch((e: unknown) => e);
      assert.ok(bad instanceof PayrailError);
      assert.deepEqual([bad.code, bad.httpStatus, bad.idempotencyKey], ['invalid_request', 400, 'sdk-bad-card']);
      assert.ok({ status: 'error', error: { code: bad.code, description: bad.description } } satisfies ErrorEnvelope);
      assert.deepEqual(proxy.seen.map((s) => [s.path, s.key]), [['/api/v1/session/status', undefined], ['/api/v1/session/init/payment', 'sdk-bad-card']], 'one attempt each; a read sends no key');
    } finally {
      await proxy.close();
    }
  });

  test('5xx and a dropped connection are retried with the same key; the server acts once', async () => {
    const proxy = await startProxy((n) => (['503', 'drop-before', 'drop-after'] as const)[n] ?? 'forward');
    try {
      const { session } = await proxy.client.session.create({ metadata: { retried: true } });
      assert.equal(proxy.seen.length, 4);
      const keys = new Set(proxy.seen.map((s) => s.key));
      assert.equal(keys.size, 1, 'one key for every attempt');
      assert.match([...keys][0]!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      // The third attempt reached the server and lost its answer; the fourth got that answer replayed.
      assert.equal(JSON.parse(proxy.seen[2]!.upstream!).session.id, session.id);
      assert.equal(proxy.seen[3]!.upstream, proxy.seen[2]!.upstream);
      // A new call gets a new key.
      await proxy.client.session.status({ session_id: session.id });
      await proxy.client.session.cancel({ session_id: session.id });
      assert.notEqual(proxy.seen.at(-1)!.key, [...keys][0]);
    } finally {
      await proxy.close();
    }
  });

  test('a hang times out and is retried; 5xx to the end is a PayrailError; no server at all a PayrailConnectionError', async () => {
    const hang = await startProxy((n) => (n === 0 ? 'hang' : 'forward'));
    try {
      const fast = new Payrail({ url: hang.url, project: 'demo', privateKey: h.demoKey, timeoutMs: 300, retryBaseDelayMs: 10 });
      assert.equal((await fast.session.create({}, { idempotencyKey: 'sdk-hang-1' })).session.status, 'created');
      assert.deepEqual(hang.seen.map((s) => s.key), ['sdk-hang-1', 'sdk-hang-1']);
    } finally {
      await hang.close();
    }
    const down = await startProxy(() => '503');
    try {
      const err = await down.client.session.create().catch((e: unknown) => e);
      assert.ok(err instanceof PayrailError);
      assert.deepEqual([err.code, err.httpStatus, down.seen.length], ['service_unavailable', 503, 4]);
    } finally {
      await down.close();
    }
    const gone = await startProxy(() => 'forward');
    await gone.close();
    const err = await gone.client.session.create(undefined, { maxRetries: 1 }).catch((e: unknown) => e);
    assert.ok(err instanceof PayrailConnectionError && !(err instanceof PayrailError), String(err));
    assert.equal(err.attempts, 2);
    assert.match(err.idempotencyKey ?? '', /^[0-9a-f-]{36}$/);
  });
});

describe('the package', () => {
  test('builds with its own tsconfig to ESM with declarations, imports nothing of the server, and works built', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'payrail-sdk-'));
    try {
      await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'sdk/tsconfig.json', '--outDir', out], { cwd: ROOT });
      const dts = fs.readFileSync(path.join(out, 'index.d.ts'), 'utf8');
      assert.match(dts, /Payrail/);
      assert.match(fs.readFileSync(path.join(out, 'client.d.ts'), 'utf8'), /session: \{/);
      for (const file of fs.readdirSync(out, { recursive: true }).map(String).filter((f) => f.endsWith('.js'))) {
        const specifiers = [...fs.readFileSync(path.join(out, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
        for (const s of specifiers) assert.ok(s.startsWith('node:') || s.startsWith('./') || s.startsWith('../'), `${file} imports ${s}`);
        for (const s of specifiers.filter((x) => x.startsWith('../'))) assert.ok(fs.existsSync(path.resolve(out, path.dirname(file), s)), `${file}: ${s} stays inside the package`);
      }
      const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'sdk/package.json'), 'utf8'));
      assert.deepEqual([pkg.name, pkg.type, pkg.exports['.'].import, pkg.exports['.'].types], ['@payrail/sdk', 'module', './dist/index.js', './dist/index.d.ts']);
      const built = (await import(pathToFileURL(path.join(out, 'index.js')).href)) as typeof SdkModule;
      const client = new built.Payrail({ url: base, project: 'demo', privateKey: h.demoKey });
      assert.equal((await client.session.create()).session.status, 'created');
      const err = await client.session.status({ session_id: 'ps_0' }).catch((e: unknown) => e);
      assert.ok(err instanceof built.PayrailError && err.code === 'session_not_found');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
