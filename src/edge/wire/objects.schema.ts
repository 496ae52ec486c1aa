import { Type, type SchemaOptions, type Static, type TObject, type TUnion, type TUnsafe } from '@sinclair/typebox';
import { FreeJson, Identifier, TOKEN_MAX, Url } from './fields.js';
import { INTERNET_BANKING_PROVIDERS, SBER_PAY_CHANNELS, WALLET_PROVIDERS } from '../../domain/payments/payment-source.js';

/**
 * The request-side wire objects of the Smart Glocal API (spec §6.5–6.10), written once and used
 * three ways: compiled by the ajv instance of src/edge/http/validation.ts, as TypeScript types through
 * `Static<>`, and in the OpenAPI document (hence a `title` on every schema).
 *
 * Conventions:
 * - no `additionalProperties: false`: the real service ignores fields it does not know, and so do
 *   we (mappers pick what they need);
 * - `errorMessage` says what a value must be, in the words `describeValidationError` puts after
 *   the field path ("amount_details.amount must be a positive integer");
 * - objects keyed by a `type` (or `system_type`) tag are built with `Discriminated`, so that ajv
 *   reports the errors of the one branch the tag names rather than of every branch.
 */

/**
 * A `oneOf` with ajv's `discriminator` keyword. ajv needs `oneOf` (not `anyOf`), a `const` on the
 * tag in every branch (`Type.Literal`) and the tag in `required`; TypeBox has no such builder, so
 * the schema is written by hand and the static type is still the union of the branches.
 */
function Discriminated<V extends TObject[]>(
  tag: string,
  variants: [...V],
  options: SchemaOptions & { title: string },
): TUnsafe<Static<TUnion<V>>> {
  return Type.Unsafe<Static<TUnion<V>>>({
    ...options,
    type: 'object',
    discriminator: { propertyName: tag },
    required: [tag],
    oneOf: variants,
  });
}

/**
 * A closed set of strings as a plain `enum`: a `Type.Union` of literals compiles to `anyOf`, whose
 * first error would name only the first literal ("must be \"merchant\"").
 */
function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({
    ...options,
    type: 'string',
    enum: [...values],
    errorMessage: `must be one of: ${values.join(', ')}`,
  });
}

/** An optional-content string with a length cap (most Participant and bank-account fields). */
const Text = (maxLength: number, options: SchemaOptions = {}) =>
  Type.String({ ...options, maxLength, errorMessage: `must be a string of at most ${maxLength} characters` });

/** A string that must carry something: identifiers, tokens, mandatory names. */
const NonEmptyText = (maxLength: number, options: SchemaOptions = {}) =>
  Type.String({
    ...options,
    minLength: 1,
    maxLength,
    errorMessage: `must be a non-empty string of at most ${maxLength} characters`,
  });

// ---------------------------------------------------------------------------------------------
// Amounts, customer, metadata (§6.5, §6.6, §4)

export const CurrencyCode = Type.String({
  title: 'CurrencyCode',
  format: 'currency',
  description: 'ISO 4217 alphabetic code, case-insensitive (`usd`, `USD`)',
  examples: ['usd'],
  errorMessage: 'must be an ISO 4217 currency code',
});
export type CurrencyCode = Static<typeof CurrencyCode>;

export const AmountDetails = Type.Object(
  {
    amount: Type.Integer({
      minimum: 1,
      // Amounts are JSON numbers; past 2^53 they silently lose precision when parsed.
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'Amount in minor units: 100.00 USD is `10000`',
      examples: [10000],
      errorMessage: 'must be a positive integer',
    }),
    currency: CurrencyCode,
  },
  { title: 'AmountDetails' },
);
export type AmountDetails = Static<typeof AmountDetails>;

export const CustomerContact = Type.Object(
  {
    email: Type.Optional(Text(255)),
    phone: Type.Optional(Text(64)),
  },
  { title: 'CustomerContact' },
);
export type CustomerContact = Static<typeof CustomerContact>;

export const Customer = Type.Object(
  {
    reference: Identifier(255, { description: "The payer's or recipient's id in the partner's system" }),
    contacts: Type.Optional(Type.Array(CustomerContact)),
  },
  { title: 'Customer' },
);
export type Customer = Static<typeof Customer>;

/**
 * One contractor's share of a split payment (§5.20; the SDK's RevenueSplitInfoItem): exactly one of
 * `percent` (a decimal string or number, up to two decimals), `amount` or `remains: true`. The SDK
 * always sends `remains`, false beside a percent.
 */
export const RevenueSplitItem = Type.Object(
  {
    contractor_alias: Identifier(64, { description: 'A contractor of the project (project setting contractors)' }),
    percent: Type.Optional(
      Type.Union([Type.String(), Type.Number(), Type.Null()], { description: 'Share of the amount in percent, above 0 and at most 100, e.g. "12.5"' }),
    ),
    amount: Type.Optional(AmountDetails),
    remains: Type.Optional(Type.Union([Type.Boolean(), Type.Null()], { description: 'Takes what the other shares and the fee leave' })),
  },
  { title: 'RevenueSplitItem' },
);
export const RevenueSplitInfo = Type.Array(RevenueSplitItem, { minItems: 1, maxItems: 50, title: 'RevenueSplitInfo' });

export const Metadata = FreeJson({
  title: 'Metadata',
  description: 'Any JSON value chosen by the partner; echoed back in responses and webhooks',
});
export type Metadata = Static<typeof Metadata>;

// ---------------------------------------------------------------------------------------------
// Participants (§6.9)

export const IdentityDocument = Type.Object(
  {
    id_type: Type.Optional(Text(255)),
    id_number: Type.Optional(Text(255)),
    id_expiration_date: Type.Optional(Text(255)),
    issue_date: Type.Optional(Text(255)),
    division_code: Type.Optional(Text(255)),
    issued_by: Type.Optional(Text(255)),
  },
  { title: 'IdentityDocument' },
);
export type IdentityDocument = Static<typeof IdentityDocument>;

/**
 * Which fields are mandatory depends on the destination (country, bank), so none is at the
 * schema level; the limits are the ones the SG pages state, 255 where they state none.
 */
export const Participant = Type.Object(
  {
    full_name: Type.Optional(Text(255)),
    first_name: Type.Optional(Text(64)),
    last_name: Type.Optional(Text(80)),
    middle_name: Type.Optional(Text(255)),
    company_name: Type.Optional(Text(100)),
    reference: Type.Optional(Text(255, { format: 'printable' })),
    tax_reference: Type.Optional(Text(255)),
    country_iso2: Type.Optional(Text(255)),
    country_iso3: Type.Optional(Text(255)),
    city: Type.Optional(Text(64)),
    postal_code: Type.Optional(Text(64)),
    address_line: Type.Optional(Text(256)),
    street: Type.Optional(Text(255)),
    building: Type.Optional(Text(255)),
    flat: Type.Optional(Text(255)),
    state: Type.Optional(Text(64)),
    document: Type.Optional(Text(255)),
    account: Type.Optional(Text(255)),
    currency: Type.Optional(CurrencyCode),
    bank_name: Type.Optional(Text(255)),
    registration_number: Type.Optional(Text(64)),
    date_of_incorporation: Type.Optional(Text(255)),
    msisdn: Type.Optional(Text(255)),
    email: Type.Optional(Text(255)),
    code: Type.Optional(Text(255)),
    swift_bic_code: Type.Optional(Text(255)),
    description: Type.Optional(Text(255)),
    beneficiary_id: Type.Optional(Text(255, { format: 'printable' })),
    wallet_id: Type.Optional(Text(255, { format: 'printable' })),
    citizenship_country_iso_3: Type.Optional(Text(255)),
    date_of_birth: Type.Optional(Type.String({ format: 'date', errorMessage: 'must be a date, YYYY-MM-DD' })),
    ipv4: Type.Optional(Text(255)),
    ipv6: Type.Optional(Text(255)),
    identity_document: Type.Optional(IdentityDocument),
  },
  { title: 'Participant' },
);
export type Participant = Static<typeof Participant>;

export const ParticipantDetails = Type.Object(
  {
    sender: Type.Optional(Participant),
    recipient: Type.Optional(Participant),
  },
  { title: 'ParticipantDetails' },
);
export type ParticipantDetails = Static<typeof ParticipantDetails>;

// ---------------------------------------------------------------------------------------------
// Payment options (§6.10)

/**
 * [V-131]: the SDK's Subscription is built from its `period` alone; `id`, `initial`, `next_point` and
 * `retries_exceeded` are the server's (echoed on the payment once it succeeds, docs/tokens.md). The
 * period list is payrail's (the SDK does not name one); the read-only fields are accepted and ignored.
 */
export const Subscription = Type.Object(
  {
    period: StringEnum(['day', 'week', 'month', 'year'] as const, { description: 'How often the subscription falls due, from the first payment' }),
    id: Type.Optional(FreeJson()),
    initial: Type.Optional(FreeJson()),
    next_point: Type.Optional(FreeJson()),
    retries_exceeded: Type.Optional(FreeJson()),
    unsubscribe_url: Type.Optional(FreeJson()),
    provider_subscription_id: Type.Optional(FreeJson()),
  },
  { title: 'Subscription' },
);
export type Subscription = Static<typeof Subscription>;

/** Values are listed, not enforced: a partner sending another OS or browser is not an error. */
export const PlatformDetails = Type.Object(
  {
    type: Type.Optional(Text(64, { description: '`desktop` or `mobile`' })),
    os: Type.Optional(Text(64, { description: '`ios`, `android`, `windows`, `linux`' })),
    browser: Type.Optional(Text(255)),
  },
  { title: 'PlatformDetails' },
);
export type PlatformDetails = Static<typeof PlatformDetails>;

export const PaymentOptions = Type.Object(
  {
    return_url: Type.Optional(
      Url({ description: 'Where the payer returns after 3-D Secure, a redirect or a QR payment (followed only when http or https)' }),
    ),
    recurrent: Type.Optional(
      Type.Boolean({ description: '`true`: issue a recurrent token once the payment succeeds' }),
    ),
    subscription: Type.Optional(Subscription),
    platform_details: Type.Optional(PlatformDetails),
    hold: Type.Optional(
      Type.Boolean({
        description:
          'payrail: `true` places a hold (delayed capture, §5.8): the payment waits in ready_to_capture for session/capture or session/cancel',
      }),
    ),
  },
  { title: 'PaymentOptions' },
);
export type PaymentOptions = Static<typeof PaymentOptions>;

// ---------------------------------------------------------------------------------------------
// Cards (§6.7)

const CARD_NUMBER = Type.String({
  pattern: '^[0-9]{12,19}$',
  format: 'card-number',
  description: 'Card number (PAN), digits only, passing the Luhn check',
  examples: ['4242424242424242'],
  errorMessage: 'must be 12 to 19 digits',
});
const EXPIRATION_MONTH = Type.String({
  pattern: '^(0[1-9]|1[0-2])$',
  description: 'Two-digit month, `MM`',
  examples: ['05'],
  errorMessage: 'must be a two-digit month, 01 to 12',
});
const EXPIRATION_YEAR = Type.String({
  pattern: '^[0-9]{2}$',
  description: 'Two-digit year, `YY`',
  examples: ['25'],
  errorMessage: 'must be a two-digit year, YY',
});
const SECURITY_CODE = Type.String({
  pattern: '^[0-9]{3,4}$',
  description: 'CVV / CVC',
  errorMessage: 'must be 3 or 4 digits',
});

/** A card paying in: its expiry is needed to charge it. */
export const BankCard = Type.Object(
  {
    number: CARD_NUMBER,
    expiration_month: EXPIRATION_MONTH,
    expiration_year: EXPIRATION_YEAR,
    security_code: Type.Optional(SECURITY_CODE),
    cardholder_name: Type.Optional(Text(255)),
  },
  { title: 'BankCard' },
);
export type BankCard = Static<typeof BankCard>;

/** A card receiving a payout: the SG pages send the number alone (seed 001). */
export const PayoutBankCard = Type.Object(
  {
    number: CARD_NUMBER,
    expiration_month: Type.Optional(EXPIRATION_MONTH),
    expiration_year: Type.Optional(EXPIRATION_YEAR),
    security_code: Type.Optional(SECURITY_CODE),
    cardholder_name: Type.Optional(Text(255)),
  },
  { title: 'PayoutBankCard' },
);
export type PayoutBankCard = Static<typeof PayoutBankCard>;

/** Card data as hashed by the tokenisation widget. */
export const EncryptedCard = Type.Object(
  {
    number_hash: Identifier(TOKEN_MAX),
    expiration_date_hash: Type.Optional(Text(TOKEN_MAX, { format: 'printable' })),
    security_code_hash: Type.Optional(Text(TOKEN_MAX, { format: 'printable' })),
    cardholder_name_hash: Type.Optional(Text(TOKEN_MAX, { format: 'printable' })),
  },
  { title: 'EncryptedCard' },
);
export type EncryptedCard = Static<typeof EncryptedCard>;

export const TokenizedCard = Type.Object({ token: Identifier(TOKEN_MAX) }, { title: 'TokenizedCard' });
export type TokenizedCard = Static<typeof TokenizedCard>;

export const PaymentCard = Discriminated(
  'type',
  [
    Type.Object(
      { type: Type.Literal('bank_card'), bank_card: BankCard },
      { title: 'PaymentCardBankCard' },
    ),
    Type.Object(
      { type: Type.Literal('encrypted_card'), encrypted_card: EncryptedCard },
      { title: 'PaymentCardEncryptedCard' },
    ),
    Type.Object(
      { type: Type.Literal('tokenized_card'), tokenized_card: TokenizedCard },
      { title: 'PaymentCardTokenizedCard' },
    ),
  ],
  { title: 'PaymentCard' },
);
export type PaymentCard = Static<typeof PaymentCard>;

export const PayoutCard = Discriminated(
  'type',
  [
    Type.Object(
      { type: Type.Literal('bank_card'), bank_card: PayoutBankCard },
      { title: 'PayoutCardBankCard' },
    ),
    Type.Object(
      { type: Type.Literal('encrypted_card'), encrypted_card: EncryptedCard },
      { title: 'PayoutCardEncryptedCard' },
    ),
  ],
  { title: 'PayoutCard' },
);
export type PayoutCard = Static<typeof PayoutCard>;

// ---------------------------------------------------------------------------------------------
// Payment source (§6.7)

export const RecurrentDetails = Type.Object(
  {
    token: Identifier(TOKEN_MAX, { description: 'Recurrent token issued after a payment with `recurrent: true`' }),
    initiator: Type.Optional(
      StringEnum(['merchant', 'client'], {
        description: '`merchant`: merchant-initiated (MIT); `client`: the payer is present (CIT)',
      }),
    ),
    security_code: Type.Optional(SECURITY_CODE),
  },
  { title: 'RecurrentDetails' },
);
export type RecurrentDetails = Static<typeof RecurrentDetails>;

export const CardPaymentDetails = Type.Object(
  { type: Type.Literal('card'), card: PaymentCard },
  { title: 'CardPaymentDetails' },
);
export const RecurrentPaymentDetails = Type.Object(
  { type: Type.Literal('recurrent'), recurrent: RecurrentDetails },
  { title: 'RecurrentPaymentDetails' },
);
export const FasterPaymentSystemPaymentDetails = Type.Object(
  { type: Type.Literal('faster_payment_system') },
  { title: 'FasterPaymentSystemPaymentDetails' },
);

/** Google Pay / Apple Pay [V-131]: the wallet's payment token, passed through as is. */
export const SecuredCard = Discriminated(
  'type',
  [
    Type.Object(
      { type: Type.Literal('google_pay'), google_pay: Type.Object({ token: NonEmptyText(65_536) }) },
      { title: 'SecuredCardGooglePay' },
    ),
    Type.Object(
      { type: Type.Literal('apple_pay'), apple_pay: Type.Object({ token: NonEmptyText(65_536) }) },
      { title: 'SecuredCardApplePay' },
    ),
  ],
  { title: 'SecuredCard' },
);
export const SecuredCardPaymentDetails = Type.Object(
  { type: Type.Literal('secured_card'), secured_card: SecuredCard },
  { title: 'SecuredCardPaymentDetails' },
);

/**
 * [V-131]: the provider is one of the closed list the server has a page for (domain/payments/
 * payment-source.ts, docs/test-cards.md; the same list and words refuse it at start). SberPay's body
 * is the SDK's `{channel, phone?}`; the other providers' bodies are undocumented and left alone.
 */
export const InternetBankingPaymentDetails = Type.Object(
  {
    type: Type.Literal('internet_banking'),
    internet_banking: Type.Object(
      {
        type: StringEnum(INTERNET_BANKING_PROVIDERS, { description: 'The provider whose page the payer approves on' }),
        sber_pay: Type.Optional(
          Type.Object(
            { channel: StringEnum(SBER_PAY_CHANNELS), phone: Type.Optional(Identifier(32, { description: 'For sberpay/push' })) },
            { title: 'SberPay' },
          ),
        ),
      },
      { title: 'InternetBanking' },
    ),
  },
  { title: 'InternetBankingPaymentDetails' },
);

/** [V-131]: a closed list of wallet providers, as `internet_banking`. */
export const WalletPaymentDetails = Type.Object(
  {
    type: Type.Literal('wallet'),
    wallet: Type.Object(
      { type: StringEnum(WALLET_PROVIDERS, { description: 'The wallet the payer approves in' }) },
      { title: 'PaymentWallet' },
    ),
  },
  { title: 'WalletPaymentDetails' },
);

export const PaymentDetails = Discriminated(
  'type',
  [
    CardPaymentDetails,
    RecurrentPaymentDetails,
    FasterPaymentSystemPaymentDetails,
    SecuredCardPaymentDetails,
    InternetBankingPaymentDetails,
    WalletPaymentDetails,
  ],
  { title: 'PaymentDetails', description: 'Payment source; the object named by `type` holds the data' },
);
export type PaymentDetails = Static<typeof PaymentDetails>;

// ---------------------------------------------------------------------------------------------
// Payout destination (§6.8)

/** International transfer; which account fields are needed depends on the country (spec §6.8). */
export const GlobalBankAccount = Type.Object(
  {
    description: NonEmptyText(255, { description: 'Purpose of remittance' }),
    iban: Type.Optional(Text(64)),
    swift_bic_code: Type.Optional(Text(64)),
    bank_account_number: Type.Optional(Text(64)),
    account_number: Type.Optional(Text(64)),
    account_type: Type.Optional(StringEnum(['CHECKING', 'SAVINGS', 'DEPOSIT', 'OTHERS'])),
    routing_code: Type.Optional(Text(64, { description: 'US ABA routing number' })),
    sort_code: Type.Optional(Text(64, { description: 'UK sort code, `12-34-56`' })),
    bsb_number: Type.Optional(Text(64, { description: 'Australian BSB' })),
    branch_number: Type.Optional(Text(64, { description: 'Brazilian branch number' })),
  },
  { title: 'GlobalBankAccount' },
);
export type GlobalBankAccount = Static<typeof GlobalBankAccount>;

export const RuBankAccount = Type.Object(
  {
    bik: NonEmptyText(64),
    account: NonEmptyText(64),
    full_name: NonEmptyText(255),
    description: NonEmptyText(255),
    inn: Type.String({ pattern: '^([0-9]{10}|[0-9]{12})$', errorMessage: 'must be 10 or 12 digits' }),
    kpp: Type.Optional(Text(64, { description: 'Legal entities only' })),
    is_fast: Type.Optional(Type.Boolean()),
  },
  { title: 'RuBankAccount' },
);
export type RuBankAccount = Static<typeof RuBankAccount>;

export const FasterPaymentSystemBankAccount = Type.Object(
  {
    phone: NonEmptyText(64),
    bank_id: Identifier(64, { description: 'FPS bank id, e.g. `100000000069`' }),
    description: NonEmptyText(140),
  },
  { title: 'FasterPaymentSystemBankAccount' },
);
export type FasterPaymentSystemBankAccount = Static<typeof FasterPaymentSystemBankAccount>;

/** The spec marks neither field mandatory, so neither is here. */
export const FasterPaymentSystemVerificationBankAccount = Type.Object(
  {
    phone: Type.Optional(Text(64)),
    bank_id: Type.Optional(Text(64, { format: 'printable' })),
  },
  { title: 'FasterPaymentSystemVerificationBankAccount' },
);
export type FasterPaymentSystemVerificationBankAccount = Static<typeof FasterPaymentSystemVerificationBankAccount>;

/** [V-131]; `account` is not marked mandatory in the spec. */
export const IbanBankAccount = Type.Object({ account: Type.Optional(Text(64)) }, { title: 'IbanBankAccount' });
export type IbanBankAccount = Static<typeof IbanBankAccount>;

export const BankAccount = Discriminated(
  'system_type',
  [
    Type.Object(
      { system_type: Type.Literal('global'), global: GlobalBankAccount },
      { title: 'BankAccountGlobal' },
    ),
    Type.Object({ system_type: Type.Literal('ru'), ru: RuBankAccount }, { title: 'BankAccountRu' }),
    Type.Object(
      { system_type: Type.Literal('faster_payment_system'), faster_payment_system: FasterPaymentSystemBankAccount },
      { title: 'BankAccountFasterPaymentSystem' },
    ),
    Type.Object(
      {
        system_type: Type.Literal('faster_payment_system_verification'),
        faster_payment_system_verification: FasterPaymentSystemVerificationBankAccount,
      },
      { title: 'BankAccountFasterPaymentSystemVerification' },
    ),
    Type.Object({ system_type: Type.Literal('iban'), iban: IbanBankAccount }, { title: 'BankAccountIban' }),
  ],
  { title: 'BankAccount', description: 'The object named by `system_type` holds the account' },
);
export type BankAccount = Static<typeof BankAccount>;

/**
 * Wallet payouts [V-131] send `{type, <type>: {account, description?}}`; only the provider name is
 * checked, `account`/`description` are also accepted at this level.
 */
export const PayoutWallet = Type.Object(
  {
    type: NonEmptyText(64, { description: 'e.g. `qiwi`, `yoomoney`, `moneta`, `steam`' }),
    account: Type.Optional(Text(255)),
    description: Type.Optional(Text(255)),
  },
  { title: 'PayoutWallet' },
);
export type PayoutWallet = Static<typeof PayoutWallet>;

export const CardPaymentMethod = Type.Object(
  { type: Type.Literal('card'), card: PayoutCard },
  { title: 'CardPaymentMethod' },
);
export const BankAccountPaymentMethod = Type.Object(
  { type: Type.Literal('bank_account'), bank_account: BankAccount },
  { title: 'BankAccountPaymentMethod' },
);
export const WalletPaymentMethod = Type.Object(
  { type: Type.Literal('wallet'), wallet: PayoutWallet },
  { title: 'WalletPaymentMethod' },
);

/** Payout destination (v1 `payment_method`, v2 `payout_details`). */
export const PaymentMethod = Discriminated('type', [CardPaymentMethod, BankAccountPaymentMethod, WalletPaymentMethod], {
  title: 'PaymentMethod',
  description: 'Payout destination; the object named by `type` holds the data',
});
export type PaymentMethod = Static<typeof PaymentMethod>;
