import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../kernel/errors.js';
import { VALID_TEST_VALUES as V } from './destination-checks.js';
import { checkPayoutDestination, type DestinationField } from './destination.js';

type Json = Record<string, unknown>;

/** undefined when the destination passes, else the description of the invalid_request it throws. */
function problem(method: unknown, participants?: unknown, field: DestinationField = 'payment_method'): string | undefined {
  try {
    checkPayoutDestination(method, participants, field);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, 'invalid_request');
    assert.equal(err.httpStatus, 400);
    return err.message;
  }
}

/**
 * A copy of `base` with the dotted `path` set to `value`, or removed when `value` is undefined;
 * missing objects on the way are created.
 */
function set<T>(base: T, path: string, value: unknown): T {
  const copy = structuredClone(base) as Json;
  const keys = path.split('.');
  const last = keys.pop() as string;
  let node = copy;
  for (const key of keys) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Json;
  }
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy as T;
}

interface Request {
  method: Json;
  participants?: Json;
}

const check = (req: Request, field: DestinationField = 'payment_method') => problem(req.method, req.participants, field);
/** `req` with each [path, value] applied (paths start at `method.` or `participants.`). */
const variant = (req: Request, ...changes: [string, unknown][]): Request =>
  changes.reduce<Request>((acc, [path, value]) => set(acc, path, value), req);

const globalAccount = (global: Json, recipient: Json, sender?: Json): Request => ({
  method: { type: 'bank_account', bank_account: { system_type: 'global', global: { description: 'purpose of remittance', ...global } } },
  participants: { recipient, ...(sender ? { sender } : {}) },
});

const person = { first_name: 'John', last_name: 'Johnson' };

// ---------------------------------------------------------------------------------------------
// Fixtures from the SG pages

/** Seed 000 (`session/start/payout`, IBAN payout), with a valid Belgian IBAN for "NUMBER_VALUE". */
const SEED_000: Request = {
  method: {
    type: 'bank_account',
    bank_account: { system_type: 'global', global: { iban: V.iban.BE, description: 'purpose of remittance' } },
  },
  participants: {
    recipient: {
      bank_name: 'All Banks Belgium / EUR / Payment System: SEPA',
      currency: 'eur',
      country_iso3: 'BEL',
      first_name: 'John',
      last_name: 'Johnson',
    },
    sender: { company_name: 'Company name', registration_number: '1234567890', country_iso3: 'USA', code: '1234567890' },
  },
};

/** Seed 001, with a token. */
const SEED_001_TOKEN: Request = {
  method: {
    type: 'card',
    card: { type: 'encrypted_card', encrypted_card: { number_hash: '3c6cdac9a24f4653512e35d62c76b329f145af5475028c3205dd219517cee33d' } },
  },
  participants: { recipient: { full_name: 'John Johnson' }, sender: {} },
};

/** Seed 001, without a token. */
const SEED_001_NUMBER: Request = {
  method: { type: 'card', card: { type: 'bank_card', bank_card: { number: '4242424242424242' } } },
  participants: { recipient: { full_name: 'John Johnson' }, sender: {} },
};

/** The SG "FPS by a phone number" page: no participant details at all. */
const FPS: Request = {
  method: {
    type: 'bank_account',
    bank_account: {
      system_type: 'faster_payment_system',
      faster_payment_system: {
        phone: '79680000000',
        bank_id: '100000000069',
        description: 'Wire for agreement № 5015553111 Ivanov Ivan Ivanovich VAT exempt',
      },
    },
  },
};

const ru = (fields: Json): Request => ({
  method: {
    type: 'bank_account',
    bank_account: {
      system_type: 'ru',
      ru: {
        bik: V.ru.bik,
        full_name: 'Иванов Иван Иванович',
        description: 'Wire for agreement № 5015553111 Ivanov Ivan Ivanovich VAT exempt',
        ...fields,
      },
    },
  },
});
const RU_INDIVIDUAL = ru({ account: V.ru.individual.account, inn: V.ru.individual.inn });
const RU_SOLE_PROPRIETOR = ru({ account: V.ru.soleProprietor.account, inn: V.ru.soleProprietor.inn, full_name: 'ИП Иванов Иван Иванович' });
const RU_LEGAL_ENTITY = ru({ account: V.ru.legalEntity.account, inn: V.ru.legalEntity.inn, kpp: V.ru.legalEntity.kpp, full_name: 'ООО «Ромашка»' });

const US = globalAccount({ bank_account_number: V.us.bankAccountNumber, routing_code: V.us.routingCode, account_type: 'CHECKING' }, { country_iso3: 'USA', ...person });
const UK_SORT_CODE = globalAccount({ sort_code: V.uk.sortCode, account_number: V.uk.accountNumber, account_type: 'CHECKING' }, { country_iso3: 'GBR', ...person });
const UK_IBAN = globalAccount({ iban: V.iban.GB, swift_bic_code: V.swiftBic.GB }, { country_iso3: 'GBR', ...person });
const AU = globalAccount({ bank_account_number: V.au.bankAccountNumber, bsb_number: V.au.bsbNumber }, { country_iso3: 'AUS', ...person });
const BR = globalAccount(
  { bank_account_number: V.br.bankAccountNumber, branch_number: V.br.branchNumber, account_type: 'CHECKING' },
  { country_iso3: 'BRA', ...person, identity_document: { id_number: V.br.cpf } },
);
const CN = globalAccount({ bank_account_number: '6222020200112233445', swift_bic_code: 'BKCHCNBJ' }, { country_iso3: 'CHN', full_name: 'Li Wei' });

const wallet = (type: string, inner: Json | undefined, flat: Json = {}): Request => ({
  method: { type: 'wallet', wallet: { type, ...flat, ...(inner ? { [type]: inner } : {}) } },
});

// ---------------------------------------------------------------------------------------------

describe('checkPayoutDestination: requests that pass', () => {
  it('seed 000, IBAN payout to Belgium, as payment_method (v1) and payout_details (v2)', () => {
    assert.equal(check(SEED_000), undefined);
    assert.equal(check(SEED_000, 'payout_details'), undefined);
    assert.equal(check(variant(SEED_000, ['method.bank_account.global.iban', 'BE71 0961 2345 6769'])), undefined);
    assert.equal(check(variant(SEED_000, ['method.bank_account.global.swift_bic_code', 'GEBABEBB'])), undefined);
    assert.equal(check(variant(SEED_000, ['participants.recipient.country_iso3', 'bel'])), undefined);
  });

  it('seed 001, card payouts with a token and with a number', () => {
    assert.equal(check(SEED_001_TOKEN), undefined);
    assert.equal(check(SEED_001_NUMBER), undefined);
    assert.equal(check(SEED_001_NUMBER, 'payout_details'), undefined);
    assert.equal(check(variant(SEED_001_NUMBER, ['method.card.bank_card.number', '2200000000000004'])), undefined, 'a Mir card');
  });

  it('every global form', () => {
    for (const [name, req] of Object.entries({ US, UK_SORT_CODE, UK_IBAN, AU, BR, CN })) assert.equal(check(req), undefined, name);
    assert.equal(check(variant(BR, ['participants.recipient.identity_document.id_number', '529.982.247-25'])), undefined);
    assert.equal(check(variant(US, ['method.bank_account.global.account_type', 'SAVINGS'])), undefined);
    assert.equal(check(variant(AU, ['method.bank_account.global.bsb_number', '062000'])), undefined);
    // Germany by country_iso2 alone, and a recipient named by full_name.
    assert.equal(check(globalAccount({ iban: V.iban.DE }, { country_iso2: 'DE', full_name: 'Hans Müller' })), undefined);
    // A Revolut account in the UK, by sort code.
    assert.equal(check(variant(UK_SORT_CODE, ['participants.recipient.bank_name', 'Revolut Ltd'])), undefined);
  });

  it('Russian accounts of an individual, a sole proprietor and a legal entity', () => {
    assert.equal(check(RU_INDIVIDUAL), undefined);
    assert.equal(check(RU_SOLE_PROPRIETOR), undefined);
    assert.equal(check(RU_LEGAL_ENTITY), undefined);
    assert.equal(check(variant(RU_INDIVIDUAL, ['method.bank_account.ru.is_fast', true])), undefined);
  });

  it('FPS (the SG page example) and iban accounts', () => {
    assert.equal(check(FPS), undefined);
    assert.equal(check(variant(FPS, ['method.bank_account.faster_payment_system.phone', '+79680000000'])), undefined);
    assert.equal(check({ method: { type: 'bank_account', bank_account: { system_type: 'iban', iban: { account: V.iban.DE } } } }), undefined);
  });

  it('wallets, with the account under the type (Bank 131 pages) or next to it', () => {
    assert.equal(
      check({ ...wallet('yoomoney', { account: '410012411727100' }), participants: { recipient: { full_name: 'Ivanov Ivan Ivanovich' } } }),
      undefined,
    );
    assert.equal(check(wallet('qiwi', { account: '79687638997' })), undefined);
    assert.equal(check(wallet('moneta', { account: V.wallet.moneta, description: 'payout' })), undefined);
    assert.equal(check(wallet('steam', { account: V.wallet.steam })), undefined);
    assert.equal(check(wallet('yoomoney', undefined, { account: '4100175017397' })), undefined);
    assert.equal(check(wallet('yoomoney', { account: '4100175017397' }, { account: '4100175017397' })), undefined);
  });
});

describe('checkPayoutDestination: the method itself', () => {
  it('shape and type', () => {
    assert.equal(problem('card', undefined), 'payment_method must be a JSON object');
    assert.equal(problem(null, undefined, 'payout_details'), 'payout_details must be a JSON object');
    assert.equal(problem({ type: 'crypto_wallet' }), 'payment_method.type must be one of: card, bank_account, wallet');
    assert.equal(problem({}), 'payment_method.type must be one of: card, bank_account, wallet');
    assert.equal(problem({ type: 'card' }), 'payment_method.card is required');
    assert.equal(problem({ type: 'card', card: [] }), 'payment_method.card must be a JSON object');
    assert.equal(problem({ type: 'bank_account' }), 'payment_method.bank_account is required');
    assert.equal(problem({ type: 'wallet' }, undefined, 'payout_details'), 'payout_details.wallet is required');
  });

  it('participant_details shape', () => {
    assert.equal(problem(SEED_001_NUMBER.method, 'x'), 'participant_details must be a JSON object');
    assert.equal(problem(SEED_001_NUMBER.method, { recipient: [] }), 'participant_details.recipient must be a JSON object');
    assert.equal(problem(SEED_001_NUMBER.method, { sender: 'me', recipient: { full_name: 'A B' } }), 'participant_details.sender must be a JSON object');
  });
});

describe('checkPayoutDestination: card', () => {
  const cases: [string, Request, string][] = [
    ['Luhn', variant(SEED_001_NUMBER, ['method.card.bank_card.number', '4242424242424241']), 'payment_method.card.bank_card.number is not a valid card number (Luhn check failed)'],
    ['digits', variant(SEED_001_NUMBER, ['method.card.bank_card.number', '4242 4242 4242 4242']), 'payment_method.card.bank_card.number must be 12 to 19 digits'],
    ['brand', variant(SEED_001_NUMBER, ['method.card.bank_card.number', '9999999999999995']), 'payment_method.card.bank_card.number is not a card of a known brand (Visa, Mastercard, Mir, American Express, Diners Club, Discover, JCB, UnionPay)'],
    ['number missing', variant(SEED_001_NUMBER, ['method.card.bank_card.number', undefined]), 'payment_method.card.bank_card.number is required'],
    ['number not a string', variant(SEED_001_NUMBER, ['method.card.bank_card.number', 4242424242424242]), 'payment_method.card.bank_card.number must be a string'],
    ['bank_card missing', variant(SEED_001_NUMBER, ['method.card.bank_card', undefined]), 'payment_method.card.bank_card is required'],
    ['hash missing', variant(SEED_001_TOKEN, ['method.card.encrypted_card.number_hash', undefined]), 'payment_method.card.encrypted_card.number_hash is required'],
    ['hash blank', variant(SEED_001_TOKEN, ['method.card.encrypted_card.number_hash', '']), 'payment_method.card.encrypted_card.number_hash is required'],
    ['card type', variant(SEED_001_NUMBER, ['method.card.type', 'tokenized_card']), 'payment_method.card.type must be one of: bank_card, encrypted_card'],
    ['full_name missing', variant(SEED_001_NUMBER, ['participants.recipient.full_name', undefined]), 'participant_details.recipient.full_name is required for a card payout'],
    ['full_name blank', variant(SEED_001_TOKEN, ['participants.recipient.full_name', '  ']), 'participant_details.recipient.full_name is required for a card payout'],
    ['no recipient', variant(SEED_001_TOKEN, ['participants.recipient', undefined]), 'participant_details.recipient.full_name is required for a card payout'],
    ['names are not full_name', variant(SEED_001_NUMBER, ['participants.recipient', person]), 'participant_details.recipient.full_name is required for a card payout'],
  ];
  for (const [name, req, description] of cases) it(name, () => assert.equal(check(req), description));

  it('no participant_details at all, and the v2 field name', () => {
    assert.equal(problem(SEED_001_NUMBER.method), 'participant_details.recipient.full_name is required for a card payout');
    assert.equal(
      check(variant(SEED_001_NUMBER, ['method.card.bank_card.number', '4242424242424241']), 'payout_details'),
      'payout_details.card.bank_card.number is not a valid card number (Luhn check failed)',
    );
  });
});

describe('checkPayoutDestination: bank_account system types', () => {
  it('system_type', () => {
    const account = (bankAccount: Json) => problem({ type: 'bank_account', bank_account: bankAccount });
    assert.equal(account({ system_type: 'upi' }), 'payment_method.bank_account.system_type must be one of: global, ru, faster_payment_system, iban');
    assert.equal(account({}), 'payment_method.bank_account.system_type must be one of: global, ru, faster_payment_system, iban');
    assert.equal(
      account({ system_type: 'faster_payment_system_verification', faster_payment_system_verification: { phone: '79680000000' } }),
      'payment_method.bank_account.system_type faster_payment_system_verification is for fps/customer_verification, not for a payout',
    );
    assert.equal(account({ system_type: 'global' }), 'payment_method.bank_account.global is required');
    assert.equal(account({ system_type: 'ru', ru: 'x' }), 'payment_method.bank_account.ru must be a JSON object');
  });
});

describe('checkPayoutDestination: global, IBAN form (seed 000)', () => {
  const P = 'payment_method.bank_account.global';
  const cases: [string, Request, string][] = [
    ['checksum', variant(SEED_000, ['method.bank_account.global.iban', 'BE71096123456768']), `${P}.iban is not a valid IBAN (checksum failed)`],
    ['length', variant(SEED_000, ['method.bank_account.global.iban', 'BE7109612345676']), `${P}.iban is not a valid IBAN (BE IBANs have 16 characters, not 15)`],
    ['the seed placeholder', variant(SEED_000, ['method.bank_account.global.iban', 'NUMBER_VALUE']), `${P}.iban is not a valid IBAN (only letters, digits and spaces are allowed)`],
    ['not an IBAN country', variant(SEED_000, ['method.bank_account.global.iban', 'US71096123456769']), `${P}.iban is not a valid IBAN (US is not a country of the IBAN registry)`],
    ['iban missing', variant(SEED_000, ['method.bank_account.global.iban', undefined]), `${P}.iban is required for a payout to a bank account in BEL`],
    ['iban missing, account number sent', variant(SEED_000, ['method.bank_account.global.iban', undefined], ['method.bank_account.global.bank_account_number', '096123456769']), `${P}.iban is required for a payout to a bank account in BEL`],
    ['BIC', variant(SEED_000, ['method.bank_account.global.swift_bic_code', 'GEBABEB']), `${P}.swift_bic_code is not a valid SWIFT BIC (it must have 8 or 11 characters)`],
    ['BIC country', variant(SEED_000, ['method.bank_account.global.swift_bic_code', 'GEBAZZBB']), `${P}.swift_bic_code is not a valid SWIFT BIC (ZZ is not an ISO 3166 country code)`],
    ['description missing', variant(SEED_000, ['method.bank_account.global.description', undefined]), `${P}.description is required`],
    ['description blank', variant(SEED_000, ['method.bank_account.global.description', ' ']), `${P}.description is required`],
    ['iban not a string', variant(SEED_000, ['method.bank_account.global.iban', 71096123456769]), `${P}.iban must be a string`],
    ['country missing', variant(SEED_000, ['participants.recipient.country_iso3', undefined]), 'participant_details.recipient.country_iso3 is required for a payout to a global bank account'],
    ['no recipient', variant(SEED_000, ['participants.recipient', undefined]), 'participant_details.recipient.country_iso3 is required for a payout to a global bank account'],
    ['country not ISO', variant(SEED_000, ['participants.recipient.country_iso3', 'BEX']), 'participant_details.recipient.country_iso3 is not an ISO 3166-1 alpha-3 country code'],
    ['country alpha-2 in iso3', variant(SEED_000, ['participants.recipient.country_iso3', 'BE']), 'participant_details.recipient.country_iso3 is not an ISO 3166-1 alpha-3 country code'],
    ['iso2 not ISO', variant(SEED_000, ['participants.recipient.country_iso2', 'UK']), 'participant_details.recipient.country_iso2 is not an ISO 3166-1 alpha-2 country code'],
    ['iso2 and iso3 disagree', variant(SEED_000, ['participants.recipient.country_iso2', 'FR']), 'participant_details.recipient.country_iso2 and participant_details.recipient.country_iso3 name different countries'],
    ['first_name missing', variant(SEED_000, ['participants.recipient.first_name', undefined]), 'participant_details.recipient.first_name is required for a payout to a bank account in BEL'],
    ['last_name missing', variant(SEED_000, ['participants.recipient.last_name', '']), 'participant_details.recipient.last_name is required for a payout to a bank account in BEL'],
    ['no name', variant(SEED_000, ['participants.recipient.first_name', undefined], ['participants.recipient.last_name', undefined]), 'participant_details.recipient.first_name and last_name, or full_name, are required for a payout to a bank account in BEL'],
    ['company_name digits only', variant(SEED_000, ['participants.sender.company_name', '1234567890']), 'participant_details.sender.company_name must not be digits only'],
    ['sender country', variant(SEED_000, ['participants.sender.country_iso3', 'US']), 'participant_details.sender.country_iso3 is not an ISO 3166-1 alpha-3 country code'],
    ['sender citizenship', variant(SEED_000, ['participants.sender.citizenship_country_iso_3', 'XXX']), 'participant_details.sender.citizenship_country_iso_3 is not an ISO 3166-1 alpha-3 country code'],
    ['recipient BIC', variant(SEED_000, ['participants.recipient.swift_bic_code', 'GEBA BE']), 'participant_details.recipient.swift_bic_code is not a valid SWIFT BIC (it must have 8 or 11 characters)'],
    ['date_of_birth', variant(SEED_000, ['participants.recipient.date_of_birth', '1990-02-30']), 'participant_details.recipient.date_of_birth must be a date, YYYY-MM-DD'],
    ['ipv4', variant(SEED_000, ['participants.sender.ipv4', '999.1.1.1']), 'participant_details.sender.ipv4 must be an IPv4 address'],
    ['ipv6', variant(SEED_000, ['participants.sender.ipv6', '2001:db8::g']), 'participant_details.sender.ipv6 must be an IPv6 address'],
  ];
  for (const [name, req, description] of cases) it(name, () => assert.equal(check(req), description));

  it('the v2 field name', () => {
    assert.equal(
      check(variant(SEED_000, ['method.bank_account.global.iban', 'BE71096123456768']), 'payout_details'),
      'payout_details.bank_account.global.iban is not a valid IBAN (checksum failed)',
    );
  });

  it('sender details that are fine', () => {
    const sender = { company_name: 'Acme 2000 Ltd', country_iso3: 'usa', ipv4: '203.0.113.7', ipv6: '2001:db8::1', date_of_birth: '1990-02-28' };
    assert.equal(check(variant(SEED_000, ['participants.sender', sender])), undefined);
  });
});

describe('checkPayoutDestination: global, national forms', () => {
  const P = 'payment_method.bank_account.global';
  const g = (path: string) => `method.bank_account.global.${path}`;
  const cases: [string, Request, string][] = [
    // USA
    ['US routing checksum', variant(US, [g('routing_code'), '021000022']), `${P}.routing_code is not a valid ABA routing number (checksum failed)`],
    ['US routing length', variant(US, [g('routing_code'), '02100002']), `${P}.routing_code is not a valid ABA routing number (it must be 9 digits)`],
    ['US routing missing', variant(US, [g('routing_code'), undefined]), `${P}.routing_code is required for a payout to a bank account in USA`],
    ['US account short', variant(US, [g('bank_account_number'), '123']), `${P}.bank_account_number must be 4 to 17 digits`],
    ['US account missing', variant(US, [g('bank_account_number'), undefined]), `${P}.bank_account_number is required for a payout to a bank account in USA`],
    ['US account type', variant(US, [g('account_type'), 'DEPOSIT']), `${P}.account_type must be one of: CHECKING, SAVINGS for a payout to a bank account in USA`],
    ['US account type missing', variant(US, [g('account_type'), undefined]), `${P}.account_type is required for a payout to a bank account in USA`],
    ['US bad IBAN sent anyway', variant(US, [g('iban'), 'DE89370400440532013001']), `${P}.iban is not a valid IBAN (checksum failed)`],
    ['US recipient name', variant(US, ['participants.recipient.last_name', undefined]), 'participant_details.recipient.last_name is required for a payout to a bank account in USA'],
    // GBR
    ['UK sort code', variant(UK_SORT_CODE, [g('sort_code'), '60-16-1']), `${P}.sort_code must be 6 digits, as 12-34-56 or 123456`],
    ['UK sort code spaces', variant(UK_SORT_CODE, [g('sort_code'), '60 16 13']), `${P}.sort_code must be 6 digits, as 12-34-56 or 123456`],
    ['UK account number', variant(UK_SORT_CODE, [g('account_number'), '3192681']), `${P}.account_number must be 8 digits`],
    ['UK account number missing', variant(UK_SORT_CODE, [g('account_number'), undefined]), `${P}.account_number is required for a payout to a bank account in GBR`],
    ['UK sort code missing', variant(UK_SORT_CODE, [g('sort_code'), undefined]), `${P}.sort_code is required for a payout to a bank account in GBR`],
    ['UK nothing', variant(UK_IBAN, [g('iban'), undefined], [g('swift_bic_code'), undefined]), `${P} needs sort_code and account_number, or iban and swift_bic_code, for a payout to a bank account in GBR`],
    ['UK IBAN without BIC', variant(UK_IBAN, [g('swift_bic_code'), undefined]), `${P}.swift_bic_code is required for a payout to a bank account in GBR`],
    ['UK BIC without IBAN', variant(UK_IBAN, [g('iban'), undefined]), `${P}.iban is required for a payout to a bank account in GBR`],
    ['UK IBAN checksum', variant(UK_IBAN, [g('iban'), 'GB29NWBK60161331926818']), `${P}.iban is not a valid IBAN (checksum failed)`],
    ['UK Revolut by IBAN', variant(UK_IBAN, ['participants.recipient.bank_name', 'Revolut']), `${P}.sort_code and account_number are required for a payout to a Revolut account`],
    // AUS
    ['AU BSB', variant(AU, [g('bsb_number'), '06-2000']), `${P}.bsb_number must be 6 digits, as 123-456 or 123456`],
    ['AU BSB missing', variant(AU, [g('bsb_number'), undefined]), `${P}.bsb_number is required for a payout to a bank account in AUS`],
    ['AU account', variant(AU, [g('bank_account_number'), '1234']), `${P}.bank_account_number must be 5 to 9 digits`],
    ['AU account missing', variant(AU, [g('bank_account_number'), undefined]), `${P}.bank_account_number is required for a payout to a bank account in AUS`],
    // BRA
    ['BR CPF', variant(BR, ['participants.recipient.identity_document.id_number', '52998224726']), 'participant_details.recipient.identity_document.id_number is not a valid CPF (check digits do not match)'],
    ['BR CPF repeated', variant(BR, ['participants.recipient.identity_document.id_number', '11111111111']), 'participant_details.recipient.identity_document.id_number is not a valid CPF (all its digits are the same)'],
    ['BR CPF missing', variant(BR, ['participants.recipient.identity_document', undefined]), "participant_details.recipient.identity_document.id_number is required for a payout to a bank account in BRA (the recipient's CPF)"],
    ['BR branch', variant(BR, [g('branch_number'), '12345']), `${P}.branch_number must be up to 4 digits, with an optional check digit after a hyphen (1234-5)`],
    ['BR branch missing', variant(BR, [g('branch_number'), undefined]), `${P}.branch_number is required for a payout to a bank account in BRA`],
    ['BR account', variant(BR, [g('bank_account_number'), '12345-67']), `${P}.bank_account_number must be up to 20 digits, with an optional check digit after a hyphen (12345-6)`],
    ['BR account type missing', variant(BR, [g('account_type'), undefined]), `${P}.account_type is required for a payout to a bank account in BRA`],
    ['BR account type', variant(BR, [g('account_type'), 'CURRENT']), `${P}.account_type must be one of: CHECKING, SAVINGS, DEPOSIT, OTHERS`],
    // A country without IBANs: account number and BIC
    ['CN BIC missing', variant(CN, [g('swift_bic_code'), undefined]), `${P}.swift_bic_code is required for a payout to a bank account in CHN`],
    ['CN account missing', variant(CN, [g('bank_account_number'), undefined]), `${P}.bank_account_number or account_number is required for a payout to a bank account in CHN`],
    ['CN account format', variant(CN, [g('bank_account_number'), '6222-0202']), `${P}.bank_account_number must be 1 to 34 letters or digits`],
    ['CN BIC format', variant(CN, [g('swift_bic_code'), 'BKCHCNB']), `${P}.swift_bic_code is not a valid SWIFT BIC (it must have 8 or 11 characters)`],
  ];
  for (const [name, req, description] of cases) it(name, () => assert.equal(check(req), description));

  it('a country without IBANs also takes account_number, or an IBAN when one is sent', () => {
    assert.equal(check(variant(CN, [g('bank_account_number'), undefined], [g('account_number'), '6222020200112233445'])), undefined);
    assert.equal(check(variant(CN, [g('iban'), V.iban.DE])), undefined);
  });
});

describe('checkPayoutDestination: ru', () => {
  const P = 'payment_method.bank_account.ru';
  const r = (path: string) => `method.bank_account.ru.${path}`;
  const allowed = '40817810, 42301810, 42302810, 42303810, 42304810, 42305810, 42306810, 42307810, 40802810, 40502810, 40820810, 40702810';
  const cases: [string, Request, string][] = [
    ['BIK length', variant(RU_INDIVIDUAL, [r('bik'), '04452522']), `${P}.bik is not a valid BIK (it must be 9 digits)`],
    ['BIK country', variant(RU_INDIVIDUAL, [r('bik'), '144525225']), `${P}.bik is not a valid BIK (it must start with 04)`],
    ['BIK not a string', variant(RU_INDIVIDUAL, [r('bik'), 44525225]), `${P}.bik must be a string`],
    ['BIK missing', variant(RU_INDIVIDUAL, [r('bik'), undefined]), `${P}.bik is required`],
    ['account length', variant(RU_INDIVIDUAL, [r('account'), '4081781043800001234']), `${P}.account is not a valid account number (it must be 20 digits)`],
    ['account prefix', variant(RU_INDIVIDUAL, [r('account'), '40817840438000012345']), `${P}.account must start with one of the allowed prefixes: ${allowed}`],
    ['correspondent account', variant(RU_INDIVIDUAL, [r('account'), '30101810400000000225']), `${P}.account must start with one of the allowed prefixes: ${allowed}`],
    ['control key', variant(RU_INDIVIDUAL, [r('account'), '40817810438000012346']), `${P}.account is not a valid account number (its control key does not match the BIK 044525225)`],
    ['control key, other bank', variant(RU_INDIVIDUAL, [r('bik'), '044525974']), `${P}.account is not a valid account number (its control key does not match the BIK 044525974)`],
    ['account missing', variant(RU_INDIVIDUAL, [r('account'), undefined]), `${P}.account is required`],
    ['INN checksum', variant(RU_INDIVIDUAL, [r('inn'), '500100732258']), `${P}.inn is not a valid INN (check digits do not match)`],
    ['INN format', variant(RU_INDIVIDUAL, [r('inn'), '5001007322']), `${P}.inn is not a valid INN (check digit does not match)`],
    ['INN length', variant(RU_INDIVIDUAL, [r('inn'), '50010073225']), `${P}.inn is not a valid INN (it must be 10 digits (legal entity) or 12 digits (individual))`],
    ['INN missing', variant(RU_INDIVIDUAL, [r('inn'), undefined]), `${P}.inn is required`],
    ['individual with a company INN', variant(RU_INDIVIDUAL, [r('inn'), '7707083893']), `${P}.inn must have 12 digits for an account of an individual or a sole proprietor (40817810)`],
    ['legal entity with a personal INN', variant(RU_LEGAL_ENTITY, [r('inn'), '500100732259']), `${P}.inn must have 10 digits for an account of a legal entity (40502810, 40702810)`],
    ['legal entity without KPP', variant(RU_LEGAL_ENTITY, [r('kpp'), undefined]), `${P}.kpp is required for an account of a legal entity (40502810, 40702810)`],
    ['KPP format', variant(RU_LEGAL_ENTITY, [r('kpp'), '77360100']), `${P}.kpp must be 9 characters: 4 digits, 2 digits or capital letters, 3 digits`],
    ['sole proprietor name', variant(RU_SOLE_PROPRIETOR, [r('full_name'), 'Иванов Иван Иванович']), `${P}.full_name must read "ИП <full name>" for an account of a sole proprietor (40802810)`],
    ['full_name missing', variant(RU_INDIVIDUAL, [r('full_name'), undefined]), `${P}.full_name is required`],
    ['description missing', variant(RU_INDIVIDUAL, [r('description'), '']), `${P}.description is required`],
    ['is_fast', variant(RU_INDIVIDUAL, [r('is_fast'), 'yes']), `${P}.is_fast must be a boolean`],
  ];
  for (const [name, req, description] of cases) it(name, () => assert.equal(check(req), description));
});

describe('checkPayoutDestination: faster_payment_system and iban', () => {
  const P = 'payment_method.bank_account.faster_payment_system';
  const f = (path: string) => `method.bank_account.faster_payment_system.${path}`;
  const cases: [string, Request, string][] = [
    ['phone with 8', variant(FPS, [f('phone'), '89680000000']), `${P}.phone must be a Russian mobile number, 79XXXXXXXXX or +79XXXXXXXXX`],
    ['landline', variant(FPS, [f('phone'), '74951234567']), `${P}.phone must be a Russian mobile number, 79XXXXXXXXX or +79XXXXXXXXX`],
    ['phone missing', variant(FPS, [f('phone'), undefined]), `${P}.phone is required`],
    ['unknown bank', variant(FPS, [f('bank_id'), '100000000999']), `${P}.bank_id is not the id of an FPS bank (see fps/banks)`],
    ['bank missing', variant(FPS, [f('bank_id'), undefined]), `${P}.bank_id is required`],
    ['description missing', variant(FPS, [f('description'), undefined]), `${P}.description is required`],
  ];
  for (const [name, req, description] of cases) it(name, () => assert.equal(check(req), description));

  it('iban system_type', () => {
    const iban = (inner: Json) => problem({ type: 'bank_account', bank_account: { system_type: 'iban', iban: inner } });
    assert.equal(iban({ account: 'DE89370400440532013001' }), 'payment_method.bank_account.iban.account is not a valid IBAN (checksum failed)');
    assert.equal(iban({}), 'payment_method.bank_account.iban.account is required');
  });
});

describe('checkPayoutDestination: wallet', () => {
  const cases: [string, Request, string][] = [
    ['type', wallet('paypal', { account: 'x' }), 'payment_method.wallet.type must be one of: yoomoney, qiwi, moneta, steam'],
    ['type missing', { method: { type: 'wallet', wallet: {} } }, 'payment_method.wallet.type must be one of: yoomoney, qiwi, moneta, steam'],
    ['account missing', wallet('yoomoney', {}), 'payment_method.wallet.yoomoney.account is required'],
    ['nothing at all', wallet('steam', undefined), 'payment_method.wallet.steam.account is required'],
    ['inner not an object', wallet('yoomoney', undefined, { yoomoney: '4100175017397' }), 'payment_method.wallet.yoomoney must be a JSON object'],
    ['YooMoney number', wallet('yoomoney', { account: '4100175017' }), 'payment_method.wallet.yoomoney.account must be a YooMoney wallet number, 11 to 20 digits'],
    ['QIWI with +', wallet('qiwi', { account: '+79210010203' }), "payment_method.wallet.qiwi.account must be the holder's phone number in international format without +, e.g. 79210010203"],
    ['Moneta', wallet('moneta', { account: '2518-2459' }), 'payment_method.wallet.moneta.account must be a Moneta.ru account number, digits only'],
    ['Steam, flat', wallet('steam', undefined, { account: 'no spaces allowed' }), 'payment_method.wallet.account must be a Steam login, 3 to 64 letters, digits or underscores'],
    ['two accounts', wallet('yoomoney', { account: '4100175017397' }, { account: '410012411727100' }), 'payment_method.wallet.account and payment_method.wallet.yoomoney.account differ'],
  ];
  for (const [name, req, description] of cases) it(name, () => assert.equal(check(req), description));
});
