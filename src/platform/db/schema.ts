import type { ColumnType, Insertable, Selectable } from 'kysely';

/** Table types: snake_case rows exactly as stored. Domain objects are mapped from these in *.repo.ts. */
type Timestamp = ColumnType<Date, Date, Date>;
/** bigint columns arrive as strings from both drivers; we keep them as strings for ids. */
type BigIntId = ColumnType<string, string | number | bigint, string | number | bigint>;

export interface ProjectsTable {
  id: ColumnType<string, never, never>;
  name: string;
  webhook_url: string | null;
  auto_confirm: boolean;
  allow_partial_refunds: boolean;
  api_version: 'v1' | 'v2';
  webhook_max_attempts: ColumnType<number, number | undefined, number>;
  webhook_max_age_seconds: ColumnType<number, number | undefined, number>;
  hold_period_seconds: ColumnType<number, number | undefined, number>;
  fees: ColumnType<unknown, string | undefined, string>;
  card_id_enabled: ColumnType<boolean, boolean | undefined, boolean>;
  contractors: ColumnType<unknown, string | undefined, string>;
  signature_max_age_seconds: ColumnType<number | null, number | null | undefined, number | null>;
  capture_mode: ColumnType<'auto' | 'manual', 'auto' | 'manual' | undefined, 'auto' | 'manual'>;
  /** Migration 0019: both null (no limit) or both set. */
  rate_limit_rps: ColumnType<number | null, number | null | undefined, number | null>;
  rate_limit_burst: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ProjectKeysTable {
  id: string;
  project_id: BigIntId;
  public_key_pem: string;
  fingerprint: string;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface ProjectChangesTable {
  singleton: boolean;
  version: BigIntId;
}

export interface SessionsTable {
  id: string;
  project_id: BigIntId;
  status: string;
  next_action: string | null;
  params: ColumnType<Record<string, unknown>, string, string>;
  error_code: string | null;
  error_description: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
  cancelled_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The API version of the call that created the session (migration 0014); null: the project's setting. */
  api_version: ColumnType<'v1' | 'v2' | null, 'v1' | 'v2' | null | undefined, 'v1' | 'v2' | null>;
}

export interface IdempotencyKeysTable {
  project_id: BigIntId;
  key: string;
  request_hash: string;
  state: 'in_flight' | 'done';
  response_status: number | null;
  response_body: string | null;
  locked_at: Timestamp;
  created_at: Timestamp;
}

export interface AdminIdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  state: 'in_flight' | 'done';
  response_status: number | null;
  response_body: string | null;
  locked_at: Timestamp;
  created_at: Timestamp;
}

export interface DataKeysTable {
  purpose: 'card' | 'card_hash' | 'server_key';
  wrapped: string;
  created_at: Timestamp;
}

export interface ServerKeysTable {
  id: string;
  public_key_pem: string;
  private_key_sealed: string;
  created_at: Timestamp;
}

export interface CardsTable {
  id: string;
  project_id: BigIntId;
  number_hash: string;
  number_sealed: string;
  bin: string;
  last4: string;
  brand: string;
  created_at: Timestamp;
  expiration_month: ColumnType<string | null, string | null | undefined, string | null>;
  expiration_year: ColumnType<string | null, string | null | undefined, string | null>;
}

export type WebhookType = 'ready_to_confirm' | 'ready_to_capture' | 'action_required' | 'payment_finished' | 'payment_refunded';
export type WebhookState = 'pending' | 'delivered' | 'failed' | 'no_endpoint';

export interface WebhooksTable {
  id: string;
  seq: ColumnType<string, never, never>;
  project_id: BigIntId;
  session_id: string;
  type: WebhookType;
  body: string;
  state: WebhookState;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  cycle_started_at: Timestamp;
  created_at: Timestamp;
  delivered_at: Timestamp | null;
  last_error: string | null;
  locked_by: string | null;
  locked_until: Timestamp | null;
}

export interface WebhookAttemptsTable {
  id: ColumnType<string, never, never>;
  webhook_id: string;
  attempted_at: Timestamp;
  url: string | null;
  http_status: number | null;
  latency_ms: number;
  response_excerpt: string | null;
  error: string | null;
}

/** One partner API request, without its body (migration 0016). */
export interface RequestLogTable {
  id: ColumnType<string, never, never>;
  project_id: BigIntId;
  at: Timestamp;
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

export interface JobsTable {
  id: ColumnType<string, never, never>;
  kind: string;
  payload: ColumnType<unknown, string, string>;
  unique_key: string | null;
  run_at: Timestamp;
  attempts: ColumnType<number, number | undefined, number>;
  max_attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  locked_by: string | null;
  locked_until: Timestamp | null;
  created_at: Timestamp;
}

export interface UsedSignaturesTable {
  project_id: BigIntId;
  digest: string;
  expires_at: Timestamp;
}

export interface WorkersTable {
  id: string;
  started_at: Timestamp;
  heartbeat_at: Timestamp;
}

export interface SandboxClockTable {
  singleton: boolean;
  offset_ms: BigIntId;
}

type Json<T = unknown> = ColumnType<T, string | null, string | null>;
type Money = ColumnType<string, number | string, number | string>;

export interface PaymentsTable {
  id: string;
  session_id: string;
  project_id: BigIntId;
  stage: string;
  amount: Money;
  currency: string;
  captured_amount: ColumnType<string, number | string | undefined, number | string>;
  hold: boolean;
  payment_details: ColumnType<unknown, string, string>;
  customer: Json;
  participant_details: Json;
  payment_options: Json;
  metadata: Json;
  card_checked: ColumnType<boolean, boolean | undefined, boolean>;
  transaction_info: Json;
  customer_interaction: Json;
  tds_id: string | null;
  tds_result: 'confirmed' | 'failed' | null;
  capture_amount: ColumnType<string | null, number | null | undefined, number | null>;
  fee: ColumnType<string, number | undefined, number>;
  recurrent_token: ColumnType<string | null, string | null | undefined, string | null>;
  initiator: ColumnType<'merchant' | 'client' | null, 'merchant' | 'client' | null | undefined, 'merchant' | 'client' | null>;
  revenue_split: ColumnType<unknown, string | null | undefined, string | null>;
  error_code: string | null;
  error_description: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface RefundsTable {
  id: string;
  payment_id: string | null;
  payout_id: ColumnType<string | null, string | null | undefined, string | null>;
  session_id: string;
  project_id: BigIntId;
  status: 'in_progress' | 'accepted' | 'declined' | 'error';
  amount: Money;
  currency: string;
  is_chargeback: ColumnType<boolean, boolean | undefined, boolean>;
  metadata: Json;
  revenue_split: Json;
  error_code: string | null;
  error_description: string | null;
  created_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface SandboxProcessorOpsTable {
  operation_id: string;
  kind: string;
  result: ColumnType<unknown, string, string>;
  created_at: Timestamp;
}

export interface LedgerAccountsTable {
  id: ColumnType<string, never, never>;
  project_id: BigIntId;
  kind: string;
  holder: ColumnType<string, string | undefined, string>;
  currency: string;
  balance: ColumnType<string, number | undefined, number>;
}

export interface LedgerEntriesTable {
  id: ColumnType<string, never, never>;
  project_id: BigIntId;
  kind: string;
  reference: string;
  description: string;
  booked_at: Timestamp;
}

export interface LedgerPostingsTable {
  id: ColumnType<string, never, never>;
  entry_id: BigIntId;
  account_id: BigIntId;
  amount: Money;
  booked_at: Timestamp;
}

export interface PayoutsTable {
  id: string;
  session_id: string;
  project_id: BigIntId;
  stage: string;
  amount: Money;
  currency: string;
  fee: Money;
  rail: string;
  payment_method: ColumnType<unknown, string, string>;
  customer: Json;
  participant_details: Json;
  metadata: Json;
  transaction_info: Json;
  reserved: ColumnType<boolean, boolean | undefined, boolean>;
  /** Migration 0013: a payout to a self-employed person (domain/payouts/fiscalization.ts). */
  fiscalization_details: ColumnType<unknown, string | null | undefined, string | null>;
  error_code: string | null;
  error_description: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface PublicTokensTable {
  token: string;
  project_id: BigIntId;
  kind: WidgetKind;
  params: ColumnType<Record<string, unknown>, string, string>;
  session_id: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  card_hash: ColumnType<string | null, string | null | undefined, string | null>;
}

export type WidgetKind = 'tokenize_widget' | 'acquiring_widget' | 'fps_no_account_widget' | 'self_employed_widget';

/** One widget of a public token (0012): its parameters and whether it was used. */
export interface PublicTokenWidgetsTable {
  token: string;
  widget: WidgetKind;
  params: ColumnType<Record<string, unknown>, string, string>;
  used_at: Timestamp | null;
}

export interface TaxpayerBindingsTable {
  project_id: BigIntId;
  tax_reference: string;
  status: 'bound' | 'declined';
  public_token: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SubscriptionsTable {
  id: string;
  project_id: BigIntId;
  payment_id: string;
  period: 'day' | 'week' | 'month' | 'year';
  status: 'active' | 'cancelled';
  anchor_at: Timestamp;
  next_point: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  cancelled_at: Timestamp | null;
}

export interface RecurrentTokensTable {
  token: string;
  project_id: BigIntId;
  /** Null for an FPS binding (source faster_payment_system): it charges an SBP account, not a card. */
  card_id: string | null;
  payment_id: string;
  created_at: Timestamp;
  finished_at: Timestamp;
  disabled_at: Timestamp | null;
  source: ColumnType<'card' | 'faster_payment_system', 'card' | 'faster_payment_system' | undefined, never>;
}

export interface Database {
  projects: ProjectsTable;
  project_keys: ProjectKeysTable;
  project_changes: ProjectChangesTable;
  sessions: SessionsTable;
  idempotency_keys: IdempotencyKeysTable;
  admin_idempotency_keys: AdminIdempotencyKeysTable;
  data_keys: DataKeysTable;
  server_keys: ServerKeysTable;
  cards: CardsTable;
  webhooks: WebhooksTable;
  webhook_attempts: WebhookAttemptsTable;
  request_log: RequestLogTable;
  jobs: JobsTable;
  sandbox_clock: SandboxClockTable;
  workers: WorkersTable;
  used_signatures: UsedSignaturesTable;
  payments: PaymentsTable;
  refunds: RefundsTable;
  sandbox_processor_ops: SandboxProcessorOpsTable;
  ledger_accounts: LedgerAccountsTable;
  ledger_entries: LedgerEntriesTable;
  ledger_postings: LedgerPostingsTable;
  payouts: PayoutsTable;
  public_tokens: PublicTokensTable;
  recurrent_tokens: RecurrentTokensTable;
  public_token_widgets: PublicTokenWidgetsTable;
  taxpayer_bindings: TaxpayerBindingsTable;
  subscriptions: SubscriptionsTable;
}

export type ProjectRow = Selectable<ProjectsTable>;
export type ProjectKeyRow = Selectable<ProjectKeysTable>;
export type SessionRow = Selectable<SessionsTable>;
export type NewSession = Insertable<SessionsTable>;
