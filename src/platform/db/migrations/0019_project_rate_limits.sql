-- Issue 14: per-project rate limits on the signed partner API (src/edge/http/rate-limit.ts).
-- Both NULL: no limit (the default). Otherwise the project may make rate_limit_rps requests per
-- second on average, and up to rate_limit_burst at once.
ALTER TABLE projects ADD COLUMN rate_limit_rps integer;
ALTER TABLE projects ADD COLUMN rate_limit_burst integer;
ALTER TABLE projects ADD CONSTRAINT projects_rate_limit_check CHECK (
  (rate_limit_rps IS NULL AND rate_limit_burst IS NULL)
  OR (rate_limit_rps BETWEEN 1 AND 1000000 AND rate_limit_burst BETWEEN 1 AND 1000000)
);
