-- An optional replay guard per project (docs/security.md): with signature_max_age_seconds set, every
-- partner request carries X-PARTNER-TIMESTAMP, the signature covers `timestamp + "." + body`, the
-- timestamp must be within that many seconds of the server's time, and a signature is accepted once.
ALTER TABLE projects ADD COLUMN signature_max_age_seconds integer
  CHECK (signature_max_age_seconds BETWEEN 1 AND 3600);

-- The signatures accepted while they could still be replayed (until their timestamp leaves the window).
CREATE TABLE used_signatures (
  project_id bigint NOT NULL REFERENCES projects (id),
  digest text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (project_id, digest)
);
CREATE INDEX used_signatures_expires ON used_signatures (expires_at);
