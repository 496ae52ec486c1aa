-- One public token for several widgets (§5.12, docs/tokens.md): each widget the token names is a row
-- here with its own parameters and its own "used" mark, so using one widget does not spend another.
-- public_tokens keeps its columns for the token as a whole: kind/params/session_id describe its
-- first widget (the one with a session when there is one), used_at is set once every widget is used.
ALTER TABLE public_tokens DROP CONSTRAINT public_tokens_kind_check;
ALTER TABLE public_tokens ADD CONSTRAINT public_tokens_kind_check
  CHECK (kind IN ('tokenize_widget', 'acquiring_widget', 'fps_no_account_widget', 'self_employed_widget'));
-- The card a token tokenized last, so token/info can name it (its brand, last4, country).
ALTER TABLE public_tokens ADD COLUMN card_hash text;

CREATE TABLE public_token_widgets (
  token text NOT NULL REFERENCES public_tokens (token),
  widget text NOT NULL CHECK (widget IN ('tokenize_widget', 'acquiring_widget', 'fps_no_account_widget', 'self_employed_widget')),
  params json NOT NULL,
  used_at timestamptz,
  PRIMARY KEY (token, widget)
);
INSERT INTO public_token_widgets (token, widget, params, used_at)
  SELECT token, kind, params, used_at FROM public_tokens;

-- A self-employed person's consent, given on the self-employed widget, that the project may register
-- their income with the tax service (Russian NPD): the binding payouts with fiscalization rely on.
CREATE TABLE taxpayer_bindings (
  project_id bigint NOT NULL REFERENCES projects (id),
  tax_reference text NOT NULL CHECK (tax_reference ~ '^[0-9]{12}$'),
  status text NOT NULL CHECK (status IN ('bound', 'declined')),
  public_token text NOT NULL REFERENCES public_tokens (token),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (project_id, tax_reference)
);

-- Subscriptions (payment_options.subscription, §6.10): created by the successful card payment that
-- asked for one; cancel/restore move it between active and cancelled (docs/tokens.md).
CREATE TABLE subscriptions (
  id text PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects (id),
  payment_id text NOT NULL UNIQUE REFERENCES payments (id),
  period text NOT NULL CHECK (period IN ('day', 'week', 'month', 'year')),
  status text NOT NULL CHECK (status IN ('active', 'cancelled')),
  anchor_at timestamptz NOT NULL,
  next_point timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  cancelled_at timestamptz,
  CHECK ((status = 'active') = (next_point IS NOT NULL))
);
CREATE INDEX subscriptions_project ON subscriptions (project_id, id);
