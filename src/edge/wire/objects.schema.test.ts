import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { compile, describeValidationError } from '../http/validation.js';
import { currencyExponent, isCurrency, normalizeCurrency } from '../../kernel/currencies.js';
import * as objects from './objects.schema.js';
import {
  AmountDetails,
  Customer,
  Metadata,
  ParticipantDetails,
  PaymentDetails,
  PaymentMethod,
  PaymentOptions,
} from './objects.schema.js';

/**
 * A request body with every object of the file as an optional field: the method schemas live with
 * their routes, and here only the objects' own rules are under test.
 */
const Body = Type.Object({
  session_id: Type.Optional(Type.String()),
  amount_details: Type.Optional(AmountDetails),
  customer: Type.Optional(Customer),
  participant_details: Type.Optional(ParticipantDetails),
  payment_details: Type.Optional(PaymentDetails),
  payment_method: Type.Optional(PaymentMethod),
  payment_options: Type.Optional(PaymentOptions),
  metadata: Type.Optional(Metadata),
});
const validateBody = compile(Body);

/** The description of the first error, or undefined when the body is valid. */
function check(body: unknown): string | undefined {
  return validateBody(body) ? undefined : describeValidationError(validateBody.errors);
}

describe('currencies', () => {
  it('accepts ISO 4217 codes in any case', () => {
    for (const code of ['usd', 'USD', 'Usd', 'eur', 'rub', 'jpy', 'bhd', 'CLF', 'xcg']) {
      assert.equal(isCurrency(code), true, code);
    }
  });

  it('rejects anything else', () => {
    for (const code of ['', 'usdx', 'xyz', 'us', ' usd', 'XAU', 'XXX', 'hrk', 'ıqd', 'constructor']) {
      assert.equal(isCurrency(code), false, code);
    }
  });

  it('normalises to lower case and knows minor-unit exponents', () => {
    assert.equal(normalizeCurrency('USD'), 'usd');
    assert.equal(normalizeCurrency('Rub'), 'rub');
    assert.deepEqual(
      ['USD', 'jpy', 'BHD', 'rub', 'EUR', 'clf', 'KWD', 'krw'].map(currencyExponent),
      [2, 0, 3, 2, 2, 4, 3, 0],
    );
    assert.throws(() => currencyExponent('xyz'), TypeError);
    assert.throws(() => normalizeCurrency('usdx'), TypeError);
  });
});

describe('request objects: valid bodies from the SG pages', () => {
  it('session/start/payout to a global bank account (seed 000)', () => {
    assert.equal(
      check({
        session_id: 'ps_3230',
        payment_method: {
          type: 'bank_account',
          bank_account: {
            system_type: 'global',
            global: { iban: 'NUMBER_VALUE', description: 'purpose of remittance' },
          },
        },
        amount_details: { amount: 1000, currency: 'usd' },
        participant_details: {
          recipient: {
            bank_name: 'All Banks Belgium / EUR / Payment System: SEPA',
            currency: 'eur',
            country_iso3: 'BEL',
            first_name: 'John',
            last_name: 'Johnson',
          },
          sender: {
            company_name: 'Company name',
            registration_number: '1234567890',
            country_iso3: 'USA',
            code: '1234567890',
          },
        },
      }),
      undefined,
    );
  });

  it('session/start/payout to an encrypted card (seed 001, with a token)', () => {
    assert.equal(
      check({
        session_id: 'ps_31222806',
        amount_details: { amount: 3290, currency: 'eur' },
        payment_method: {
          type: 'card',
          card: {
            type: 'encrypted_card',
            encrypted_card: { number_hash: '3c6cdac9a24f4653512e35d62c76b329f145af5475028c3205dd219517cee33d' },
          },
        },
        participant_details: { recipient: { full_name: 'John Johnson' }, sender: {} },
        customer: { reference: '984753' },
        metadata: { metadata: 'withdrawal_116', proxy_to_host: '' },
      }),
      undefined,
    );
  });

  it('session/start/payout to a card number alone (seed 001, without a token)', () => {
    assert.equal(
      check({
        session_id: 'ps_31222806',
        payment_method: { type: 'card', card: { type: 'bank_card', bank_card: { number: '4242424242424242' } } },
        participant_details: { recipient: { full_name: 'John Johnson' }, sender: {} },
        customer: { reference: '984753' },
        metadata: { metadata: 'withdrawal_116', proxy_to_host: '' },
        amount_details: { amount: 1000, currency: 'usd' },
      }),
      undefined,
    );
  });

  it('session/create with an amount only (seed 002)', () => {
    assert.equal(check({ amount_details: { amount: 10000, currency: 'usd' }, metadata: 'order123' }), undefined);
  });

  it('session/start/payment with a bank card (seed 004)', () => {
    assert.equal(
      check({
        session_id: 'ps_3230',
        payment_details: {
          type: 'card',
          card: {
            type: 'bank_card',
            bank_card: {
              number: '4242424242424242',
              expiration_month: '01',
              expiration_year: '25',
              security_code: '123',
            },
          },
        },
        amount_details: { amount: 10000, currency: 'usd' },
        customer: { reference: 'lucky' },
        metadata: 'good',
      }),
      undefined,
    );
  });

  it('session/init/payment with a return_url (spec §5.2)', () => {
    assert.equal(
      check({
        payment_details: {
          type: 'card',
          card: {
            type: 'bank_card',
            bank_card: {
              number: '4242424242424242',
              expiration_month: '05',
              expiration_year: '25',
              security_code: '123',
            },
          },
        },
        amount_details: { amount: 10000, currency: 'usd' },
        customer: { reference: 'lucky' },
        payment_options: { return_url: 'https://website.com' },
      }),
      undefined,
    );
  });

  it('session/init/payout (spec §5.3)', () => {
    assert.equal(
      check({
        payment_method: {
          type: 'bank_account',
          bank_account: {
            system_type: 'global',
            global: { iban: 'NUMBER_VALUE', description: 'purpose of remittance' },
          },
        },
        amount_details: { amount: 1000, currency: 'usd' },
        participant_details: {
          recipient: {
            bank_name: 'All Banks Belgium / EUR / Payment System: SEPA',
            currency: 'eur',
            country_iso3: 'BEL',
            first_name: 'John',
            last_name: 'Johnson',
          },
          sender: {
            company_name: 'Company name',
            registration_number: '1234567890',
            country_iso3: 'USA',
            code: '1234567890',
          },
        },
      }),
      undefined,
    );
  });

  it('the other payment sources and payout destinations', () => {
    const valid: unknown[] = [
      { payment_details: { type: 'faster_payment_system' }, payment_options: { return_url: 'dummy:/url' } },
      { payment_details: { type: 'recurrent', recurrent: { token: 'rt_1', initiator: 'merchant' } } },
      { payment_details: { type: 'card', card: { type: 'encrypted_card', encrypted_card: { number_hash: 'ab' } } } },
      { payment_details: { type: 'card', card: { type: 'tokenized_card', tokenized_card: { token: 'tk' } } } },
      { payment_details: { type: 'secured_card', secured_card: { type: 'google_pay', google_pay: { token: '{}' } } } },
      { payment_details: { type: 'internet_banking', internet_banking: { type: 'sber_pay' } } },
      {
        payment_method: {
          type: 'bank_account',
          bank_account: {
            system_type: 'ru',
            ru: {
              bik: '044525974',
              account: '40817810000000000001',
              full_name: 'Иванов Иван Иванович',
              description: 'Перевод',
              inn: '123456789012',
              is_fast: true,
            },
          },
        },
      },
      {
        payment_method: {
          type: 'bank_account',
          bank_account: {
            system_type: 'faster_payment_system',
            faster_payment_system: { phone: '79001234567', bank_id: '100000000069', description: 'Payout' },
          },
        },
      },
      { payment_method: { type: 'bank_account', bank_account: { system_type: 'iban', iban: { account: 'BE71' } } } },
      { payment_method: { type: 'wallet', wallet: { type: 'qiwi', qiwi: { account: '79001234567' } } } },
      {
        amount_details: { amount: Number.MAX_SAFE_INTEGER, currency: 'JPY' },
        customer: { reference: 'u1', contacts: [{ email: 'user@gmail.com' }, { phone: '7953*****21' }] },
        participant_details: {
          sender: { date_of_birth: '1990-05-17', identity_document: { id_number: '12345678901' } },
        },
        payment_options: { recurrent: true, platform_details: { type: 'mobile', os: 'ios' } },
        metadata: 42,
      },
    ];
    for (const body of valid) assert.equal(check(body), undefined, JSON.stringify(body));
  });

  it('ignores fields it does not know, as the real service does', () => {
    assert.equal(
      check({
        amount_details: { amount: 1, currency: 'usd', extra: true },
        payment_details: { type: 'faster_payment_system', something: 'else' },
      }),
      undefined,
    );
  });
});

describe('request objects: invalid bodies', () => {
  const cases: Array<[string, unknown, string]> = [
    ['zero amount', { amount_details: { amount: 0, currency: 'usd' } }, 'amount_details.amount must be a positive integer'],
    ['fractional amount', { amount_details: { amount: 1.5, currency: 'usd' } }, 'amount_details.amount must be a positive integer'],
    ['amount as a string', { amount_details: { amount: '100', currency: 'usd' } }, 'amount_details.amount must be a positive integer'],
    [
      'amount past 2^53',
      { amount_details: { amount: 2 ** 53, currency: 'usd' } },
      'amount_details.amount must be at most 9007199254740991',
    ],
    ['missing currency', { amount_details: { amount: 100 } }, 'amount_details.currency is required'],
    [
      'unknown currency',
      { amount_details: { amount: 100, currency: 'xyz' } },
      'amount_details.currency must be an ISO 4217 currency code',
    ],
    [
      'currency as a number',
      { amount_details: { amount: 100, currency: 840 } },
      'amount_details.currency must be an ISO 4217 currency code',
    ],
    [
      '11-digit card number',
      {
        payment_details: {
          type: 'card',
          card: {
            type: 'bank_card',
            bank_card: { number: '42424242424', expiration_month: '05', expiration_year: '25' },
          },
        },
      },
      'payment_details.card.bank_card.number must be 12 to 19 digits',
    ],
    [
      'card number failing the Luhn check',
      {
        payment_details: {
          type: 'card',
          card: {
            type: 'bank_card',
            bank_card: { number: '4242424242424241', expiration_month: '05', expiration_year: '25' },
          },
        },
      },
      'payment_details.card.bank_card.number is not a valid card number (Luhn check failed)',
    ],
    [
      'month 13',
      {
        payment_details: {
          type: 'card',
          card: {
            type: 'bank_card',
            bank_card: { number: '4242424242424242', expiration_month: '13', expiration_year: '25' },
          },
        },
      },
      'payment_details.card.bank_card.expiration_month must be a two-digit month, 01 to 12',
    ],
    [
      'payment card without expiry',
      { payment_details: { type: 'card', card: { type: 'bank_card', bank_card: { number: '4242424242424242' } } } },
      'payment_details.card.bank_card.expiration_month is required',
    ],
    [
      'five-digit security code',
      {
        payment_details: {
          type: 'card',
          card: {
            type: 'bank_card',
            bank_card: {
              number: '4242424242424242',
              expiration_month: '05',
              expiration_year: '25',
              security_code: '12345',
            },
          },
        },
      },
      'payment_details.card.bank_card.security_code must be 3 or 4 digits',
    ],
    ['unknown payment type', { payment_details: { type: 'bitcoin' } }, 'payment_details.type has an unsupported value'],
    ['payment type missing', { payment_details: {} }, 'payment_details.type is required'],
    ['payment type not a string', { payment_details: { type: 1 } }, 'payment_details.type is required and must be a string'],
    ['card body missing', { payment_details: { type: 'card' } }, 'payment_details.card is required'],
    [
      'unknown card type',
      { payment_details: { type: 'card', card: { type: 'paper_card' } } },
      'payment_details.card.type has an unsupported value',
    ],
    [
      'bank_card body missing',
      { payment_details: { type: 'card', card: { type: 'bank_card' } } },
      'payment_details.card.bank_card is required',
    ],
    [
      'recurrent without token',
      { payment_details: { type: 'recurrent', recurrent: { initiator: 'merchant' } } },
      'payment_details.recurrent.token is required',
    ],
    [
      'recurrent initiator out of the set',
      { payment_details: { type: 'recurrent', recurrent: { token: 't', initiator: 'bank' } } },
      'payment_details.recurrent.initiator must be one of: merchant, client',
    ],
    [
      'payout card number with spaces',
      { payment_method: { type: 'card', card: { type: 'bank_card', bank_card: { number: '4242 4242 4242 4242' } } } },
      'payment_method.card.bank_card.number must be 12 to 19 digits',
    ],
    [
      'payout to a tokenized card, which payouts do not take',
      { payment_method: { type: 'card', card: { type: 'tokenized_card', tokenized_card: { token: 't' } } } },
      'payment_method.card.type has an unsupported value',
    ],
    [
      'empty number_hash',
      { payment_method: { type: 'card', card: { type: 'encrypted_card', encrypted_card: { number_hash: '' } } } },
      'payment_method.card.encrypted_card.number_hash must be a non-empty string of at most 1024 characters',
    ],
    [
      'unknown bank system_type',
      { payment_method: { type: 'bank_account', bank_account: { system_type: 'swift' } } },
      'payment_method.bank_account.system_type has an unsupported value',
    ],
    [
      'global account without a remittance purpose',
      { payment_method: { type: 'bank_account', bank_account: { system_type: 'global', global: { iban: 'X' } } } },
      'payment_method.bank_account.global.description is required',
    ],
    [
      'ru account with an 11-digit INN',
      {
        payment_method: {
          type: 'bank_account',
          bank_account: {
            system_type: 'ru',
            ru: { bik: '044525974', account: '40817810000000000001', full_name: 'A B', description: 'x', inn: '12345678901' },
          },
        },
      },
      'payment_method.bank_account.ru.inn must be 10 or 12 digits',
    ],
    [
      'FPS description over 140 characters',
      {
        payment_method: {
          type: 'bank_account',
          bank_account: {
            system_type: 'faster_payment_system',
            faster_payment_system: { phone: '79001234567', bank_id: '100000000069', description: 'x'.repeat(141) },
          },
        },
      },
      'payment_method.bank_account.faster_payment_system.description must be a non-empty string of at most 140 characters',
    ],
    [
      'unknown account_type',
      {
        payment_method: {
          type: 'bank_account',
          bank_account: { system_type: 'global', global: { description: 'x', account_type: 'checking' } },
        },
      },
      'payment_method.bank_account.global.account_type must be one of: CHECKING, SAVINGS, DEPOSIT, OTHERS',
    ],
    ['wallet without type', { payment_method: { type: 'wallet', wallet: {} } }, 'payment_method.wallet.type is required'],
    ['empty customer reference', { customer: { reference: '' } }, 'customer.reference must be a non-empty string of at most 255 characters'],
    ['customer without reference', { customer: {} }, 'customer.reference is required'],
    [
      'contact email not a string',
      { customer: { reference: 'u', contacts: [{ email: 'a@b.c' }, { email: 5 }] } },
      'customer.contacts[1].email must be a string of at most 255 characters',
    ],
    [
      'company name over 100 characters',
      { participant_details: { sender: { company_name: 'x'.repeat(101) } } },
      'participant_details.sender.company_name must be a string of at most 100 characters',
    ],
    [
      'last name over 80 characters',
      { participant_details: { recipient: { last_name: 'x'.repeat(81) } } },
      'participant_details.recipient.last_name must be a string of at most 80 characters',
    ],
    [
      'date of birth not a date',
      { participant_details: { sender: { date_of_birth: '17.05.1990' } } },
      'participant_details.sender.date_of_birth must be a date, YYYY-MM-DD',
    ],
    [
      'participant currency unknown',
      { participant_details: { recipient: { currency: 'euro' } } },
      'participant_details.recipient.currency must be an ISO 4217 currency code',
    ],
    ['return_url not a URL', { payment_options: { return_url: 'website.com' } }, 'payment_options.return_url must be an absolute URL'],
    ['recurrent as a string', { payment_options: { recurrent: 'true' } }, 'payment_options.recurrent must be a boolean'],
    ['body not an object', 'amount=100', 'body must be a JSON object'],
  ];

  for (const [name, body, expected] of cases) {
    it(name, () => assert.equal(check(body), expected));
  }
});

describe('request objects: schema shape', () => {
  it('gives every exported schema a title for the OpenAPI document', () => {
    for (const [name, schema] of Object.entries(objects)) {
      assert.equal(typeof (schema as { title?: unknown }).title, 'string', name);
    }
  });

  it('sets additionalProperties nowhere', () => {
    assert.doesNotMatch(JSON.stringify(Object.values(objects)), /additionalProperties/);
  });

  it('infers discriminated unions as TypeScript unions', () => {
    // Compile-time checks: the tags narrow the union, and a branch's body is typed.
    const details: objects.PaymentDetails = {
      type: 'card',
      card: { type: 'bank_card', bank_card: { number: '4242424242424242', expiration_month: '05', expiration_year: '25' } },
    };
    const method: objects.PaymentMethod = {
      type: 'bank_account',
      bank_account: { system_type: 'faster_payment_system', faster_payment_system: { phone: '7', bank_id: '1', description: 'd' } },
    };
    // @ts-expect-error a payment card needs its expiry
    const incomplete: objects.BankCard = { number: '4242424242424242' };
    const last4 = details.type === 'card' && details.card.type === 'bank_card' ? details.card.bank_card.number.slice(-4) : '';
    const system = method.type === 'bank_account' ? method.bank_account.system_type : '';
    assert.equal(last4, '4242');
    assert.equal(system, 'faster_payment_system');
    assert.ok(incomplete);
  });
});
