import { Type, type Static } from '@sinclair/typebox';
import { formatTimestamp } from '../../kernel/time.js';
import type { ProjectKey, ProjectSettings } from '../../domain/projects/project.repo.js';
import type { ProjectView } from '../../domain/projects/project.service.js';

const FeeRule = Type.Object(
  {
    percent: Type.Number({ minimum: 0, maximum: 100, multipleOf: 0.01, errorMessage: 'must be a percentage from 0 to 100 with at most two decimals' }),
    fixed: Type.Integer({ minimum: 0, maximum: 100_000_000, errorMessage: 'must be a whole number of minor units, 0 or more' }),
  },
  { title: 'FeeRule' },
);

const RateLimitSetting = Type.Object(
  {
    requests_per_second: Type.Integer({ minimum: 1, maximum: 1_000_000, errorMessage: 'must be a whole number of requests per second from 1 to 1000000' }),
    burst: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1_000_000, errorMessage: 'must be a whole number of requests from 1 to 1000000', description: 'Requests accepted at once; default: requests_per_second' }),
    ),
  },
  { title: 'RateLimit' },
);

export const SettingsPatch = Type.Object(
  {
    // The scheme, host and address are checked by the domain (validateWebhookUrl); the schema refuses control characters.
    webhook_url: Type.Optional(Type.Union([Type.String({ maxLength: 2048, format: 'printable' }), Type.Null()])),
    auto_confirm: Type.Optional(Type.Boolean()),
    allow_partial_refunds: Type.Optional(Type.Boolean()),
    api_version: Type.Optional(Type.Union([Type.Literal('v1'), Type.Literal('v2')], { errorMessage: 'must be "v1" or "v2"' })),
    webhook_max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, errorMessage: 'must be an integer from 1 to 100' })),
    webhook_max_age_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 2592000, errorMessage: 'must be an integer from 1 to 2592000 (30 days)' })),
    hold_period_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 2592000, errorMessage: 'must be an integer from 60 to 2592000 (30 days)' })),
    card_id_enabled: Type.Optional(Type.Boolean({ description: 'Show card_id on masked cards (enabled on request at Smart Glocal)' })),
    contractors: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$', errorMessage: 'must be 1 to 64 letters, digits, _ . or -' }), {
        maxItems: 100,
        uniqueItems: true,
        description: 'Aliases of the contractors that revenue_split_info may name (split payments)',
      }),
    ),
    signature_max_age_seconds: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 3600 }), Type.Null()], {
        errorMessage: 'must be a whole number of seconds from 1 to 3600, or null (off)',
        description: 'The optional replay guard: requests carry X-PARTNER-TIMESTAMP, signed as timestamp + "." + body, accepted once within this many seconds (docs/security.md)',
      }),
    ),
    capture_mode: Type.Optional(
      Type.Union([Type.Literal('auto'), Type.Literal('manual')], {
        errorMessage: 'must be "auto" or "manual"',
        description: 'manual: every card payment stops at ready_to_capture and waits for session/capture; auto (default): captured at once unless payment_options.hold',
      }),
    ),
    rate_limit: Type.Optional(
      Type.Union([RateLimitSetting, Type.Null()], {
        description: 'Rate limit on the signed partner API (429 rate_limited beyond it, docs/operations.md "Rate limits"); null (the default): none',
      }),
    ),
    fees: Type.Optional(
      Type.Object(
        { payout: Type.Optional(FeeRule), payment: Type.Optional(FeeRule) },
        { description: 'Fees per operation type: a percentage of the amount plus a fixed part in minor units' },
      ),
    ),
  },
  { title: 'ProjectSettings' },
);
export type SettingsPatch = Static<typeof SettingsPatch>;

export const CreateProjectBody = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', errorMessage: 'must be 1 to 64 letters, digits, "_", "." or "-"' }),
    public_key: Type.String({ minLength: 1, maxLength: 16384, errorMessage: 'must be an RSA public key in PEM format' }),
    settings: Type.Optional(SettingsPatch),
  },
  { title: 'CreateProjectRequest' },
);
export type CreateProjectBody = Static<typeof CreateProjectBody>;

export const AddKeyBody = Type.Object({ public_key: Type.String({ minLength: 1, maxLength: 16384 }) }, { title: 'AddKeyRequest' });
export type AddKeyBody = Static<typeof AddKeyBody>;

export const ProjectNameParams = Type.Object({ name: Type.String() });
export const ProjectKeyParams = Type.Object({ name: Type.String(), id: Type.String() });

export function settingsFromWire(patch: SettingsPatch | undefined): Partial<ProjectSettings> {
  const out: { -readonly [K in keyof ProjectSettings]?: ProjectSettings[K] } = {};
  if (!patch) return out;
  if (patch.webhook_url !== undefined) out.webhookUrl = patch.webhook_url;
  if (patch.auto_confirm !== undefined) out.autoConfirm = patch.auto_confirm;
  if (patch.allow_partial_refunds !== undefined) out.allowPartialRefunds = patch.allow_partial_refunds;
  if (patch.api_version !== undefined) out.apiVersion = patch.api_version;
  if (patch.webhook_max_attempts !== undefined) out.webhookMaxAttempts = patch.webhook_max_attempts;
  if (patch.webhook_max_age_seconds !== undefined) out.webhookMaxAgeSeconds = patch.webhook_max_age_seconds;
  if (patch.hold_period_seconds !== undefined) out.holdPeriodSeconds = patch.hold_period_seconds;
  if (patch.fees !== undefined) out.fees = patch.fees;
  if (patch.card_id_enabled !== undefined) out.cardIdEnabled = patch.card_id_enabled;
  if (patch.contractors !== undefined) out.contractors = patch.contractors;
  if (patch.signature_max_age_seconds !== undefined) out.signatureMaxAgeSeconds = patch.signature_max_age_seconds;
  if (patch.capture_mode !== undefined) out.captureMode = patch.capture_mode;
  if (patch.rate_limit !== undefined) {
    out.rateLimit = patch.rate_limit && { requestsPerSecond: patch.rate_limit.requests_per_second, burst: patch.rate_limit.burst ?? patch.rate_limit.requests_per_second };
  }
  return out;
}

export function renderKey(key: ProjectKey) {
  return { id: key.id, fingerprint: key.fingerprint, created_at: formatTimestamp(key.createdAt) };
}

export function renderProject(view: ProjectView) {
  const p = view.project;
  return {
    name: p.name,
    settings: {
      webhook_url: p.webhookUrl,
      auto_confirm: p.autoConfirm,
      allow_partial_refunds: p.allowPartialRefunds,
      api_version: p.apiVersion,
      webhook_max_attempts: p.webhookMaxAttempts,
      webhook_max_age_seconds: p.webhookMaxAgeSeconds,
      hold_period_seconds: p.holdPeriodSeconds,
      fees: p.fees,
      card_id_enabled: p.cardIdEnabled,
      contractors: p.contractors,
      signature_max_age_seconds: p.signatureMaxAgeSeconds,
      capture_mode: p.captureMode,
      rate_limit: p.rateLimit && { requests_per_second: p.rateLimit.requestsPerSecond, burst: p.rateLimit.burst },
    },
    keys: view.keys.map(renderKey),
    created_at: formatTimestamp(p.createdAt),
    updated_at: formatTimestamp(p.updatedAt),
  };
}
