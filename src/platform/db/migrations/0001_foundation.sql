-- Foundation: partner projects and their keys, payment sessions, idempotency, and keys at rest.

-- A project is a partner account; `name` is the X-PARTNER-PROJECT header value.
CREATE TABLE projects (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
  webhook_url text,
  auto_confirm boolean NOT NULL DEFAULT false,
  allow_partial_refunds boolean NOT NULL DEFAULT false,
  api_version text NOT NULL DEFAULT 'v1' CHECK (api_version IN ('v1', 'v2')),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Several active keys per project let a partner rotate without downtime. Deleting a key stamps
-- revoked_at; the row stays so that audits can name the key that signed an old request.
CREATE TABLE project_keys (
  id text PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects (id),
  public_key_pem text NOT NULL,
  fingerprint text NOT NULL,
  created_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE UNIQUE INDEX project_keys_active_fingerprint ON project_keys (project_id, fingerprint) WHERE revoked_at IS NULL;

-- Bumped on every change to a project or its keys, so every instance can notice in one cheap query.
CREATE TABLE project_changes (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version bigint NOT NULL
);
INSERT INTO project_changes (singleton, version) VALUES (true, 0);

CREATE TABLE sessions (
  id text PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects (id),
  status text NOT NULL CHECK (status IN ('created', 'in_progress', 'accepted', 'cancelled', 'error')),
  next_action text CHECK (next_action IN ('confirm', 'capture')),
  -- What session/create (and later a start) stored for the operation, card data already replaced
  -- by a vault reference: never a full card number or a security code.
  params jsonb NOT NULL,
  error_code text,
  error_description text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE INDEX sessions_project_created ON sessions (project_id, created_at);

-- X-PARTNER-IDEMPOTENCY-KEY records. A key is claimed (in_flight) before the method runs and
-- completed (done, with the exact response bytes) in the same transaction as the method's writes.
CREATE TABLE idempotency_keys (
  project_id bigint NOT NULL REFERENCES projects (id),
  key text NOT NULL,
  request_hash text NOT NULL,
  state text NOT NULL CHECK (state IN ('in_flight', 'done')),
  response_status integer,
  response_body text,
  locked_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (project_id, key),
  CHECK ((state = 'done') = (response_body IS NOT NULL))
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Data keys (AES-256) wrapped by the master key. Rotating the master key rewrites `wrapped` only.
CREATE TABLE data_keys (
  purpose text PRIMARY KEY CHECK (purpose IN ('card', 'card_hash', 'server_key')),
  wrapped text NOT NULL,
  created_at timestamptz NOT NULL
);

-- The server's RSA key pair for signing webhooks, shared by every instance on this database.
CREATE TABLE server_keys (
  id text PRIMARY KEY,
  public_key_pem text NOT NULL,
  private_key_sealed text NOT NULL,
  created_at timestamptz NOT NULL
);

-- The card vault: the only place a full card number lives, sealed with AES-256-GCM.
CREATE TABLE cards (
  id text PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects (id),
  number_hash text NOT NULL,
  number_sealed text NOT NULL,
  bin text NOT NULL,
  last4 text NOT NULL,
  brand text NOT NULL,
  created_at timestamptz NOT NULL,
  UNIQUE (project_id, number_hash)
);
