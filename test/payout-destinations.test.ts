import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadKeyring } from '../src/platform/keys/keyring.js';
import { resolveMasterKey } from '../src/platform/keys/master-key.js';
import { findProjectByName } from '../src/domain/projects/project.repo.js';
import { numberHash } from '../src/domain/tokens/vault.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { checkLedgerAfterEach } from './helpers/ledger-invariants.js';
import {
  USD,
  advance,
  assertError,
  createProject,
  dest,
  destOf,
  entriesFor,
  ok,
  payoutBody,
  payoutIn,
  rowCounts,
  statusOf,
  untilFinal,
  untilPending,
  untilSent,
  type Destination,
  type Json,
  type Version,
} from './helpers/payouts.js';

/**
 * Payout destinations over HTTP (docs/test-payouts.md, "Destinations and their checks"). Each
 * destination type once end to end — card, encrypted_card (a number_hash from the vault), global
 * IBAN, US, UK, AU, BR, ru, faster_payment_system, wallet — and a few malformed requests per type:
 * each gets a precise invalid_request naming the field, and nothing is written (session/status is
 * unchanged and no session, payout, card, job, webhook or ledger row appears). The validators' own
 * unit tests are in src/payouts/*.test.ts; this file tests the HTTP path.
 */
let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});
checkLedgerAfterEach(() => h);

/** The vault's hash of a card number in the demo project, computed as the vault computes it. */
async function vaultHash(project: string, number: string): Promise<string> {
  const { db } = h.runtime.database;
  const keyring = await loadKeyring(db, resolveMasterKey(h.runtime.config), h.runtime.clock.now());
  const p = await findProjectByName(db, project);
  assert.ok(p);
  return numberHash(keyring, p.id, number);
}

interface Case {
  readonly name: string;
  readonly d: Destination;
  readonly currency: string;
  /** The rail's settlement: at once, or after a clock-day. */
  readonly instant: boolean;
  /** What the payout shows as its destination (a card is masked, the rest echoed). */
  readonly shown?: Json;
}

describe('each destination type, end to end: init → ready_to_confirm → confirm → succeeded', () => {
  const MASTERCARD = '5555555555554444';
  const results = new Map<string, { init: Json; final: Json }>();
  let cases: Case[] = [];

  before(async () => {
    // A card enters the vault with an earlier session/create of a payment; its number_hash is then
    // what the tokenization widget would hand the partner.
    await ok(h, 'session/create', {
      payment_details: { type: 'card', card: { type: 'bank_card', bank_card: { number: MASTERCARD, expiration_month: '12', expiration_year: '30' } } },
      amount_details: USD(100),
    });
    const hash = await vaultHash('demo', MASTERCARD);
    const stored = await h.runtime.database.db.selectFrom('cards').select(['number_hash', 'last4']).where('number_hash', '=', hash).execute();
    assert.deepEqual(stored, [{ number_hash: hash, last4: '4444' }], 'numberHash() is the hash the vault stored');

    cases = [
      { name: 'card (bank_card)', d: dest.card(), currency: 'usd', instant: true, shown: { type: 'card', card: { last4: '4242', brand: 'visa', country_iso3: 'USA' } } },
      { name: 'card (encrypted_card, a vault hash)', d: dest.encryptedCard(hash), currency: 'eur', instant: true, shown: { type: 'card', card: { last4: '4444', brand: 'mastercard', country_iso3: 'USA' } } },
      { name: 'global, IBAN (SEPA)', d: dest.iban('BE71096123456769', 'BEL', { swift_bic_code: 'GEBABEBB' }), currency: 'eur', instant: false },
      { name: 'global, US', d: dest.us(), currency: 'usd', instant: false },
      { name: 'global, UK', d: dest.uk(), currency: 'usd', instant: false },
      { name: 'global, AU', d: dest.au(), currency: 'usd', instant: false },
      { name: 'global, BR', d: dest.br(), currency: 'usd', instant: false },
      { name: 'ru', d: dest.ru(), currency: 'rub', instant: false },
      { name: 'faster_payment_system', d: dest.fps(), currency: 'rub', instant: true },
      { name: 'wallet (yoomoney)', d: dest.wallet(), currency: 'rub', instant: true },
      { name: 'wallet (steam)', d: dest.wallet('steam', 'gaben_fan_42'), currency: 'usd', instant: true },
      {
        name: 'iban system (account is the IBAN)',
        d: { method: { type: 'bank_account', bank_account: { system_type: 'iban', iban: { account: 'NL91ABNA0417164300' } } }, participants: {} },
        currency: 'eur',
        instant: false,
      },
    ];
    // All at once: start, wait for each to be pending, confirm, wait for the rail, one clock-day.
    const started = await Promise.all(
      cases.map(async (c, i) => {
        const init = await ok(h, 'session/init/payout', payoutBody('v1', c.d, { amount: 1000 + i, currency: c.currency }, { metadata: { case: c.name } }));
        return { c, init, sid: init.session.id as string };
      }),
    );
    for (const s of started) await untilPending(h, s.sid);
    for (const s of started) await ok(h, 'session/confirm', { session_id: s.sid });
    for (const s of started) await until2(s.sid);
    await advance(h, 86_400 + 120);
    for (const s of started) results.set(s.c.name, { init: s.init, final: await untilFinal(h, s.sid) });
  });

  /** Waits until the rail has the payout: paid already (instant rails) or accepted with an rrn. */
  async function until2(sid: string): Promise<void> {
    const s = await statusOf(h, sid);
    if (s['status'] === 'accepted') return;
    await untilSent(h, sid);
  }

  const names = [
    'card (bank_card)',
    'card (encrypted_card, a vault hash)',
    'global, IBAN (SEPA)',
    'global, US',
    'global, UK',
    'global, AU',
    'global, BR',
    'ru',
    'faster_payment_system',
    'wallet (yoomoney)',
    'wallet (steam)',
    'iban system (account is the IBAN)',
  ];
  names.forEach((name, i) => {
    test(name, async () => {
      const c = cases.find((x) => x.name === name);
      const r = results.get(name);
      assert.ok(c && r, `${name} did not run`);
      const first = payoutIn(r.init.session);
      assert.equal(first.status, 'in_progress');
      assert.deepEqual(first.payment_method, c.shown ?? c.d.method);
      assert.deepEqual(first.amount_details, { amount: 1000 + i, currency: c.currency });
      if (Object.keys(c.d.participants).length > 0) assert.deepEqual(first.participant_details, c.d.participants);
      assert.deepEqual(first.metadata, { case: name });

      assert.equal(r.final['status'], 'accepted', JSON.stringify(r.final));
      const payout = payoutIn(r.final);
      assert.equal(payout.status, 'succeeded');
      assert.match(payout.transaction_info.rrn, /^\d{12}$/);
      assert.deepEqual(payout.payment_method, first.payment_method);
      const took = Date.parse(payout.finished_at) - Date.parse(payout.created_at);
      if (c.instant) assert.ok(took < 60_000, `${name}: paid ${took} ms after creation, not at once`);
      else assert.ok(took >= 86_400_000 && took < 86_400_000 + 300_000, `${name}: paid ${took} ms after creation, not after a clock-day`);
      const total = 1000 + i;
      assert.deepEqual(await entriesFor(h.runtime.database.db, payout.id), [
        { kind: 'payout_reserve', postings: { wallet: -total, reserved: total } },
        { kind: 'payout_settle', postings: { reserved: -total, external_bank_rails: total } },
      ]);
    });
  });

  test('a card payout never stores or shows the number', async () => {
    const r = results.get('card (bank_card)');
    assert.ok(r);
    assert.doesNotMatch(JSON.stringify(r.final), /4242424242424242/);
    const row = await h.runtime.database.db.selectFrom('payouts').select(['payment_method']).where('id', '=', payoutIn(r.final).id).executeTakeFirstOrThrow();
    assert.doesNotMatch(JSON.stringify(row.payment_method), /4242424242424242/);
  });
});

describe('malformed destinations: a precise error, and nothing written', () => {
  let sid: string;
  let sidV2: string;
  before(async () => {
    sid = (await ok(h, 'session/create', {})).session.id;
    sidV2 = (await ok(h, 'session/create', {}, { version: 'v2' })).session.id;
  });

  /**
   * Sends the destination with session/init/payout and with session/start/payout (on a created
   * session), expects `description` from both, and checks that nothing changed.
   */
  async function refused(d: Destination, description: string, opts: { version?: Version; participants?: Json; currency?: string } = {}): Promise<void> {
    const version = opts.version ?? 'v1';
    const session = version === 'v1' ? sid : sidV2;
    const extra = opts.participants === undefined ? {} : { participant_details: opts.participants };
    const body = payoutBody(version, d, { amount: 500, currency: opts.currency ?? 'usd' }, extra);
    const { db } = h.runtime.database;
    const countsBefore = await rowCounts(db);
    const statusBefore = await statusOf(h, session, { version });
    assertError(await h.call('session/init/payout', body, { version }), 400, 'invalid_request', description);
    assertError(await h.call('session/start/payout', { session_id: session, ...body }, { version }), 400, 'invalid_request', description);
    assert.deepEqual(await statusOf(h, session, { version }), statusBefore, 'session/status is unchanged');
    assert.deepEqual(await rowCounts(db), countsBefore, 'no rows were written');
  }

  const G = 'payment_method.bank_account.global';
  const R = 'participant_details.recipient';

  test('card', async () => {
    await refused(dest.card('4242424242424241'), 'payment_method.card.bank_card.number is not a valid card number (Luhn check failed)');
    await refused(dest.card('9000000000000001'), 'payment_method.card.bank_card.number is not a card of a known brand (Visa, Mastercard, Mir, American Express, Diners Club, Discover, JCB, UnionPay)');
    await refused(dest.card(), `${R}.full_name is required for a card payout`, { participants: { recipient: { first_name: 'John' } } });
    await refused(dest.card('4242'), 'payout_details.card.bank_card.number must be 12 to 19 digits', { version: 'v2' });
  });

  test('encrypted_card: a hash the vault does not know, or the same card vaulted by another project', async () => {
    await refused(
      dest.encryptedCard('0'.repeat(64)),
      'payment_method.card.encrypted_card.number_hash does not name a card of this project (tokenize the card first)',
    );
    // The same card in another project has another hash; and that hash means nothing here.
    const key = await createProject(h, 'vault-other');
    const card = { number: '4242424242424242', expiration_month: '12', expiration_year: '30' };
    await ok(h, 'session/create', { payment_details: { type: 'card', card: { type: 'bank_card', bank_card: card } } }, { project: 'vault-other', key });
    const theirs = await vaultHash('vault-other', '4242424242424242');
    assert.notEqual(theirs, await vaultHash('demo', '4242424242424242'));
    assert.equal((await h.runtime.database.db.selectFrom('cards').select('id').where('number_hash', '=', theirs).execute()).length, 1, 'a real hash, of the other project');
    await refused(dest.encryptedCard(theirs), 'payment_method.card.encrypted_card.number_hash does not name a card of this project (tokenize the card first)');
    await refused(dest.encryptedCard(' '), 'payment_method.card.encrypted_card.number_hash is required');
  });

  test('global, IBAN', async () => {
    await refused(dest.iban('DE89370400440532013001'), `${G}.iban is not a valid IBAN (checksum failed)`);
    await refused(dest.iban('BE7109612345676', 'BEL'), `${G}.iban is not a valid IBAN (BE IBANs have 16 characters, not 15)`);
    await refused(dest.iban('DE89370400440532013000', 'DEU', { swift_bic_code: 'DEUTDEF' }), `${G}.swift_bic_code is not a valid SWIFT BIC (it must have 8 or 11 characters)`);
    await refused(dest.iban(), `${R}.country_iso3 is required for a payout to a global bank account`, { participants: { recipient: { first_name: 'John', last_name: 'Johnson' } } });
    await refused(dest.iban(), `${R}.first_name and last_name, or full_name, are required for a payout to a bank account in DEU`, { participants: { recipient: { country_iso3: 'DEU' } } });
    await refused({ ...dest.iban(), method: { type: 'bank_account', bank_account: { system_type: 'global', global: { description: 'x' } } } }, `${G}.iban is required for a payout to a bank account in DEU`);
    await refused(dest.iban('DE89370400440532013001'), 'payout_details.bank_account.global.iban is not a valid IBAN (checksum failed)', { version: 'v2' });
  });

  test('global, US', async () => {
    await refused(dest.us({ routing_code: '021000022' }), `${G}.routing_code is not a valid ABA routing number (checksum failed)`);
    await refused(dest.us({ account_type: 'DEPOSIT' }), `${G}.account_type must be one of: CHECKING, SAVINGS for a payout to a bank account in USA`);
    await refused(dest.us({ routing_code: undefined }), `${G}.routing_code is required for a payout to a bank account in USA`);
  });

  test('global, UK', async () => {
    await refused(dest.uk({ sort_code: '60-16-1' }), `${G}.sort_code must be 6 digits, as 12-34-56 or 123456`);
    await refused(dest.uk({ account_number: '3192681' }), `${G}.account_number must be 8 digits`);
    await refused(dest.uk({ sort_code: undefined, account_number: undefined, iban: 'GB29NWBK60161331926819' }), `${G}.swift_bic_code is required for a payout to a bank account in GBR`);
  });

  test('global, AU', async () => {
    await refused(dest.au({ bsb_number: '06-2000' }), `${G}.bsb_number must be 6 digits, as 123-456 or 123456`);
    await refused(dest.au({ bank_account_number: '1234' }), `${G}.bank_account_number must be 5 to 9 digits`);
  });

  test('global, BR', async () => {
    await refused(dest.br({}, '52998224724'), `${R}.identity_document.id_number is not a valid CPF (check digits do not match)`);
    await refused(dest.br({}, ''), `${R}.identity_document.id_number is required for a payout to a bank account in BRA (the recipient's CPF)`);
    await refused(dest.br({ branch_number: '12345' }), `${G}.branch_number must be up to 4 digits, with an optional check digit after a hyphen (1234-5)`);
  });

  test('ru', async () => {
    const P = 'payment_method.bank_account.ru';
    await refused(dest.ru({ account: '40817810438000012346' }), `${P}.account is not a valid account number (its control key does not match the BIK 044525225)`, { currency: 'rub' });
    await refused(dest.ru({ inn: '500100732258' }), `${P}.inn is not a valid INN (check digits do not match)`, { currency: 'rub' });
    await refused(
      dest.ru({ account: '30101810400000000225' }),
      `${P}.account must start with one of the allowed prefixes: 40817810, 42301810, 42302810, 42303810, 42304810, 42305810, 42306810, 42307810, 40802810, 40502810, 40820810, 40702810`,
      { currency: 'rub' },
    );
    await refused(dest.ru({ account: '40702810538000054321', inn: '7707083893' }), `${P}.kpp is required for an account of a legal entity (40502810, 40702810)`, { currency: 'rub' });
    await refused(dest.ru({ bik: '014525225' }), `${P}.bik is not a valid BIK (it must start with 04)`, { currency: 'rub' });
  });

  test('faster_payment_system', async () => {
    const P = 'payment_method.bank_account.faster_payment_system';
    await refused(dest.fps({ phone: '84951234567' }), `${P}.phone must be a Russian mobile number, 79XXXXXXXXX or +79XXXXXXXXX`, { currency: 'rub' });
    await refused(dest.fps({ bank_id: '100000000999' }), `${P}.bank_id is not the id of an FPS bank (see fps/banks)`, { currency: 'rub' });
  });

  test('wallet', async () => {
    await refused(dest.wallet('paypal', 'someone'), 'payment_method.wallet.type must be one of: yoomoney, qiwi, moneta, steam');
    await refused(dest.wallet('yoomoney', '4100'), 'payment_method.wallet.yoomoney.account must be a YooMoney wallet number, 11 to 20 digits');
    await refused(dest.wallet('qiwi', '+79210010203'), "payment_method.wallet.qiwi.account must be the holder's phone number in international format without +, e.g. 79210010203");
    await refused({ method: { type: 'wallet', wallet: { type: 'moneta' } }, participants: {} }, 'payment_method.wallet.moneta.account is required');
  });

  test('after all that, the same created session still starts a valid payout', async () => {
    const started = await ok(h, 'session/start/payout', { session_id: sid, ...payoutBody('v1', dest.wallet('moneta', '25182459'), USD(321)) });
    assert.equal(started.session.status, 'in_progress');
    assert.deepEqual(payoutIn(started.session).payment_method, dest.wallet('moneta', '25182459').method);
    await untilPending(h, sid);
    await ok(h, 'session/cancel', { session_id: sid });
    const v2 = await ok(h, 'session/start/payout', { session_id: sidV2, ...payoutBody('v2', dest.fps(), { amount: 321, currency: 'rub' }) }, { version: 'v2' });
    assert.deepEqual(payoutIn(v2.session)[destOf('v2')], dest.fps().method);
    await untilPending(h, sidV2, { version: 'v2' });
    await ok(h, 'session/cancel', { session_id: sidV2 }, { version: 'v2' });
  });
});
