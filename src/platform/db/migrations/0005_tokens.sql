-- Card vault additions, public tokens for widgets and the payment page, recurrent tokens.

-- Tokenized cards keep their expiry (cardholder data, stored alongside the sealed number), so a
-- payment by token can be authorized without asking again. The security code is never kept.
ALTER TABLE cards ADD COLUMN expiration_month text, ADD COLUMN expiration_year text;

-- Smart Glocal shows card_id "on request" (§6.7): a project setting, off by default.
ALTER TABLE projects ADD COLUMN card_id_enabled boolean NOT NULL DEFAULT false;

-- Public tokens (§5.12): 24 hours, one operation. `attempts` counts tokenization tries (rate limit).
CREATE TABLE public_tokens (
  token text PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects (id),
  kind text NOT NULL CHECK (kind IN ('tokenize_widget', 'acquiring_widget', 'fps_no_account_widget')),
  params json NOT NULL,
  session_id text REFERENCES sessions (id),
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);

-- Recurrent tokens (§6.2, §8): issued by a successful payment with payment_options.recurrent.
CREATE TABLE recurrent_tokens (
  token text PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects (id),
  card_id text NOT NULL REFERENCES cards (id),
  payment_id text NOT NULL REFERENCES payments (id),
  created_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  disabled_at timestamptz
);

ALTER TABLE payments ADD COLUMN recurrent_token text REFERENCES recurrent_tokens (token) DEFERRABLE INITIALLY DEFERRED;
-- A payment charged with a recurrent token: who started it (merchant: MIT, client: CIT).
ALTER TABLE payments ADD COLUMN initiator text CHECK (initiator IN ('merchant', 'client'));
