import { Type, type Static } from '@sinclair/typebox';
import { Identifier } from './fields.js';
import { SessionId } from './session.schema.js';

export const WEBHOOK_TYPES = ['ready_to_confirm', 'ready_to_capture', 'action_required', 'payment_finished', 'payment_refunded'] as const;

export const TriggerBody = Type.Object(
  {
    project: Type.Optional(Identifier(64)),
    session_id: Type.Optional(SessionId),
    type: Type.Unsafe<(typeof WEBHOOK_TYPES)[number]>({ type: 'string', enum: [...WEBHOOK_TYPES] }),
  },
  { title: 'TriggerWebhookRequest' },
);
export type TriggerBody = Static<typeof TriggerBody>;

export const ResendWindowBody = Type.Object(
  {
    from: Type.String({ format: 'date-time', errorMessage: 'must be an ISO 8601 date-time' }),
    to: Type.String({ format: 'date-time', errorMessage: 'must be an ISO 8601 date-time' }),
    project: Type.Optional(Identifier(64)),
  },
  { title: 'ResendWebhooksRequest' },
);
export type ResendWindowBody = Static<typeof ResendWindowBody>;

export const AttemptsQuery = Type.Object({
  after: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$', errorMessage: 'must be an attempt id (a whole number of at most 18 digits)' })),
  limit: Type.Optional(Type.String({ pattern: '^\\d{1,3}$', errorMessage: 'must be a whole number up to 999' })),
});
export type AttemptsQuery = Static<typeof AttemptsQuery>;
