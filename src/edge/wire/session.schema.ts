import { Type, type Static } from '@sinclair/typebox';
import {
  AmountDetails,
  Customer,
  Metadata,
  ParticipantDetails,
  PaymentDetails,
  PaymentMethod,
  PaymentOptions,
  RevenueSplitInfo,
} from './objects.schema.js';
import { ErrorObject } from './envelope.schema.js';
import { Identifier } from './fields.js';

export const SessionId = Identifier(64, { title: 'SessionId', errorMessage: 'must be a session id like ps_3230' });

/**
 * session/create (§5.1): everything optional, stored for a later start. `payout_details` is the v2
 * name of `payment_method`; each version's wire mapper reads its own name and ignores the other.
 */
export const CreateSessionBody = Type.Object(
  {
    payment_method: Type.Optional(PaymentMethod),
    payout_details: Type.Optional(PaymentMethod),
    payment_details: Type.Optional(PaymentDetails),
    amount_details: Type.Optional(AmountDetails),
    participant_details: Type.Optional(ParticipantDetails),
    customer: Type.Optional(Customer),
    payment_options: Type.Optional(PaymentOptions),
    metadata: Type.Optional(Metadata),
    revenue_split_info: Type.Optional(RevenueSplitInfo),
  },
  { title: 'SessionCreateRequest' },
);
export type CreateSessionBody = Static<typeof CreateSessionBody>;

export const SessionStatusBody = Type.Object({ session_id: SessionId }, { title: 'SessionStatusRequest' });
export type SessionStatusBody = Static<typeof SessionStatusBody>;


/** The response shape, for the OpenAPI document; the wire mapper is what renders it. */
export const PaymentSessionObject = Type.Object(
  {
    id: Type.String({ examples: ['ps_3230'] }),
    status: Type.Union(['created', 'in_progress', 'accepted', 'cancelled', 'error'].map((s) => Type.Literal(s))),
    created_at: Type.String({ examples: ['2024-05-27T02:03:00.000000Z'] }),
    updated_at: Type.String(),
    finished_at: Type.Optional(Type.String()),
    next_action: Type.Optional(Type.Union([Type.Literal('confirm'), Type.Literal('capture')])),
    error: Type.Optional(ErrorObject),
  },
  { title: 'PaymentSession' },
);

export const SessionResponse = Type.Object({ status: Type.Literal('ok'), session: PaymentSessionObject }, { title: 'SessionResponse' });
