-- A payment can end in `error` (the processor failed without an outcome; the session is in error
-- until support resolves it, as a payout or refund in error), and a recurrent token can bind an FPS
-- (SBP) account instead of a card: such a token has no card, and its payments go through the FPS rail
-- (docs/decisions.md "Operations in error", docs/test-cards.md "FPS").
ALTER TABLE payments DROP CONSTRAINT payments_stage_check;
ALTER TABLE payments ADD CONSTRAINT payments_stage_check
  CHECK (stage IN ('prechecking', 'awaiting_confirm', 'authorizing', 'awaiting_3ds', 'completing_3ds',
                   'awaiting_capture', 'capturing', 'voiding', 'succeeded', 'failed', 'error'));
ALTER TABLE recurrent_tokens ALTER COLUMN card_id DROP NOT NULL;
ALTER TABLE recurrent_tokens ADD COLUMN source text NOT NULL DEFAULT 'card' CHECK (source IN ('card', 'faster_payment_system'));
ALTER TABLE recurrent_tokens ADD CONSTRAINT recurrent_tokens_card_check CHECK ((source = 'card') = (card_id IS NOT NULL));
