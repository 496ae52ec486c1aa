-- Sessions that hold many operations (docs/decisions.md, "Several operations"), refunds as their
-- own operations, and split payments.

-- A payment's refunded amount is derived from its refunds (domain/refunds), never kept beside them.
ALTER TABLE payments DROP COLUMN refunded_amount;

-- A session's view reads its refunds by session: without this index every session/status scans them.
CREATE INDEX refunds_session ON refunds (session_id, created_at);

-- Split payments (§5.20): the resolved shares per contractor, on the payment and on each refund.
ALTER TABLE payments ADD COLUMN revenue_split json;
ALTER TABLE refunds ADD COLUMN revenue_split json;
ALTER TABLE projects ADD COLUMN contractors json NOT NULL DEFAULT '[]';

-- Contractors' settlement accounts: one account of kind contractor_settlement per contractor alias
-- (holder); every other kind has holder ''.
ALTER TABLE ledger_accounts ADD COLUMN holder text NOT NULL DEFAULT '';
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_project_id_kind_currency_key;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_project_kind_currency_holder_key UNIQUE (project_id, kind, currency, holder);
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check CHECK (
  kind IN ('wallet', 'reserved', 'acquiring_settlement', 'contractor_settlement', 'fees', 'external_topup', 'external_card_network', 'external_bank_rails')
);
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_holder_check CHECK ((kind = 'contractor_settlement') = (holder <> ''));
