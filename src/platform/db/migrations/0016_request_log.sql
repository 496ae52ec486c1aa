-- Issue 13: `payrail listen` and `payrail logs tail`.

-- Every webhook a project's sessions cause is recorded, whether or not the project has a
-- webhook_url: `payrail listen` streams them from here. Without a URL at the time it is written the
-- row is 'no_endpoint': never attempted, never retried (a resend makes it 'pending' again).
ALTER TABLE webhooks DROP CONSTRAINT webhooks_state_check;
ALTER TABLE webhooks ADD CONSTRAINT webhooks_state_check CHECK (state IN ('pending', 'delivered', 'failed', 'no_endpoint'));
-- The listen stream's query: one project's webhooks after a cursor (seq), oldest first.
CREATE INDEX webhooks_project_seq ON webhooks (project_id, seq);

-- One row per partner API request (/api/v1, /api/v2; not /admin, not the payrail/* log readers
-- themselves). No bodies and no error descriptions: nothing a partner sent can land here, so no card
-- number can either. Written in batches by src/platform/request-log/request-log.writer.ts, pruned
-- after the retention (PAYRAIL_REQUEST_LOG_RETENTION).
CREATE TABLE request_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects (id),
  at timestamptz NOT NULL,
  api_version text NOT NULL,
  method text NOT NULL,
  http_method text NOT NULL,
  path text NOT NULL,
  http_status integer NOT NULL,
  error_code text,
  latency_ms integer NOT NULL,
  idempotency_key text,
  request_id text NOT NULL
);
-- "A project's requests after cursor", and the pruning by age.
CREATE INDEX request_log_project ON request_log (project_id, id);
CREATE INDEX request_log_at ON request_log (at);
