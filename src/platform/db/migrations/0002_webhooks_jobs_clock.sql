-- Webhooks (a transactional outbox with its delivery log), timed jobs, and the sandbox clock.

ALTER TABLE projects
  ADD COLUMN webhook_max_attempts integer NOT NULL DEFAULT 12 CHECK (webhook_max_attempts BETWEEN 1 AND 100),
  ADD COLUMN webhook_max_age_seconds integer NOT NULL DEFAULT 1800 CHECK (webhook_max_age_seconds BETWEEN 1 AND 2592000);

-- One row per webhook, written in the same transaction as the state change that causes it.
-- `body` holds the exact bytes that are signed and sent, rendered once for the project's API version.
-- state: pending (waiting for its next attempt, or being attempted under a lease),
--        delivered (a 2xx came back), failed (the retry schedule gave up; can be resent).
CREATE TABLE webhooks (
  id text PRIMARY KEY,
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  project_id bigint NOT NULL REFERENCES projects (id),
  session_id text NOT NULL,
  type text NOT NULL CHECK (type IN ('ready_to_confirm', 'ready_to_capture', 'action_required', 'payment_finished', 'payment_refunded')),
  body text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  -- the retry schedule's age limit counts from here (creation, or the last resend)
  cycle_started_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  delivered_at timestamptz,
  last_error text,
  locked_by text,
  locked_until timestamptz
);
CREATE INDEX webhooks_due ON webhooks (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhooks_session ON webhooks (session_id, seq);
CREATE INDEX webhooks_project_created ON webhooks (project_id, created_at);

CREATE TABLE webhook_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  webhook_id text NOT NULL REFERENCES webhooks (id),
  attempted_at timestamptz NOT NULL,
  url text,
  http_status integer,
  latency_ms integer NOT NULL,
  response_excerpt text,
  error text
);
CREATE INDEX webhook_attempts_webhook ON webhook_attempts (webhook_id, id);

-- Timed work (timeouts, expiries, settlement, housekeeping), claimed with FOR UPDATE SKIP LOCKED.
-- A job row exists while the work is due or running; it is deleted when its handler succeeds.
CREATE TABLE jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL,
  payload jsonb NOT NULL,
  -- at most one pending job per key (e.g. one confirm timeout per session)
  unique_key text UNIQUE,
  run_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 10,
  last_error text,
  locked_by text,
  locked_until timestamptz,
  created_at timestamptz NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at);

-- The sandbox clock: real time plus an offset that only grows, shared by every instance.
CREATE TABLE sandbox_clock (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  offset_ms bigint NOT NULL CHECK (offset_ms >= 0)
);
INSERT INTO sandbox_clock (singleton, offset_ms) VALUES (true, 0);
