import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadKeyring } from '../src/platform/keys/keyring.js';
import { resolveMasterKey } from '../src/platform/keys/master-key.js';
import { findProjectByName } from '../src/domain/projects/project.repo.js';
import { numberHash } from '../src/domain/tokens/vault.js';
import { TIMESTAMP, startHarness, type Harness } from './helpers/harness.js';
import { checkLedgerAfterEach } from './helpers/ledger-invariants.js';
import { advance, assertError, hook, ok, patchProject, statusOf, typesFor, untilSent, type Json } from './helpers/payouts.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';

/**
 * Seeds 000 and 001 (/work/shared/seeds/): their requests, byte for byte as the Smart Glocal pages
 * show them, are fixtures. Only what cannot work as written is replaced: the session id by one of
 * ours, the IBAN placeholder `NUMBER_VALUE` by a valid test IBAN, and the card hash by a number_hash
 * from this project's vault. Each answer is compared field by field with the seed's example answer,
 * ids and times aside. Seed 000's example answer disagrees with its own request, and the request
 * wins: it echoes 10000 for a request of 1000 and shows a customer and metadata the request does not
 * send. As printed it also lacks payment_method's closing brace, which puts amount_details and
 * participant_details inside payment_method; the request has them beside it, and so does the
 * answer (the example is read with the brace restored). Seed 001 has no
 * example answer; its requests are answered in the form of seed 000's (a payout in `payments`),
 * with the card masked.
 */

/** Seed 000's request body (`curl … -d '…'`), verbatim. */
const SEED_000_REQUEST = `{
"session_id": "ps_3230",
"payment_method": {
"type": "bank_account",
"bank_account": {
"system_type": "global",
"global": {
"iban": "NUMBER_VALUE",
"description": "purpose of remittance"
}
}
},
"amount_details": {
"amount": 1000,
"currency": "usd"
},
"participant_details": {
"recipient": {
"bank_name": "All Banks Belgium / EUR / Payment System: SEPA",
"currency": "eur",
"country_iso3": "BEL",
"first_name": "John",
"last_name": "Johnson"
},
"sender": {
"company_name": "Company name",
"registration_number": "1234567890",
"country_iso3": "USA",
"code": "1234567890"
}
}
}`;

/** Seed 000's "Successful response example", verbatim. */
const SEED_000_RESPONSE = `{
"status": "ok",
"session": {
"id": "ps_3230",
"status": "in_progress",
"created_at": "2024-05-27T02:03:00.000000Z",
"updated_at": "2024-05-27T02:03:00.000000Z",
"payments": [
{
"id": "po_1313",
"status": "in_progress",
"created_at": "2024-05-27T02:03:00.000000Z",
"customer": {
"reference": "user123",
"contacts": [
{
"email": "user@gmail.com"
}
]
},
"payment_method": {
"type": "bank_account",
"bank_account": {
"system_type": "global",
"global": {
"iban": "NUMBER_VALUE",
"description": "purpose of remittance"
}
},
"amount_details": {
"amount": 10000,
"currency": "usd"
},
"participant_details": {
"recipient": {
"bank_name": "All Banks Belgium / EUR / Payment System: SEPA",
"currency": "eur",
"country_iso3": "BEL",
"first_name": "John",
"last_name": "Johnson"
},
"sender": {
"company_name": "Company name",
"registration_number": "1234567890",
"country_iso3": "USA",
"code": "1234567890"
}
},
"metadata": "good"
}
]
}
}`;

/** Seed 001, "With a token": the session/start/payout body, verbatim. */
const SEED_001_TOKEN_REQUEST = `{
"session_id": "ps_31222806",
"amount_details": {
"amount": 3290,
"currency": "eur"
},
"payment_method": {
"type": "card",
"card": {
"type": "encrypted_card",
"encrypted_card": {
"number_hash": "3c6cdac9a24f4653512e35d62c76b329f145af5475028c3205dd219517cee33d"
}
}
},
"participant_details": {
"recipient": {
"full_name": "John Johnson"
},
"sender": {}
},
"customer": {
"reference": "984753"
},
"metadata": {
"metadata": "withdrawal_116",
"proxy_to_host": ""
}
}`;

/** Seed 001, "Without a token": the session/start/payout body, verbatim. */
const SEED_001_CARD_REQUEST = `{
"session_id": "ps_31222806",
"payment_method": {
"type": "card",
"card": {
"type": "bank_card",
"bank_card": {
"number": "4242424242424242"
}
}
},
"participant_details": {
"recipient": {
"full_name": "John Johnson"
},
"sender": {}
},
"customer": {
"reference": "984753"
},
"metadata": {
"metadata": "withdrawal_116",
"proxy_to_host": ""
},
"amount_details": {
"amount": 1000,
"currency": "usd"
}
}`;

/** A valid Belgian (SEPA) IBAN for the placeholder: the recipient of seed 000 is in BEL. */
const IBAN = 'BE71096123456769';
const SEED_HASH = '3c6cdac9a24f4653512e35d62c76b329f145af5475028c3205dd219517cee33d';

/** Ids and timestamps in the seeds, and the form ours must have in their place. */
const ASIDE: [RegExp, RegExp][] = [
  [/^ps_\d+$/, /^ps_\d{22}$/],
  [/^po_\d+$/, /^po_\d{22}$/],
  [/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/, TIMESTAMP],
];

/** Every field of `seed` is in `ours` with the same value (or an id/time of the same form), and ours has no field the seed lacks. */
function matchFieldByField(seed: unknown, ours: unknown, path: string): void {
  if (Array.isArray(seed)) {
    assert.ok(Array.isArray(ours), `${path}: not an array`);
    assert.equal(ours.length, seed.length, `${path}: length`);
    seed.forEach((s, i) => matchFieldByField(s, ours[i], `${path}[${i}]`));
    return;
  }
  if (seed !== null && typeof seed === 'object') {
    assert.ok(ours !== null && typeof ours === 'object' && !Array.isArray(ours), `${path}: not an object`);
    // Fields the SDK reads that the abridged seed lacks (issue 11): an operation's updated_at and a
    // masked card's country_iso3. Each must have its form; any other extra field is a difference.
    const added = Object.keys(ours).filter((k) => !(k in seed) && ((k === 'updated_at' && path.includes('[')) || k === 'country_iso3'));
    for (const k of added) assert.match(String((ours as Record<string, unknown>)[k]), k === 'updated_at' ? TIMESTAMP : /^[A-Z]{3}$/, `${path}.${k}`);
    assert.deepEqual(Object.keys(ours).filter((k) => !added.includes(k)).sort(), Object.keys(seed).sort(), `${path}: fields`);
    for (const [k, v] of Object.entries(seed)) matchFieldByField(v, (ours as Record<string, unknown>)[k], `${path}.${k}`);
    return;
  }
  const aside = typeof seed === 'string' ? ASIDE.find(([s]) => s.test(seed)) : undefined;
  if (aside) assert.match(String(ours), aside[1], `${path}: ${String(ours)}`);
  else assert.equal(ours, seed, path);
}

/**
 * Seed 000's example answer is not valid JSON as printed: it opens one brace more than it closes.
 * The missing brace is payment_method's, after bank_account; read without it, amount_details,
 * participant_details and metadata seem to sit inside payment_method. Restored here, they are the
 * payout's own fields, as §6.3 has them.
 */
function seed000Example(): Json {
  assert.throws(() => JSON.parse(SEED_000_RESPONSE), SyntaxError, 'the example as printed does not parse');
  const closeBankAccount = '"description": "purpose of remittance"\n}\n}';
  const at = SEED_000_RESPONSE.indexOf(closeBankAccount) + closeBankAccount.length;
  return JSON.parse(`${SEED_000_RESPONSE.slice(0, at)}\n}${SEED_000_RESPONSE.slice(at)}`);
}

/**
 * Seed 000's example answer with the request winning where they disagree: the amount is the
 * request's 1000, not 10000, and the customer and metadata the request never sent are not there.
 * The IBAN is the one we sent for the placeholder.
 */
function seed000Expected(request: Json): Json {
  const expected = seed000Example();
  const payout = expected['session'].payments[0];
  assert.deepEqual(payout.amount_details, { amount: 10000, currency: 'usd' }, 'the seed echoes 10000');
  assert.deepEqual(payout.participant_details, request['participant_details'], 'the seed echoes the participants');
  assert.deepEqual([payout.customer?.reference, payout.metadata], ['user123', 'good'], 'the seed shows a customer and metadata');
  payout.payment_method.bank_account.global.iban = IBAN;
  payout.amount_details = request['amount_details'];
  delete payout.customer;
  delete payout.metadata;
  return expected;
}

let h: Harness;
let rx: Receiver;
before(async () => {
  h = await startHarness();
  rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
  await patchProject(h, 'demo', { webhook_url: rx.url });
});
after(async () => {
  await h?.close();
  await rx?.close();
});
checkLedgerAfterEach(() => h);

const newSession = async (): Promise<string> => (await ok(h, 'session/create', {})).session.id;
const withSession = (raw: string, sid: string, from: string) => {
  const out = raw.replace(`"${from}"`, JSON.stringify(sid));
  assert.equal(out.length, raw.length - from.length + sid.length, 'only the id changed');
  return out;
};

describe('seed 000: session/start/payout to an IBAN', () => {
  test('the example request as it stands names a session this server does not have', async () => {
    assertError(await h.call('session/start/payout', undefined, { raw: SEED_000_REQUEST }), 404, 'session_not_found', 'session ps_3230 not found');
  });

  test('on a session of ours, the placeholder NUMBER_VALUE is refused as an IBAN, and nothing starts', async () => {
    const sid = await newSession();
    const res = await h.call('session/start/payout', undefined, { raw: withSession(SEED_000_REQUEST, sid, 'ps_3230') });
    assertError(res, 400, 'invalid_request', 'payment_method.bank_account.global.iban is not a valid IBAN (only letters, digits and spaces are allowed)');
    assert.equal((await statusOf(h, sid)).status, 'created');
  });

  test('with a valid IBAN: the example answer field by field (the request winning), then ready_to_confirm → confirm → paid after a clock-day', async () => {
    const sid = await newSession();
    const raw = withSession(SEED_000_REQUEST, sid, 'ps_3230').replace('"NUMBER_VALUE"', JSON.stringify(IBAN));
    const request = JSON.parse(raw);
    const res = await h.call('session/start/payout', undefined, { raw });
    assert.equal(res.statusCode, 200, res.body);
    const ours = res.json();
    matchFieldByField(seed000Expected(request), ours, 'response');
    assert.equal(ours.session.id, sid);

    const rtc = await hook(rx, sid, 1, 'ready_to_confirm');
    assert.equal(rtc.session['next_action'], 'confirm');
    assert.equal(rtc.session['payments'][0].status, 'pending');
    await ok(h, 'session/confirm', { session_id: sid });
    await untilSent(h, sid);
    await advance(h, 86_400 + 60);
    const fin = await hook(rx, sid, 2, 'payment_finished');
    assert.equal(fin.session['status'], 'accepted');
    const payout = fin.session['payments'][0];
    assert.equal(payout.status, 'succeeded');
    assert.deepEqual(payout.amount_details, { amount: 1000, currency: 'usd' });
    assert.deepEqual(payout.payment_method, request.payment_method);
    assert.deepEqual(payout.participant_details, request.participant_details);
    assert.deepEqual(typesFor(rx, sid), ['ready_to_confirm', 'payment_finished']);
  });
});

describe('seed 001: card payouts, with a token and without', () => {
  /** What seed 001's requests are answered with: seed 000's form, the card masked, the request echoed. */
  const expected = (request: Json, last4: string, brand: string): Json => ({
    status: 'ok',
    session: {
      id: 'ps_3230',
      status: 'in_progress',
      created_at: '2024-05-27T02:03:00.000000Z',
      updated_at: '2024-05-27T02:03:00.000000Z',
      payments: [
        {
          id: 'po_1313',
          status: 'in_progress',
          created_at: '2024-05-27T02:03:00.000000Z',
          updated_at: '2024-05-27T02:03:00.000000Z',
          customer: request['customer'],
          payment_method: { type: 'card', card: { last4, brand, country_iso3: 'USA' } },
          amount_details: request['amount_details'],
          participant_details: request['participant_details'],
          metadata: request['metadata'],
        },
      ],
    },
  });

  test('with a token: the seed hash is unknown here; a number_hash from the vault works, then ready_to_confirm → confirm → payment_finished', async () => {
    // The partner's card reaches the vault through an earlier session/create (as the tokenization
    // widget would put it there); numberHash() computes the hash the vault stored.
    const number = '5555555555554444';
    await ok(h, 'session/create', {
      payment_details: { type: 'card', card: { type: 'bank_card', bank_card: { number, expiration_month: '05', expiration_year: '30' } } },
      amount_details: { amount: 100, currency: 'eur' },
    });
    const { db } = h.runtime.database;
    const demo = await findProjectByName(db, 'demo');
    assert.ok(demo);
    const hash = numberHash(await loadKeyring(db, resolveMasterKey(h.runtime.config), h.runtime.clock.now()), demo.id, number);
    assert.equal((await db.selectFrom('cards').select('number_hash').where('number_hash', '=', hash).execute()).length, 1, 'the vault holds this hash');

    const sid = await newSession();
    const asIs = withSession(SEED_001_TOKEN_REQUEST, sid, 'ps_31222806');
    assertError(
      await h.call('session/start/payout', undefined, { raw: asIs }),
      400,
      'invalid_request',
      'payment_method.card.encrypted_card.number_hash does not name a card of this project (tokenize the card first)',
    );
    assert.equal((await statusOf(h, sid)).status, 'created');

    const raw = asIs.replace(SEED_HASH, hash);
    const res = await h.call('session/start/payout', undefined, { raw });
    assert.equal(res.statusCode, 200, res.body);
    matchFieldByField(expected(JSON.parse(raw), '4444', 'mastercard'), res.json(), 'response');
    assert.doesNotMatch(res.body, new RegExp(`${number}|${hash}`), 'neither the number nor the hash is echoed');

    await hook(rx, sid, 1, 'ready_to_confirm');
    await ok(h, 'session/confirm', { session_id: sid });
    const fin = await hook(rx, sid, 2, 'payment_finished');
    assert.equal(fin.session['status'], 'accepted');
    assert.equal(fin.session['payments'][0].status, 'succeeded');
    assert.deepEqual(fin.session['payments'][0].amount_details, { amount: 3290, currency: 'eur' });
  });

  test('without a token: the card number, answered masked; then ready_to_confirm → cancel → payment_finished', async () => {
    const sid = await newSession();
    const raw = withSession(SEED_001_CARD_REQUEST, sid, 'ps_31222806');
    const res = await h.call('session/start/payout', undefined, { raw });
    assert.equal(res.statusCode, 200, res.body);
    matchFieldByField(expected(JSON.parse(raw), '4242', 'visa'), res.json(), 'response');
    assert.doesNotMatch(res.body, /4242424242424242/);

    await hook(rx, sid, 1, 'ready_to_confirm');
    const cancelled = await ok(h, 'session/cancel', { session_id: sid });
    assert.equal(cancelled.session.status, 'cancelled');
    const fin = await hook(rx, sid, 2, 'payment_finished');
    assert.equal(fin.session['payments'][0].status, 'failed');
    assert.equal(fin.session['payments'][0].error.code, 'cancelled_by_partner');
  });

  test('without a token, in v2: payout_details in, payout_list and payout_details out', async () => {
    const sid = await newSession();
    const raw = withSession(SEED_001_CARD_REQUEST, sid, 'ps_31222806').replace('"payment_method"', '"payout_details"');
    const res = await h.call('session/start/payout', undefined, { raw, version: 'v2' });
    assert.equal(res.statusCode, 200, res.body);
    const e = expected(JSON.parse(raw), '4242', 'visa');
    const { payments, ...session } = e['session'];
    const { payment_method: shown, ...rest } = payments[0];
    matchFieldByField({ ...e, session: { ...session, payout_list: [{ ...rest, payout_details: shown }] } }, res.json(), 'response');
    await hook(rx, sid, 1, 'ready_to_confirm');
    await ok(h, 'session/cancel', { session_id: sid }, { version: 'v2' });
    await hook(rx, sid, 2, 'payment_finished');
  });
});
