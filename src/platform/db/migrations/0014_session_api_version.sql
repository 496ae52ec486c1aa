-- The API version a session was created with (the path of the call that created it: /api/v1/… or
-- /api/v2/…). Its webhooks are rendered in that version, so a v2 client reads payout_details and
-- payment_list/payout_list in every webhook whatever the project's api_version setting. NULL for
-- sessions created before this migration, and for sessions created outside the partner API (admin
-- webhook trigger): those follow the project's api_version, as before.
ALTER TABLE sessions ADD COLUMN api_version text CHECK (api_version IN ('v1', 'v2'));
