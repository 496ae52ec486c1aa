import type { AmountDetails, ErrorObject } from './types/common.js';
import type * as R from './types/responses.js';

/**
 * The field names of each response type, as a runtime list the compiler holds to the type: a list
 * must name every key of its type (of every member, for a union) and nothing else, or this file
 * does not compile. With `unknownFields` a test (ours, or a partner's contract test) finds any
 * field a real answer carries that the SDK's types do not declare: a server newer than its SDK.
 */
type AllKeys<T> = T extends unknown ? keyof T & string : never;

const fieldsOf =
  <T>() =>
  <const K extends readonly AllKeys<T>[]>(keys: K & ([AllKeys<T>] extends [K[number]] ? unknown : { missing: Exclude<AllKeys<T>, K[number]> })): readonly string[] =>
    keys;

/** For each type: its fields, and the type of each field that is itself an object (`[]`: a list of it). */
export interface WireType {
  readonly fields: readonly string[];
  readonly nested?: Readonly<Record<string, string>>;
}

const amounts = { gross: 'AmountDetails', net: 'AmountDetails', fee: 'Fee' };
const operation = { amount_details: 'AmountDetails', amounts: 'Amounts', error: 'ErrorObject', transaction_info: 'TransactionInfo', refunds: 'Refund[]', revenue_split_info: 'RevenueSplitShare[]' };

export const WIRE_TYPES: Readonly<Record<string, WireType>> = {
  AmountDetails: { fields: fieldsOf<AmountDetails>()(['amount', 'currency']) },
  ErrorObject: { fields: fieldsOf<ErrorObject>()(['code', 'description']) },
  Amounts: { fields: fieldsOf<R.Amounts>()(['gross', 'net', 'fee']), nested: amounts },
  Fee: { fields: fieldsOf<R.Amounts['fee']>()(['merchant_fee']), nested: { merchant_fee: 'AmountDetails' } },
  TransactionInfo: { fields: fieldsOf<R.TransactionInfo>()(['rrn', 'auth_code', 'fp_message_id']) },
  RecurrentToken: { fields: fieldsOf<R.RecurrentToken>()(['token', 'created_at', 'finished_at', 'is_active', 'type']) },
  RevenueSplitShare: { fields: fieldsOf<R.RevenueSplitShare>()(['contractor_alias', 'percent', 'remains', 'amount']), nested: { amount: 'AmountDetails' } },
  MaskedCard: { fields: fieldsOf<R.MaskedCard>()(['last4', 'brand', 'bin', 'country_iso3', 'card_id']) },
  MaskedPaymentDetails: {
    fields: fieldsOf<R.MaskedPaymentDetails>()(['type', 'card', 'secured_card', 'recurrent', 'internet_banking', 'wallet']),
    nested: { card: 'MaskedCard' },
  },
  MaskedPaymentMethod: { fields: fieldsOf<R.MaskedPaymentMethod>()(['type', 'card', 'bank_account', 'wallet']) },
  CustomerInteraction: { fields: fieldsOf<R.CustomerInteraction>()(['type', 'redirect', 'inform']) },
  Refund: {
    fields: fieldsOf<R.Refund>()(['id', 'status', 'created_at', 'finished_at', 'is_chargeback', 'amount_details', 'amounts', 'revenue_split_info', 'metadata', 'error']),
    nested: operation,
  },
  Payment: {
    fields: fieldsOf<R.Payment>()([
      'id', 'status', 'created_at', 'updated_at', 'finished_at', 'customer', 'payment_details', 'amount_details', 'amounts', 'participant_details',
      'payment_options', 'customer_interaction', 'transaction_info', 'recurrent', 'refunds', 'revenue_split_info', 'metadata', 'error',
    ]),
    nested: { ...operation, payment_details: 'MaskedPaymentDetails', customer_interaction: 'CustomerInteraction', recurrent: 'RecurrentToken' },
  },
  PayoutV1: {
    fields: fieldsOf<R.PayoutV1>()([
      'id', 'status', 'created_at', 'updated_at', 'finished_at', 'customer', 'payment_method', 'amount_details', 'amounts', 'participant_details',
      'transaction_info', 'fiscalization_details', 'refunds', 'metadata', 'error',
    ]),
    nested: { ...operation, payment_method: 'MaskedPaymentMethod' },
  },
  PayoutV2: {
    fields: fieldsOf<R.PayoutV2>()([
      'id', 'status', 'created_at', 'updated_at', 'finished_at', 'customer', 'payout_details', 'amount_details', 'amounts', 'participant_details',
      'transaction_info', 'fiscalization_details', 'refunds', 'metadata', 'error',
    ]),
    nested: { ...operation, payout_details: 'MaskedPaymentMethod' },
  },
  SessionV1: {
    fields: fieldsOf<R.SessionV1>()(['id', 'status', 'created_at', 'updated_at', 'finished_at', 'next_action', 'error', 'acquiring_payments', 'payments']),
    nested: { error: 'ErrorObject', acquiring_payments: 'Payment[]', payments: 'PayoutV1[]' },
  },
  SessionV2: {
    fields: fieldsOf<R.SessionV2>()(['id', 'status', 'created_at', 'updated_at', 'finished_at', 'next_action', 'error', 'payment_list', 'payout_list']),
    nested: { error: 'ErrorObject', payment_list: 'Payment[]', payout_list: 'PayoutV2[]' },
  },
  SessionResponseV1: { fields: fieldsOf<R.SessionResponse<'v1'>>()(['status', 'session']), nested: { session: 'SessionV1' } },
  SessionResponseV2: { fields: fieldsOf<R.SessionResponse<'v2'>>()(['status', 'session']), nested: { session: 'SessionV2' } },
  WebhookEventV1: { fields: fieldsOf<R.WebhookEvent<'v1'>>()(['type', 'session']), nested: { session: 'SessionV1' } },
  WebhookEventV2: { fields: fieldsOf<R.WebhookEvent<'v2'>>()(['type', 'session']), nested: { session: 'SessionV2' } },
  Wallet: { fields: fieldsOf<R.Wallet>()(['id', 'amount_details']), nested: { amount_details: 'AmountDetails' } },
  WalletBalanceResponse: { fields: fieldsOf<R.WalletBalanceResponse>()(['status', 'wallets']), nested: { wallets: 'Wallet[]' } },
  FpsBank: { fields: fieldsOf<R.FpsBank>()(['id', 'eng_name', 'ru_name']) },
  FpsBanksResponse: { fields: fieldsOf<R.FpsBanksResponse>()(['status', 'banks']), nested: { banks: 'FpsBank[]' } },
  PublicTokenResponse: { fields: fieldsOf<R.PublicTokenResponse>()(['status', 'public_token']) },
  RequestLogEntry: {
    fields: fieldsOf<R.RequestLogEntry>()(['id', 'at', 'api_version', 'method', 'http_method', 'path', 'http_status', 'error_code', 'latency_ms', 'idempotency_key', 'request_id']),
  },
  RequestLogResponse: { fields: fieldsOf<R.RequestLogResponse>()(['status', 'requests', 'cursor']), nested: { requests: 'RequestLogEntry[]' } },
  StreamedWebhook: { fields: fieldsOf<R.StreamedWebhook>()(['id', 'seq', 'type', 'session_id', 'created_at', 'delivery_state', 'signature', 'body']) },
  ErrorEnvelope: { fields: ['status', 'error'], nested: { error: 'ErrorObject' } },
};

/**
 * The paths (`session.acquiring_payments[0].amounts.fee`) of every field of `value` that the type
 * named `typeName` (a key of WIRE_TYPES) does not declare, looking into nested objects it knows.
 */
export function unknownFields(value: unknown, typeName: string, path = '$'): string[] {
  const type = WIRE_TYPES[typeName];
  if (!type) throw new Error(`unknownFields: no wire type ${typeName}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path} (not an object)`];
  const out: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (!type.fields.includes(key)) {
      out.push(`${path}.${key}`);
      continue;
    }
    const inner = type.nested?.[key];
    if (inner === undefined || v === undefined || v === null) continue;
    if (inner.endsWith('[]')) {
      if (!Array.isArray(v)) out.push(`${path}.${key} (not a list)`);
      else v.forEach((item, i) => out.push(...unknownFields(item, inner.slice(0, -2), `${path}.${key}[${i}]`)));
    } else out.push(...unknownFields(v, inner, `${path}.${key}`));
  }
  return out;
}
