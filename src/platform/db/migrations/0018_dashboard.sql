-- The operator's dashboard (docs/dashboard.md): an index for every filter of its session search,
-- for the overview's 24-hour counts, for a session's ledger entries, and the history of every
-- status change, which no table kept before.

-- Sessions, newest first, paged by (created_at, id): no filter or a date range alone; the status
-- filter with and without a project (the project filter alone is sessions_project_created, 0001).
CREATE INDEX sessions_created_id ON sessions (created_at, id);
CREATE INDEX sessions_status_created ON sessions (status, created_at, id);
CREATE INDEX sessions_project_status_created ON sessions (project_id, status, created_at, id);

-- Free-text search over metadata values (words and numbers, the `simple` configuration: no
-- stemming, no stop words), wherever the partner gave it: session/create and session/init/* keep
-- it in the session's params, session/start/* on the operation. Partial: most rows carry none.
CREATE INDEX sessions_metadata_text ON sessions
  USING gin (jsonb_to_tsvector('simple', (params -> 'metadata')::jsonb, '["string", "numeric"]'))
  WHERE params -> 'metadata' IS NOT NULL;
CREATE INDEX payments_metadata_text ON payments
  USING gin (jsonb_to_tsvector('simple', metadata::jsonb, '["string", "numeric"]'))
  WHERE metadata IS NOT NULL;
CREATE INDEX payouts_metadata_text ON payouts
  USING gin (jsonb_to_tsvector('simple', metadata::jsonb, '["string", "numeric"]'))
  WHERE metadata IS NOT NULL;

-- The overview: operations and delivery attempts of the last 24 hours.
CREATE INDEX payments_created ON payments (created_at);
CREATE INDEX payouts_created ON payouts (created_at);
CREATE INDEX webhook_attempts_attempted ON webhook_attempts (attempted_at);

-- A session's ledger entries are found by their reference (the operation's id); the unique
-- (kind, reference) index leads with kind.
CREATE INDEX ledger_entries_reference ON ledger_entries (reference);

-- Every status change of a session and of its operations, for the session page's timeline.
-- Written by triggers, so every writer (any instance, any code path) records it in the same
-- transaction as the change, and the state machines keep their one mover. `at` is the row's own
-- time (the sandbox clock's, as the domain stamped it), not the database's now().
CREATE TABLE operation_transitions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('session', 'payment', 'payout', 'refund')),
  object_id text NOT NULL,
  from_status text,
  to_status text NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX operation_transitions_session ON operation_transitions (session_id, id);

CREATE FUNCTION record_operation_transition() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  sid text;
  old_status text;
  new_status text;
  stamped timestamptz;
BEGIN
  -- Each branch names only its own table's columns: a trigger function is planned per table.
  IF TG_TABLE_NAME = 'sessions' THEN
    sid := NEW.id;
    new_status := NEW.status;
    stamped := NEW.updated_at;
    IF TG_OP = 'UPDATE' THEN old_status := OLD.status; END IF;
  ELSIF TG_TABLE_NAME = 'refunds' THEN
    sid := NEW.session_id;
    new_status := NEW.status;
    stamped := coalesce(NEW.finished_at, NEW.created_at);
    IF TG_OP = 'UPDATE' THEN old_status := OLD.status; END IF;
  ELSE
    sid := NEW.session_id;
    new_status := NEW.stage;
    stamped := NEW.updated_at;
    IF TG_OP = 'UPDATE' THEN old_status := OLD.stage; END IF;
  END IF;
  IF TG_OP = 'UPDATE' AND old_status IS NOT DISTINCT FROM new_status THEN RETURN NULL; END IF;
  INSERT INTO operation_transitions (session_id, kind, object_id, from_status, to_status, at)
  VALUES (
    sid,
    CASE TG_TABLE_NAME WHEN 'sessions' THEN 'session' WHEN 'payments' THEN 'payment' WHEN 'payouts' THEN 'payout' ELSE 'refund' END,
    NEW.id, old_status, new_status, stamped
  );
  RETURN NULL;
END
$$;

CREATE TRIGGER sessions_transitions AFTER INSERT OR UPDATE OF status ON sessions
  FOR EACH ROW EXECUTE FUNCTION record_operation_transition();
CREATE TRIGGER payments_transitions AFTER INSERT OR UPDATE OF stage ON payments
  FOR EACH ROW EXECUTE FUNCTION record_operation_transition();
CREATE TRIGGER payouts_transitions AFTER INSERT OR UPDATE OF stage ON payouts
  FOR EACH ROW EXECUTE FUNCTION record_operation_transition();
CREATE TRIGGER refunds_transitions AFTER INSERT OR UPDATE OF status ON refunds
  FOR EACH ROW EXECUTE FUNCTION record_operation_transition();
