import { Type, type TSchema } from '@sinclair/typebox';
import { BankAccountPaymentMethod, Customer, Metadata, ParticipantDetails, PaymentOptions, WalletPaymentMethod } from '../wire/objects.schema.js';
import { INTERNET_BANKING_PROVIDERS, WALLET_PROVIDERS } from '../../domain/payments/payment-source.js';
import { REFUND_STATUSES } from '../../domain/refunds/refund.status.js';

/**
 * The response side of the wire (spec §6.2–6.4), for the OpenAPI document only: what the mappers of
 * src/edge/wire/*.wire.ts render, field for field. The server never validates its answers with these
 * (responses are built by the mappers and signed as bytes); test/openapi.test.ts checks real answers
 * against them, so a mapper that changes shape without them fails there. Every schema has a `title`:
 * that is its name under components.schemas.
 */

const enumOf = (values: readonly string[], options: { title?: string; description?: string } = {}) => Type.Unsafe<string>({ ...options, type: 'string', enum: [...values] });

/** An object of strings, written out: TypeBox's Record (patternProperties) would come out differently in paths and in webhooks. */
const StringMap = Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: { type: 'string' } });

export const Timestamp = Type.String({
  title: 'Timestamp',
  format: 'date-time',
  description: 'UTC, microsecond precision',
  examples: ['2024-05-27T02:03:00.000000Z'],
});

/** An amount as responses show it: unlike the request's AmountDetails it may be 0 (a fee, a refund's fee). */
export const Money = Type.Object(
  {
    amount: Type.Integer({ minimum: 0, description: 'Minor units: 100.00 USD is `10000`', examples: [10000] }),
    currency: Type.String({ description: 'ISO 4217 code, as sent (lower case in the examples)', examples: ['usd'] }),
  },
  { title: 'Money' },
);

export const Amounts = Type.Object(
  { gross: Money, net: Money, fee: Type.Object({ merchant_fee: Money }, { title: 'Fee' }) },
  { title: 'Amounts', description: 'gross = net + fee; present once the money moved (a payment succeeded, a payout reserved or paid, a refund)' },
);

export const OperationError = Type.Object(
  { code: Type.String({ examples: ['insufficient_funds'] }), description: Type.String() },
  { title: 'OperationError', description: "Why an operation failed (docs/errors.md lists the codes)" },
);

export const TransactionInfo = Type.Object(
  {
    rrn: Type.Optional(Type.String({ description: 'Retrieval reference number' })),
    auth_code: Type.Optional(Type.String()),
    fp_message_id: Type.Optional(Type.String({ description: 'FPS payments: the rail\u2019s message id' })),
  },
  { title: 'TransactionInfo' },
);

export const RevenueSplitShare = Type.Object(
  {
    contractor_alias: Type.String(),
    percent: Type.Optional(Type.String({ examples: ['12.5'] })),
    remains: Type.Optional(Type.Literal(true)),
    amount: Money,
  },
  { title: 'RevenueSplitShare', description: "One contractor's share, with the amount it resolved to" },
);

export const MaskedCard = Type.Object(
  {
    last4: Type.String({ examples: ['4242'] }),
    brand: Type.String({ examples: ['visa'] }),
    bin: Type.Optional(Type.String({ description: 'Once the processor has seen the card', examples: ['424242'] })),
    country_iso3: Type.Optional(Type.String({ examples: ['USA'] })),
    card_id: Type.Optional(Type.String({ description: 'Only where the project enabled card ids' })),
  },
  { title: 'MaskedCard', description: 'Never a full card number nor a security code' },
);

/** The payment's source as echoed (src/edge/wire/payment-source.wire.ts): card data masked. */
export const MaskedPaymentDetails = Type.Unsafe({
  title: 'MaskedPaymentDetails',
  type: 'object',
  discriminator: { propertyName: 'type' },
  required: ['type'],
  oneOf: [
    Type.Object({ type: Type.Literal('card'), card: MaskedCard }, { title: 'MaskedCardPaymentDetails' }),
    Type.Object(
      { type: Type.Literal('recurrent'), recurrent: Type.Object({ token: Type.String(), initiator: Type.Optional(enumOf(['merchant', 'client'])) }, { title: 'RecurrentSource' }) },
      { title: 'MaskedRecurrentPaymentDetails' },
    ),
    Type.Object({ type: Type.Literal('faster_payment_system') }, { title: 'MaskedFasterPaymentSystemPaymentDetails' }),
    Type.Object(
      { type: Type.Literal('secured_card'), secured_card: Type.Object({ type: enumOf(['google_pay', 'apple_pay']), card: MaskedCard }, { title: 'MaskedSecuredCard' }) },
      { title: 'MaskedSecuredCardPaymentDetails' },
    ),
    Type.Object(
      { type: Type.Literal('internet_banking'), internet_banking: Type.Object({ type: enumOf(INTERNET_BANKING_PROVIDERS) }, { title: 'InternetBankingSource' }) },
      { title: 'MaskedInternetBankingPaymentDetails' },
    ),
    Type.Object({ type: Type.Literal('wallet'), wallet: Type.Object({ type: enumOf(WALLET_PROVIDERS) }, { title: 'WalletSource' }) }, { title: 'MaskedWalletPaymentDetails' }),
  ],
});

/** A payout's destination as echoed (src/edge/wire/payout.wire.ts): a card masked, the rest as given. */
export const MaskedPaymentMethod = Type.Unsafe({
  title: 'MaskedPaymentMethod',
  type: 'object',
  discriminator: { propertyName: 'type' },
  required: ['type'],
  oneOf: [Type.Object({ type: Type.Literal('card'), card: MaskedCard }, { title: 'MaskedCardPaymentMethod' }), BankAccountPaymentMethod, WalletPaymentMethod],
});

export const CustomerInteraction = Type.Unsafe({
  title: 'CustomerInteraction',
  type: 'object',
  description: 'What the payer must do (3-D Secure, a provider page, an FPS QR code); only while the payment waits for it',
  discriminator: { propertyName: 'type' },
  required: ['type'],
  oneOf: [
    Type.Object(
      {
        type: Type.Literal('redirect'),
        redirect: Type.Object(
          {
            url: Type.String({ format: 'uri' }),
            base_url: Type.String({ format: 'uri' }),
            method: Type.Literal('GET'),
            qs: StringMap,
            params: StringMap,
          },
          { title: 'Redirect' },
        ),
      },
      { title: 'RedirectInteraction' },
    ),
    Type.Object(
      {
        type: Type.Literal('inform'),
        inform: Type.Object(
          { type: Type.Literal('qr'), qr: Type.Object({ content: Type.String({ format: 'uri' }), img: Type.String({ description: 'A PNG data: URL' }) }, { title: 'QrCode' }) },
          { title: 'Inform' },
        ),
      },
      { title: 'InformInteraction' },
    ),
  ],
});

export const RecurrentToken = Type.Object(
  {
    token: Type.String(),
    created_at: Timestamp,
    finished_at: Timestamp,
    is_active: Type.Boolean(),
    type: Type.Literal('recurrent_token'),
  },
  { title: 'RecurrentToken' },
);

export const Refund = Type.Object(
  {
    id: Type.String({ examples: ['rf_1'] }),
    status: enumOf(REFUND_STATUSES),
    created_at: Timestamp,
    finished_at: Type.Optional(Timestamp),
    is_chargeback: Type.Boolean(),
    amount_details: Money,
    amounts: Amounts,
    revenue_split_info: Type.Optional(Type.Array(RevenueSplitShare)),
    metadata: Type.Optional(Metadata),
    error: Type.Optional(OperationError),
  },
  { title: 'Refund' },
);

const OPERATION_STATUS = enumOf(['in_progress', 'pending', 'succeeded', 'failed'], {
  title: 'OperationStatus',
  description: 'pending: waits for the partner (confirm, capture) or the payer (customer_interaction)',
});

export const AcquiringPayment = Type.Object(
  {
    id: Type.String({ examples: ['ap_3230'] }),
    status: OPERATION_STATUS,
    created_at: Timestamp,
    updated_at: Timestamp,
    finished_at: Type.Optional(Timestamp),
    customer: Type.Optional(Customer),
    payment_details: MaskedPaymentDetails,
    amount_details: Money,
    amounts: Type.Optional(Amounts),
    participant_details: Type.Optional(ParticipantDetails),
    payment_options: Type.Optional(PaymentOptions),
    customer_interaction: Type.Optional(CustomerInteraction),
    transaction_info: Type.Optional(TransactionInfo),
    recurrent: Type.Optional(RecurrentToken),
    refunds: Type.Optional(Type.Array(Refund)),
    revenue_split_info: Type.Optional(Type.Array(RevenueSplitShare)),
    metadata: Type.Optional(Metadata),
    error: Type.Optional(OperationError),
  },
  { title: 'AcquiringPayment', description: 'A payment in (card, wallet, FPS, internet banking)' },
);

export const FiscalizationDetailsOut = Type.Object(
  {
    professional_income_taxpayer: Type.Object(
      {
        services: Type.Array(Type.Object({ name: Type.String(), amount_details: Money, quantity: Type.Integer() }, { title: 'PayoutFiscalizationService' })),
        tax_reference: Type.String(),
        payer_type: Type.Optional(Type.String()),
        payer_tax_number: Type.Optional(Type.String()),
        payer_name: Type.Optional(Type.String()),
        receipt: Type.Optional(Type.Object({ id: Type.String(), link: Type.Optional(Type.String()) }, { title: 'FiscalReceipt' })),
      },
      { title: 'PayoutProfessionalIncomeTaxpayer' },
    ),
  },
  { title: 'PayoutFiscalizationDetails' },
);

/** A payout; v1 names the destination payment_method, v2 payout_details (one schema per version). */
function payout(version: 'v1' | 'v2'): TSchema {
  const destination: Record<string, TSchema> = version === 'v1' ? { payment_method: MaskedPaymentMethod } : { payout_details: MaskedPaymentMethod };
  return Type.Object(
    {
      id: Type.String({ examples: ['po_3230'] }),
      status: OPERATION_STATUS,
      created_at: Timestamp,
      updated_at: Timestamp,
      finished_at: Type.Optional(Timestamp),
      customer: Type.Optional(Customer),
      ...destination,
      amount_details: Type.Optional(Money),
      amounts: Type.Optional(Amounts),
      participant_details: Type.Optional(ParticipantDetails),
      transaction_info: Type.Optional(TransactionInfo),
      fiscalization_details: Type.Optional(FiscalizationDetailsOut),
      refunds: Type.Optional(Type.Array(Refund, { description: 'A returned payout: the money that came back' })),
      metadata: Type.Optional(Metadata),
      error: Type.Optional(OperationError),
    },
    { title: version === 'v1' ? 'Payout' : 'PayoutV2', description: `A payout (v${version.slice(1)} shape)` },
  );
}

export const Payout = payout('v1');
export const PayoutV2 = payout('v2');
