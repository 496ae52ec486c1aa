import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startHarness, type Harness, type Reply } from './helpers/harness.js';
import { accounts, assertError, entriesFor } from './helpers/payouts.js';

/**
 * Mutating admin calls take X-PARTNER-IDEMPOTENCY-KEY with the partner API's rules, and a wallet
 * top-up takes a once-only `reference`: an operator script that retries after a timeout never
 * credits a wallet twice (issue 10, item 1).
 */
let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

async function admin(method: 'POST' | 'PATCH' | 'DELETE', url: string, body: unknown, key?: string): Promise<Reply> {
  const res = await h.runtime.app.inject({
    method,
    url: `/admin${url}`,
    headers: {
      authorization: `Bearer ${h.runtime.adminToken}`,
      'content-type': 'application/json',
      ...(key === undefined ? {} : { 'x-partner-idempotency-key': key }),
    },
    payload: JSON.stringify(body),
  });
  return { statusCode: res.statusCode, body: res.body, headers: res.headers, json: () => JSON.parse(res.body) };
}

const wallet = async (currency = 'usd') => (await accounts(h, 'demo'))[`wallet ${currency}`] ?? 0;
const topups = async () =>
  Number(
    (
      await h.runtime.database.db
        .selectFrom('ledger_entries')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('kind', '=', 'topup')
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('an idempotency key on a top-up', () => {
  test('the same key and body: one credit, the first answer replayed byte for byte', async () => {
    const before = await wallet();
    const first = await admin('POST', '/projects/demo/wallet/topup', { amount: 1500, currency: 'usd' }, 'op-topup-1');
    assert.equal(first.statusCode, 200, first.body);
    const again = await admin('POST', '/projects/demo/wallet/topup', { amount: 1500, currency: 'usd' }, 'op-topup-1');
    assert.equal(again.statusCode, 200);
    assert.equal(again.body, first.body);
    assert.equal(await wallet(), before + 1500, 'credited once');
  });

  test('the same key with another body is refused, and credits nothing', async () => {
    const before = await wallet();
    const res = await admin('POST', '/projects/demo/wallet/topup', { amount: 9999, currency: 'usd' }, 'op-topup-1');
    assertError(res, 409, 'idempotency_key_already_exists', 'X-PARTNER-IDEMPOTENCY-KEY "op-topup-1" was already used for a different request');
    assert.equal(await wallet(), before);
  });

  test('20 concurrent retries of one key: exactly one credit; the others replay it or are told it is in flight', async () => {
    const before = await wallet();
    const entries = await topups();
    const answers = await Promise.all(Array.from({ length: 20 }, () => admin('POST', '/projects/demo/wallet/topup', { amount: 700, currency: 'usd' }, 'op-race')));
    const ok = answers.filter((a) => a.statusCode === 200);
    const busy = answers.filter((a) => a.statusCode === 409);
    assert.equal(ok.length + busy.length, 20, answers.map((a) => a.body).join('\n'));
    assert.ok(ok.length >= 1);
    assert.equal(new Set(ok.map((a) => a.json().topup_id)).size, 1, 'every success is the one top-up');
    for (const b of busy) assertError(b, 409, 'idempotency_key_already_exists', 'a request with X-PARTNER-IDEMPOTENCY-KEY "op-race" is still being processed');
    assert.equal(await wallet(), before + 700);
    assert.equal(await topups(), entries + 1);
  });

  test('a refusal is kept under its key too: an unknown project answers 404 again, even once it exists', async () => {
    const first = await admin('POST', '/projects/ghost/wallet/topup', { amount: 100, currency: 'usd' }, 'op-ghost');
    assertError(first, 404, 'not_found', 'project "ghost" does not exist');
    const again = await admin('POST', '/projects/ghost/wallet/topup', { amount: 100, currency: 'usd' }, 'op-ghost');
    assert.equal(again.body, first.body);
  });

  test('a key with a control character, or too long, is refused before anything runs', async () => {
    const before = await wallet();
    assertError(
      await admin('POST', '/projects/demo/wallet/topup', { amount: 100, currency: 'usd' }, 'a\tb'),
      400,
      'invalid_request',
      'X-PARTNER-IDEMPOTENCY-KEY must be 1 to 255 printable ASCII characters',
    );
    assertError(
      await admin('POST', '/projects/demo/wallet/topup', { amount: 100, currency: 'usd' }, 'k'.repeat(256)),
      400,
      'invalid_request',
      'X-PARTNER-IDEMPOTENCY-KEY must be 1 to 255 printable ASCII characters',
    );
    assert.equal(await wallet(), before);
  });

  test('admin keys are their own namespace: a project may use the same key on the partner API', async () => {
    const res = await h.call('session/create', { amount_details: { amount: 100, currency: 'usd' } }, { idempotencyKey: 'op-topup-1' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'ok');
  });
});

describe('a key on the other mutating admin calls', () => {
  test('PATCH replays its first answer; DELETE of a key replays its success instead of answering not_found', async () => {
    const patched = await admin('PATCH', '/projects/demo', { auto_confirm: true }, 'op-patch');
    assert.equal(patched.statusCode, 200, patched.body);
    await admin('PATCH', '/projects/demo', { auto_confirm: false });
    const replay = await admin('PATCH', '/projects/demo', { auto_confirm: true }, 'op-patch');
    assert.equal(replay.body, patched.body, 'the replay is the first answer, not a second change');
    const project = await h.admin('GET', '/projects/demo');
    assert.equal(project.json().project.settings.auto_confirm, false, 'the replay changed nothing');

    const { generateKeyPairSync } = await import('node:crypto');
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const added = await admin('POST', '/projects/demo/keys', { public_key: pem }, 'op-add-key');
    assert.equal(added.statusCode, 200, added.body);
    const id: string = added.json().key.id;
    assert.equal((await admin('POST', '/projects/demo/keys', { public_key: pem }, 'op-add-key')).body, added.body);
    const gone = await admin('DELETE', `/projects/demo/keys/${id}`, {}, 'op-del-key');
    assert.equal(gone.statusCode, 200, gone.body);
    const goneAgain = await admin('DELETE', `/projects/demo/keys/${id}`, {}, 'op-del-key');
    assert.equal(goneAgain.body, gone.body);
    assert.equal((await admin('DELETE', `/projects/demo/keys/${id}`, {})).statusCode, 404, 'without the key, the second delete finds nothing');
  });
});

describe('a top-up reference', () => {
  test('booked once: the same reference again books nothing and says so', async () => {
    const before = await wallet('eur');
    const first = await admin('POST', '/projects/demo/wallet/topup', { amount: 2500, currency: 'eur', reference: 'inv-2026-12-001' });
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.json().topup_id, 'demo/inv-2026-12-001');
    assert.equal(first.json().already_booked, false);
    const again = await admin('POST', '/projects/demo/wallet/topup', { amount: 2500, currency: 'eur', reference: 'inv-2026-12-001' });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().topup_id, 'demo/inv-2026-12-001');
    assert.equal(again.json().already_booked, true);
    assert.equal(await wallet('eur'), before + 2500);
    assert.deepEqual(await entriesFor(h.runtime.database.db, 'demo/inv-2026-12-001'), [{ kind: 'topup', postings: { external_topup: -2500, wallet: 2500 } }]);
  });

  test('the same reference with another amount or currency is refused', async () => {
    const before = await wallet('eur');
    assertError(
      await admin('POST', '/projects/demo/wallet/topup', { amount: 2600, currency: 'eur', reference: 'inv-2026-12-001' }),
      409,
      'idempotency_key_already_exists',
      'top-up reference "demo/inv-2026-12-001" was already used for 2500 EUR (minor units)',
    );
    assertError(
      await admin('POST', '/projects/demo/wallet/topup', { amount: 2500, currency: 'usd', reference: 'inv-2026-12-001' }),
      409,
      'idempotency_key_already_exists',
      /^top-up reference "demo\/inv-2026-12-001" /,
    );
    assert.equal(await wallet('eur'), before);
  });

  test('20 concurrent top-ups with one reference and no key: one credit', async () => {
    const before = await wallet();
    const answers = await Promise.all(Array.from({ length: 20 }, () => admin('POST', '/projects/demo/wallet/topup', { amount: 333, currency: 'usd', reference: 'race-ref' })));
    assert.deepEqual(
      answers.map((a) => a.statusCode),
      Array(20).fill(200),
      answers.map((a) => a.body).join('\n'),
    );
    assert.equal(answers.filter((a) => a.json().already_booked === false).length, 1);
    assert.equal(await wallet(), before + 333);
  });

  test('a malformed reference is refused, naming the field', async () => {
    const res = await admin('POST', '/projects/demo/wallet/topup', { amount: 100, currency: 'usd', reference: 'a b' });
    assertError(res, 400, 'invalid_request', /reference/);
  });
});
