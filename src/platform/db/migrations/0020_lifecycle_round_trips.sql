-- A lifecycle in fewer round trips (issue 12): the ledger's booking as one call, and job wake-ups
-- across instances.

-- One journal entry in one round trip, called only by domain/ledger (ledger.repo.ts bookEntry): it
-- creates the entry's accounts if missing, locks them in one fixed order (kind, holder, id) so no two
-- bookings deadlock, refuses a booking that would take the wallet below zero, writes the entry
-- (once per (kind, reference): a second booking of the same event books nothing), its postings,
-- and each account's running balance. The locks are held from here to COMMIT, so callers book as
-- late in their transaction as they can. Returns the outcome and, for insufficient_funds, the
-- wallet's balance.
CREATE FUNCTION payrail_book(
  p_project bigint, p_kind text, p_reference text, p_description text, p_currency text, p_at timestamptz,
  p_accounts text[], p_holders text[], p_amounts bigint[]
) RETURNS TABLE (outcome text, available bigint) LANGUAGE plpgsql AS $$
DECLARE
  v_wanted integer;
  v_found integer;
  v_wallet bigint;
  v_wallet_delta bigint;
  v_entry bigint;
BEGIN
  SELECT count(DISTINCT (k, h)) INTO v_wanted FROM unnest(p_accounts, p_holders) AS u(k, h);
  -- Missing accounts are created before any is locked: locking some, then others that sort before
  -- them, could deadlock with a booking that locks the whole set in order.
  SELECT count(*) INTO v_found FROM ledger_accounts a
  WHERE a.project_id = p_project AND a.currency = p_currency
    AND (a.kind, a.holder) IN (SELECT k, h FROM unnest(p_accounts, p_holders) AS u(k, h));
  IF v_found < v_wanted THEN
    INSERT INTO ledger_accounts (project_id, kind, holder, currency)
      SELECT DISTINCT p_project, k, h, p_currency FROM unnest(p_accounts, p_holders) AS u(k, h)
      ON CONFLICT (project_id, kind, currency, holder) DO NOTHING;
  END IF;
  PERFORM a.id FROM ledger_accounts a
  WHERE a.project_id = p_project AND a.currency = p_currency
    AND (a.kind, a.holder) IN (SELECT k, h FROM unnest(p_accounts, p_holders) AS u(k, h))
  ORDER BY a.kind, a.holder, a.id
  FOR UPDATE;
  SELECT sum(x) INTO v_wallet_delta FROM unnest(p_accounts, p_amounts) AS u(k, x) WHERE k = 'wallet';
  IF v_wallet_delta IS NOT NULL THEN
    SELECT balance INTO v_wallet FROM ledger_accounts
    WHERE project_id = p_project AND currency = p_currency AND kind = 'wallet' AND holder = '';
    IF v_wallet + v_wallet_delta < 0 THEN
      RETURN QUERY SELECT 'insufficient_funds'::text, v_wallet;
      RETURN;
    END IF;
  END IF;
  INSERT INTO ledger_entries (project_id, kind, reference, description, booked_at)
    VALUES (p_project, p_kind, p_reference, p_description, p_at)
    ON CONFLICT (kind, reference) DO NOTHING
    RETURNING id INTO v_entry;
  IF v_entry IS NULL THEN
    RETURN QUERY SELECT 'already_booked'::text, NULL::bigint;
    RETURN;
  END IF;
  INSERT INTO ledger_postings (entry_id, account_id, amount, booked_at)
    SELECT v_entry, a.id, u.x, p_at
    FROM unnest(p_accounts, p_holders, p_amounts) WITH ORDINALITY AS u(k, h, x, n)
    JOIN ledger_accounts a ON a.project_id = p_project AND a.currency = p_currency AND a.kind = u.k AND a.holder = u.h
    ORDER BY u.n;
  UPDATE ledger_accounts a SET balance = a.balance + d.delta
    FROM (
      SELECT a2.id, sum(u.x) AS delta
      FROM unnest(p_accounts, p_holders, p_amounts) AS u(k, h, x)
      JOIN ledger_accounts a2 ON a2.project_id = p_project AND a2.currency = p_currency AND a2.kind = u.k AND a2.holder = u.h
      GROUP BY a2.id
    ) d
    WHERE a.id = d.id;
  RETURN QUERY SELECT 'booked'::text, NULL::bigint;
END;
$$;

-- Wake-ups across instances instead of polling: a job queued in any instance's transaction notifies
-- every instance's job runner when it commits (PostgreSQL LISTEN payrail_jobs; duplicates in one
-- transaction fold into one). Each instance wakes its own loops in process; the notification is for
-- the others, so it is sent only while more than one worker is alive (a NOTIFY serialises commits:
-- PostgreSQL holds a global lock from it through the commit's WAL flush; docs/performance.md has
-- the measurement). Only a job due at once wakes anyone (run_at = created_at, both on
-- the sandbox-aware clock); a job due later is found by the runner's timer.
CREATE FUNCTION payrail_peers_alive() RETURNS boolean LANGUAGE sql AS $$
  SELECT count(*) > 1 FROM workers WHERE heartbeat_at > clock_timestamp() - interval '15 seconds'
$$;

CREATE FUNCTION payrail_notify_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF payrail_peers_alive() THEN
    PERFORM pg_notify('payrail_jobs', '');
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_notify AFTER INSERT ON jobs
  FOR EACH ROW WHEN (NEW.run_at <= NEW.created_at) EXECUTE FUNCTION payrail_notify_jobs();

-- The same for the outbox: a webhook queued for delivery (inserted pending, or resent) notifies every
-- instance's delivery worker when it commits (LISTEN payrail_webhooks). A retry after a failed
-- attempt (attempts > 0) is due later and wakes nobody.
CREATE FUNCTION payrail_notify_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF payrail_peers_alive() THEN
    PERFORM pg_notify('payrail_webhooks', '');
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER webhooks_notify AFTER INSERT OR UPDATE OF state, attempts, next_attempt_at ON webhooks
  FOR EACH ROW WHEN (NEW.state = 'pending' AND NEW.attempts = 0 AND NEW.next_attempt_at <= NEW.cycle_started_at)
  EXECUTE FUNCTION payrail_notify_webhooks();
