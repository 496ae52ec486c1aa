-- Idempotency keys of the admin API (X-PARTNER-IDEMPOTENCY-KEY on every mutating /admin call), with
-- the partner keys' shape and rules (platform/idempotency). `scope` is who holds the key: today the
-- one admin token ('admin').
CREATE TABLE admin_idempotency_keys (
  scope text NOT NULL,
  key text NOT NULL,
  request_hash text NOT NULL,
  state text NOT NULL CHECK (state IN ('in_flight', 'done')),
  response_status integer,
  response_body text,
  locked_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (scope, key),
  CHECK ((state = 'done') = (response_body IS NOT NULL))
);
CREATE INDEX admin_idempotency_keys_created ON admin_idempotency_keys (created_at);
