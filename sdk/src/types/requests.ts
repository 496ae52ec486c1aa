import type { AmountDetails, ApiVersion, Customer, Metadata, ParticipantDetails, PaymentOptions, RevenueSplitItem } from './common.js';
import type { FiscalizationDetails, PaymentDetails, PaymentMethod } from './sources.js';

/**
 * Request bodies, one per method (§5), after the server's schemas (src/edge/wire/*.schema.ts). The
 * payout destination is the one field whose name depends on the version: `Destination<V>` is
 * `{ payment_method }` on v1 and `{ payout_details }` on v2.
 */

export type Destination<V extends ApiVersion> = V extends 'v2' ? { payout_details?: PaymentMethod } : { payment_method?: PaymentMethod };

export interface SessionId {
  session_id: string;
}

export type CreateSessionRequest<V extends ApiVersion = 'v1'> = Destination<V> & {
  payment_details?: PaymentDetails;
  amount_details?: AmountDetails;
  participant_details?: ParticipantDetails;
  customer?: Customer;
  payment_options?: PaymentOptions;
  metadata?: Metadata;
  revenue_split_info?: RevenueSplitItem[];
};

export interface InitPaymentRequest {
  payment_details: PaymentDetails;
  amount_details: AmountDetails;
  customer: Customer;
  participant_details?: ParticipantDetails;
  payment_options?: PaymentOptions;
  metadata?: Metadata;
  revenue_split_info?: RevenueSplitItem[];
}

/** What session/create left out must come here; what comes here overrides it. */
export interface StartPaymentRequest extends Partial<InitPaymentRequest>, SessionId {}

export type InitPayoutRequest<V extends ApiVersion = 'v1'> = Destination<V> & {
  amount_details: AmountDetails;
  participant_details?: ParticipantDetails;
  customer?: Customer;
  metadata?: Metadata;
};

export type StartPayoutRequest<V extends ApiVersion = 'v1'> = Destination<V> &
  SessionId & {
    amount_details?: AmountDetails;
    participant_details?: ParticipantDetails;
    customer?: Customer;
    metadata?: Metadata;
  };

export type InitPayoutFiscalizationRequest<V extends ApiVersion = 'v1'> = InitPayoutRequest<V> & { fiscalization_details: FiscalizationDetails };
export type StartPayoutFiscalizationRequest<V extends ApiVersion = 'v1'> = StartPayoutRequest<V> & { fiscalization_details: FiscalizationDetails };

export interface ConfirmRequest extends SessionId {
  /** Bank 131 extension; accepted and ignored. */
  confirm_information?: unknown;
}
export type CancelRequest = SessionId;
export interface CaptureRequest extends SessionId {
  /** A part of one hold; without it every hold is captured in full. */
  amount_details?: AmountDetails;
}
export interface RefundRequest extends SessionId {
  /** A part; without it what is left is refunded in full. */
  amount_details?: AmountDetails;
  metadata?: Metadata;
}
export type ChargebackRequest = SessionId;
export type StatusRequest = SessionId;

/** session/multi/init: several payments and payouts in one new session, all or nothing. */
export interface MultiInitRequest<V extends ApiVersion = 'v1'> {
  payment_list?: InitPaymentRequest[];
  payout_list?: InitPayoutRequest<V>[];
}

export type FpsCustomerVerificationRequest<V extends ApiVersion = 'v1'> = SessionId &
  (V extends 'v2' ? { payout_details: PaymentMethod } : { payment_method: PaymentMethod }) & { participant_details: ParticipantDetails };

export interface WalletBalanceRequest {
  /** ISO 8601 date-time, e.g. new Date().toISOString(). */
  request_datetime: string;
}

type Flag = boolean | 'true' | 'false';
type Locale = 'en' | 'ru';
export interface PublicTokenRequest {
  tokenize_widget?: { access?: Flag; locale?: Locale };
  acquiring_widget?: {
    session_id: string;
    locale?: Locale;
    show_recurrent_checkbox?: Flag;
    success_return_url?: string;
    failure_return_url?: string;
    success_on_hold?: Flag;
  };
  fps_no_account_widget?: { session_id: string };
  self_employed_widget?: { tax_reference: string };
}

/** /cds/v1/tokenize/card: the card a payer typed (the number never reaches the partner's server in a widget flow). */
export interface TokenizeCardRequest {
  card: { number: string; expiration_month: string; expiration_year: string; security_code?: string };
}

export type TokenInfoRequest =
  | { type: 'card'; card: { type?: string; encrypted_card: { number_hash: string } } }
  | { type: 'public_token'; public_token: { token: string } }
  | { type: 'recurrent_token'; recurrent_token: { token: string } };

export interface RecurrentRequest {
  recurrent: { token: string };
}

export interface SubscriptionRequest {
  subscription_id: string;
}

export interface SberPayPushRequest {
  /** 10 to 15 digits, optionally after a + */
  phone: string;
  session_id: string;
}

export interface RequestLogRequest {
  /** A cursor from an earlier answer; without it, the newest `limit` requests. */
  after?: string;
  /** 1 to 500, default 100. */
  limit?: number;
}

export interface EventStreamRequest {
  /** The `resume_after` of the last event handled; without it, only webhooks written from now on. */
  after?: string;
}
