-- The double-entry ledger, fees, and payouts (money out).

-- Fees per project and operation type: {"payout": {"percent": 1.5, "fixed": 30}, "payment": {...}}.
ALTER TABLE projects ADD COLUMN fees json NOT NULL DEFAULT '{}';

-- Accounts per project and currency. `balance` is the running sum of the account's postings, kept
-- in the same transaction as every posting; a payout wallet can never go below zero.
-- kind: wallet (prefunded by the partner, pays payouts), reserved (payouts confirmed, not settled),
--       acquiring_settlement (captured payments owed to the partner), fees (what payrail earned),
--       external_topup / external_card_network / external_bank_rails (the outside world's side).
CREATE TABLE ledger_accounts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects (id),
  kind text NOT NULL CHECK (kind IN ('wallet', 'reserved', 'acquiring_settlement', 'fees', 'external_topup', 'external_card_network', 'external_bank_rails')),
  currency text NOT NULL,
  balance bigint NOT NULL DEFAULT 0,
  UNIQUE (project_id, kind, currency),
  CHECK (kind <> 'wallet' OR balance >= 0)
);

-- One journal entry per money event; `(kind, reference)` is unique, so an event is booked once even
-- when the step that books it runs twice. Entries and postings are never updated or deleted.
CREATE TABLE ledger_entries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects (id),
  kind text NOT NULL,
  reference text NOT NULL,
  description text NOT NULL,
  booked_at timestamptz NOT NULL,
  UNIQUE (kind, reference)
);

CREATE TABLE ledger_postings (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  entry_id bigint NOT NULL REFERENCES ledger_entries (id),
  account_id bigint NOT NULL REFERENCES ledger_accounts (id),
  amount bigint NOT NULL CHECK (amount <> 0),
  booked_at timestamptz NOT NULL
);
CREATE INDEX ledger_postings_account_time ON ledger_postings (account_id, booked_at);
CREATE INDEX ledger_postings_entry ON ledger_postings (entry_id);

CREATE TABLE payouts (
  id text PRIMARY KEY,
  session_id text NOT NULL REFERENCES sessions (id),
  project_id bigint NOT NULL REFERENCES projects (id),
  -- The internal lifecycle (src/payouts/payout.status.ts); the spec's status is derived from it.
  stage text NOT NULL CHECK (stage IN ('checking', 'awaiting_confirm', 'sending', 'settling', 'unknown', 'succeeded', 'failed')),
  -- 0 only for an FPS customer verification, which moves no money
  amount bigint NOT NULL CHECK (amount > 0 OR rail = 'fps_verification'),
  currency text NOT NULL,
  fee bigint NOT NULL DEFAULT 0 CHECK (fee >= 0),
  -- Which rail carries it (card, sepa, swift, us_ach, uk_fps, au_becs, br_pix, ru, fps, wallet) and,
  -- for card destinations, the vault reference.
  rail text NOT NULL,
  payment_method json NOT NULL,
  customer json,
  participant_details json,
  metadata json,
  transaction_info json,
  reserved boolean NOT NULL DEFAULT false,
  error_code text,
  error_description text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE INDEX payouts_session ON payouts (session_id, created_at);
CREATE INDEX payouts_project_finished ON payouts (project_id, finished_at);

-- The acquiring fee, fixed when the payment is captured.
ALTER TABLE payments ADD COLUMN fee bigint NOT NULL DEFAULT 0 CHECK (fee >= 0);

-- A payout returned by the recipient's bank shows as a refund on the payout (§9.2).
ALTER TABLE refunds ALTER COLUMN payment_id DROP NOT NULL;
ALTER TABLE refunds ADD COLUMN payout_id text REFERENCES payouts (id);
ALTER TABLE refunds ADD CONSTRAINT refunds_one_operation CHECK ((payment_id IS NULL) <> (payout_id IS NULL));
