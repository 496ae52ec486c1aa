-- The payouts report (GET /admin/reports/payouts.csv) reads one project's refunds finished in a
-- date range, beside its payouts (payouts_project_finished, 0004). Without this index that read
-- is a sequential scan of every refund (test/query-plans.test.ts finds it at 1M sessions).
CREATE INDEX refunds_project_finished ON refunds (project_id, finished_at);
