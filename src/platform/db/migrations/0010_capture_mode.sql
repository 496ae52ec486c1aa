-- Delayed capture for clients that have no payrail-specific hold flag (docs/admin-api.md): with
-- capture_mode 'manual', every card payment of the project stops at ready_to_capture and waits for
-- session/capture (or cancel, or the hold period). 'auto' (the default) captures at once unless the
-- payment asked for payment_options.hold.
ALTER TABLE projects ADD COLUMN capture_mode text NOT NULL DEFAULT 'auto'
  CHECK (capture_mode IN ('auto', 'manual'));
