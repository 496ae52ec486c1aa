import type { AmountDetails, ApiVersion, Customer, OperationError, Metadata, ParticipantDetails, PaymentOptions, SubscriptionPeriod } from './common.js';
import type { BankAccount, PayoutWallet, ProfessionalIncomeTaxpayer } from './sources.js';

/**
 * What the server answers and sends in webhooks (§6.1–6.4, §9), after its wire mappers
 * (src/edge/wire/*.wire.ts). v1 and v2 differ only in names: the payment list is
 * `acquiring_payments` (v1) / `payment_list` (v2), the payout list `payments` / `payout_list`, and a
 * payout's destination `payment_method` / `payout_details`. Card data is always masked.
 */

export type SessionStatus = 'created' | 'in_progress' | 'accepted' | 'cancelled' | 'error';
export type OperationStatus = 'in_progress' | 'pending' | 'succeeded' | 'failed';
export type RefundStatus = 'in_progress' | 'accepted' | 'declined' | 'error';
export type NextAction = 'confirm' | 'capture';

/** Gross, net and the merchant's fee of a succeeded (or, for a payout, reserved) operation. */
export interface Amounts {
  gross: AmountDetails;
  net: AmountDetails;
  fee: { merchant_fee: AmountDetails };
}

/** A card as responses show it: never the number. `bin` and `country_iso3` once the processor saw it. */
export interface MaskedCard {
  last4: string;
  brand: string;
  bin?: string;
  country_iso3?: string;
  /** Only where the project enabled card ids. */
  card_id?: string;
}

/** A payment's source as echoed back, card data masked. */
export type MaskedPaymentDetails =
  | { type: 'card'; card: MaskedCard }
  | { type: 'secured_card'; secured_card: { type: 'google_pay' | 'apple_pay'; card: MaskedCard } }
  | { type: 'recurrent'; recurrent: { token: string; initiator: 'merchant' | 'client' } }
  | { type: 'faster_payment_system' }
  | { type: 'internet_banking'; internet_banking: { type: string } }
  | { type: 'wallet'; wallet: { type: string } };

/** A payout's destination as echoed back: a card masked; accounts and wallets as sent. */
export type MaskedPaymentMethod =
  | { type: 'card'; card: { last4: string; brand: string; country_iso3: string; card_id?: string } }
  | { type: 'bank_account'; bank_account: BankAccount }
  | { type: 'wallet'; wallet: PayoutWallet };

/** What the payer must do (3-D Secure, a provider's page: redirect; an FPS QR code: inform). */
export type CustomerInteraction =
  /** payrail's redirects are GETs (its 3-D Secure page, a provider's page), with empty qs and params. */
  | { type: 'redirect'; redirect: { url: string; base_url: string; method: 'GET'; qs: Record<string, string>; params: Record<string, string> } }
  | { type: 'inform'; inform: { type: 'qr'; qr: { content: string; img: string } } };

export interface TransactionInfo {
  rrn?: string;
  auth_code?: string;
  fp_message_id?: string;
}

export interface RecurrentToken {
  token: string;
  created_at: string;
  finished_at: string;
  is_active: boolean;
  type: 'recurrent_token';
}

export interface RevenueSplitShare {
  contractor_alias: string;
  /** The share as asked, as a decimal string ("12.5"). */
  percent?: string;
  /** Present (true) on the share that took what the others left. */
  remains?: true;
  /** What the share resolved to. */
  amount: AmountDetails;
}

export interface Refund {
  id: string;
  status: RefundStatus;
  created_at: string;
  finished_at?: string;
  is_chargeback: boolean;
  amount_details: AmountDetails;
  amounts: Amounts;
  revenue_split_info?: RevenueSplitShare[];
  metadata?: Metadata;
  error?: OperationError;
}

/** A card (or other payer-side) payment: v1 `acquiring_payments[]`, v2 `payment_list[]`. */
export interface Payment {
  id: string;
  status: OperationStatus;
  created_at: string;
  updated_at: string;
  finished_at?: string;
  customer?: Customer;
  payment_details: MaskedPaymentDetails;
  amount_details: AmountDetails;
  amounts?: Amounts;
  participant_details?: ParticipantDetails;
  payment_options?: PaymentOptions;
  customer_interaction?: CustomerInteraction;
  transaction_info?: TransactionInfo;
  recurrent?: RecurrentToken;
  refunds?: Refund[];
  revenue_split_info?: RevenueSplitShare[];
  metadata?: Metadata;
  error?: OperationError;
}

/** A payout's fiscalization_details as answered: what was sent, and the tax service's receipt once registered. */
export interface PayoutFiscalizationDetails {
  professional_income_taxpayer: ProfessionalIncomeTaxpayer & { receipt?: { id: string; link?: string } };
}

interface PayoutBase {
  id: string;
  status: OperationStatus;
  created_at: string;
  updated_at: string;
  finished_at?: string;
  customer?: Customer;
  amount_details?: AmountDetails;
  amounts?: Amounts;
  participant_details?: ParticipantDetails;
  transaction_info?: TransactionInfo;
  fiscalization_details?: PayoutFiscalizationDetails;
  /** A payout the recipient's bank returned. */
  refunds?: Refund[];
  metadata?: Metadata;
  error?: OperationError;
}
export interface PayoutV1 extends PayoutBase {
  payment_method: MaskedPaymentMethod;
}
export interface PayoutV2 extends PayoutBase {
  payout_details: MaskedPaymentMethod;
}
/** A payout: v1 `payments[]` with `payment_method`, v2 `payout_list[]` with `payout_details`. */
export type Payout<V extends ApiVersion = 'v1'> = V extends 'v2' ? PayoutV2 : PayoutV1;

interface SessionBase {
  id: string;
  status: SessionStatus;
  created_at: string;
  updated_at: string;
  finished_at?: string;
  next_action?: NextAction;
  error?: OperationError;
}
export interface SessionV1 extends SessionBase {
  acquiring_payments?: Payment[];
  payments?: PayoutV1[];
}
export interface SessionV2 extends SessionBase {
  payment_list?: Payment[];
  payout_list?: PayoutV2[];
}
/** A payment session (§6.1); the operation lists are absent while empty. */
export type Session<V extends ApiVersion = 'v1'> = V extends 'v2' ? SessionV2 : SessionV1;

export interface SessionResponse<V extends ApiVersion = 'v1'> {
  status: 'ok';
  session: Session<V>;
}

export const WEBHOOK_TYPES = ['ready_to_confirm', 'ready_to_capture', 'action_required', 'payment_finished', 'payment_refunded'] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

/** A webhook body (§9): the whole session as it was at the change, in the creating call's version. */
export interface WebhookEvent<V extends ApiVersion = 'v1'> {
  type: WebhookType;
  session: Session<V>;
}

export interface Wallet {
  id: string;
  amount_details: { amount: number; currency: string };
}
export interface WalletBalanceResponse {
  status: 'ok';
  wallets: Wallet[];
}

export interface PublicTokenResponse {
  status: 'ok';
  public_token: string;
}

/** /cds/v1/tokenize/card's answer (it has no `status`). */
export interface TokenizeCardResponse {
  data: {
    /** The card's number_hash: pay with `{ type: 'encrypted_card', encrypted_card: { number_hash: token } }`. */
    token: string;
    info: { masked_card_number: string; card_type: string };
  };
}

/** What token/info knows of the card behind a token. */
export interface CardInfo {
  number_hash: string;
  brand: string;
  last4: string;
  country_iso3: string;
}
export interface WidgetInfo {
  is_active: boolean;
  used_at?: string;
  session_id?: string;
  tax_reference?: string;
  taxpayer_status?: string;
}
export type TokenInfo =
  | (CardInfo & { token: string; type: 'card'; card_id?: string })
  | (Partial<CardInfo> & { token: string; type: 'public_token'; created_at: string; finished_at: string; is_active: boolean; widgets: Record<string, WidgetInfo> })
  | (Partial<CardInfo> & RecurrentToken);
export interface TokenInfoResponse {
  status: 'ok';
  info: TokenInfo;
}

export interface RecurrentResponse {
  status: 'ok';
  recurrent: RecurrentToken;
}

export interface SubscriptionState {
  id: string;
  period: SubscriptionPeriod;
  initial: boolean;
  next_point?: string;
  retries_exceeded: boolean;
  is_active: boolean;
}
export interface SubscriptionResponse {
  status: 'ok';
  subscription: SubscriptionState;
}

export interface FpsBank {
  id: string;
  eng_name: string;
  ru_name: string;
}
export interface FpsBanksResponse {
  status: 'ok';
  banks: FpsBank[];
}

export interface OkResponse {
  status: 'ok';
}

/** One partner API request of the project's request log (payrail extension, `payrail logs tail`). */
export interface RequestLogEntry {
  id: string;
  at: string;
  api_version: string;
  method: string;
  http_method: string;
  path: string;
  http_status: number;
  error_code: string | null;
  latency_ms: number;
  idempotency_key: string | null;
  request_id: string;
}
export interface RequestLogResponse {
  status: 'ok';
  requests: RequestLogEntry[];
  /** Pass as `after` to read on. */
  cursor: string;
}

/** One webhook of the project's event stream (payrail extension, `payrail listen`). */
export interface StreamedWebhook {
  id: string;
  seq: string;
  type: WebhookType;
  session_id: string;
  created_at: string;
  delivery_state: string;
  /**
   * Where to resume: reconnect with `after` set to the last `resume_after` seen and skip the
   * `seq`s already handled; nothing written meanwhile is missed, not even a webhook that committed late.
   */
  resume_after: string;
  /** The server's X-PARTNER-SIGN of `body`: verify it with `webhooks.verify(body, signature)`. */
  signature: string;
  /** The exact webhook body bytes, as a string. */
  body: string;
}
