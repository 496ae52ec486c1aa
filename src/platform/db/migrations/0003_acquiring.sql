-- Card acquiring: payments (money in), their refunds, and the sandbox processor's own ledger of
-- operations (which makes every processor call idempotent by operation id).

-- Why a session ended without an operation (session/cancel on a created session).
ALTER TABLE sessions ADD COLUMN cancelled_at timestamptz;
-- Partner-supplied objects are echoed back: json keeps their key order exactly, jsonb would sort it.
ALTER TABLE sessions ALTER COLUMN params TYPE json USING params::json;

-- How long a hold (delayed capture) waits for session/capture before it is released: 5 days by default (§5.8).
ALTER TABLE projects ADD COLUMN hold_period_seconds integer NOT NULL DEFAULT 432000 CHECK (hold_period_seconds BETWEEN 60 AND 2592000);

CREATE TABLE payments (
  id text PRIMARY KEY,
  session_id text NOT NULL REFERENCES sessions (id),
  project_id bigint NOT NULL REFERENCES projects (id),
  -- The internal lifecycle (see src/payments/payment.status.ts); the spec's status is derived from it.
  stage text NOT NULL CHECK (stage IN ('prechecking', 'awaiting_confirm', 'authorizing', 'awaiting_3ds', 'completing_3ds',
                                       'awaiting_capture', 'capturing', 'voiding', 'succeeded', 'failed')),
  amount bigint NOT NULL CHECK (amount > 0),
  currency text NOT NULL,
  captured_amount bigint NOT NULL DEFAULT 0 CHECK (captured_amount >= 0 AND captured_amount <= amount),
  refunded_amount bigint NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= captured_amount),
  hold boolean NOT NULL DEFAULT false,
  -- What start/init stored: card data is a vault reference (a security code only sealed, and only until authorization).
  payment_details json NOT NULL,
  customer json,
  participant_details json,
  payment_options json,
  metadata json,
  -- Set once the processor has looked at the card (the masked card then shows its BIN).
  card_checked boolean NOT NULL DEFAULT false,
  transaction_info json,
  customer_interaction json,
  -- The hosted 3-D Secure page's unguessable id, and the payer's answer there.
  tds_id text UNIQUE,
  tds_result text CHECK (tds_result IN ('confirmed', 'failed')),
  capture_amount bigint,
  error_code text,
  error_description text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE INDEX payments_session ON payments (session_id, created_at);

CREATE TABLE refunds (
  id text PRIMARY KEY,
  payment_id text NOT NULL REFERENCES payments (id),
  session_id text NOT NULL REFERENCES sessions (id),
  project_id bigint NOT NULL REFERENCES projects (id),
  status text NOT NULL CHECK (status IN ('in_progress', 'accepted', 'declined', 'error')),
  amount bigint NOT NULL CHECK (amount > 0),
  currency text NOT NULL,
  is_chargeback boolean NOT NULL DEFAULT false,
  metadata json,
  error_code text,
  error_description text,
  created_at timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE INDEX refunds_payment ON refunds (payment_id, created_at);

-- The simulated card network's memory: one row per operation id. Asking again with the same id
-- returns the stored answer, as a real network does for a repeated transaction reference, so a
-- resumed payment never authorizes, captures or refunds twice.
CREATE TABLE sandbox_processor_ops (
  operation_id text PRIMARY KEY,
  kind text NOT NULL,
  result jsonb NOT NULL,
  created_at timestamptz NOT NULL
);
