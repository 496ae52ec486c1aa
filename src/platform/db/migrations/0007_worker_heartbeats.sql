-- Workers announce themselves and beat every few seconds (src/platform/leases). A job or webhook
-- lease counts only while its holder's heartbeat is fresh, so a worker killed mid-job gives its work
-- back within seconds, not when the lease runs out; a live worker renews its job leases as it beats.
CREATE TABLE workers (
  id text PRIMARY KEY,
  started_at timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL
);

-- The dashboard and the lease checks find a worker's rows by holder.
CREATE INDEX jobs_locked_by ON jobs (locked_by) WHERE locked_by IS NOT NULL;
