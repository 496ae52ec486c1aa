import type { ApiErrorCode, OperationErrorCode } from '../codes.js';

/**
 * Objects shared by requests and responses (spec §6.5, §6.6, §6.9, §6.10). Written by hand after the
 * server's request schemas (src/edge/wire/objects.schema.ts) and its wire mappers; test/sdk.test.ts
 * reads these types with the TypeScript compiler and holds real answers and webhooks to them: a
 * field the server sends that is not declared, a required one it leaves out, or a value of another
 * type fails the test.
 */

export type ApiVersion = 'v1' | 'v2';

/** Any JSON value the partner chooses; the server stores and echoes it (at most 64 levels, 8 KiB). */
export type Metadata = unknown;

/** An amount in minor units (10000 = 100.00) and an ISO 4217 code (the server answers lower case). */
export interface AmountDetails {
  amount: number;
  currency: string;
}

export interface CustomerContact {
  email?: string;
  phone?: string;
}

export interface Customer {
  /** The payer's or recipient's id in the partner's system. */
  reference: string;
  contacts?: CustomerContact[];
}

export interface IdentityDocument {
  id_type?: string;
  id_number?: string;
  id_expiration_date?: string;
  issue_date?: string;
  division_code?: string;
  issued_by?: string;
}

export interface Participant {
  full_name?: string;
  first_name?: string;
  last_name?: string;
  middle_name?: string;
  company_name?: string;
  reference?: string;
  tax_reference?: string;
  country_iso2?: string;
  country_iso3?: string;
  city?: string;
  postal_code?: string;
  address_line?: string;
  street?: string;
  building?: string;
  flat?: string;
  state?: string;
  document?: string;
  account?: string;
  currency?: string;
  bank_name?: string;
  registration_number?: string;
  date_of_incorporation?: string;
  msisdn?: string;
  email?: string;
  code?: string;
  swift_bic_code?: string;
  description?: string;
  beneficiary_id?: string;
  wallet_id?: string;
  citizenship_country_iso_3?: string;
  /** YYYY-MM-DD */
  date_of_birth?: string;
  ipv4?: string;
  ipv6?: string;
  identity_document?: IdentityDocument;
}

export interface ParticipantDetails {
  sender?: Participant;
  recipient?: Participant;
}

export type SubscriptionPeriod = 'day' | 'week' | 'month' | 'year';

/**
 * payment_options.subscription: a request sends `period` alone; once the payment succeeds the
 * server echoes the subscription with its id, `initial`, `next_point` and `retries_exceeded`.
 */
export interface SubscriptionOption {
  period: SubscriptionPeriod;
  id?: string;
  initial?: boolean;
  next_point?: string;
  retries_exceeded?: boolean;
  unsubscribe_url?: string;
  provider_subscription_id?: string;
}

export interface PlatformDetails {
  type?: string;
  os?: string;
  browser?: string;
}

export interface PaymentOptions {
  return_url?: string;
  /** true: issue a recurrent token once the payment succeeds. */
  recurrent?: boolean;
  subscription?: SubscriptionOption;
  platform_details?: PlatformDetails;
  /** payrail: place a hold (delayed capture); the payment waits in ready_to_capture. */
  hold?: boolean;
}

/** A contractor's share of a split payment (§5.20): one of percent, amount or remains. */
export interface RevenueSplitItem {
  contractor_alias: string;
  percent?: string | number | null;
  amount?: AmountDetails;
  remains?: boolean | null;
}

/** Why an operation (payment, payout, refund) or a session failed: `error` on the operation or session. */
export interface OperationError {
  code: OperationErrorCode;
  description: string;
}

/** Why a call was refused: the `error` of the error envelope. */
export interface ApiErrorBody {
  code: ApiErrorCode;
  /** One sentence naming the field or the state at fault. */
  description: string;
}

/** Every refusal of the API: `{"status":"error","error":{"code","description"}}` (docs/errors.md). */
export interface ErrorEnvelope {
  status: 'error';
  error: ApiErrorBody;
}
