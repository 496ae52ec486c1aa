-- Payouts can end in `error` (the rail failed in a way that says nothing about the outcome; the
-- session is in error until support resolves it), and can carry fiscalization details for a payout
-- to a self-employed person (professional income tax), with the receipt once the income is
-- registered (docs/test-payouts.md, docs/decisions.md "Operations in error").
ALTER TABLE payouts DROP CONSTRAINT payouts_stage_check;
ALTER TABLE payouts ADD CONSTRAINT payouts_stage_check
  CHECK (stage IN ('checking', 'awaiting_confirm', 'sending', 'settling', 'unknown', 'succeeded', 'failed', 'error'));
ALTER TABLE payouts ADD COLUMN fiscalization_details jsonb;
