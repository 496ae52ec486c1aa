import { Type, type Static } from '@sinclair/typebox';
import { AmountDetails, Customer, Metadata, ParticipantDetails, PaymentMethod } from './objects.schema.js';
import { SessionId } from './session.schema.js';


/**
 * session/init/payout (§5.3) and session/start/payout (§5.5). The destination is `payment_method`
 * in v1 and `payout_details` in v2; both names are accepted in the schema, and each version's route
 * reads its own (the other is an unknown field there).
 */
export const InitPayoutBody = Type.Object(
  {
    payment_method: Type.Optional(PaymentMethod),
    payout_details: Type.Optional(PaymentMethod),
    amount_details: AmountDetails,
    participant_details: Type.Optional(ParticipantDetails),
    customer: Type.Optional(Customer),
    metadata: Type.Optional(Metadata),
  },
  { title: 'SessionInitPayoutRequest' },
);
export type InitPayoutBody = Static<typeof InitPayoutBody>;

export const StartPayoutBody = Type.Object(
  {
    session_id: SessionId,
    payment_method: Type.Optional(PaymentMethod),
    payout_details: Type.Optional(PaymentMethod),
    amount_details: Type.Optional(AmountDetails),
    participant_details: Type.Optional(ParticipantDetails),
    customer: Type.Optional(Customer),
    metadata: Type.Optional(Metadata),
  },
  { title: 'SessionStartPayoutRequest' },
);
export type StartPayoutBody = Static<typeof StartPayoutBody>;

export const CustomerVerificationBody = Type.Object(
  {
    session_id: SessionId,
    payment_method: PaymentMethod,
    participant_details: ParticipantDetails,
  },
  { title: 'FpsCustomerVerificationRequest' },
);
export type CustomerVerificationBody = Static<typeof CustomerVerificationBody>;

/** fps/customer_verification under /api/v2: the destination is `payout_details` (the SDK's FpsVerificationRequest), `payment_method` accepted too. */
export const CustomerVerificationV2Body = Type.Object(
  {
    session_id: SessionId,
    payout_details: Type.Optional(PaymentMethod),
    payment_method: Type.Optional(PaymentMethod),
    participant_details: ParticipantDetails,
  },
  { title: 'FpsCustomerVerificationV2Request' },
);
export type CustomerVerificationV2Body = Static<typeof CustomerVerificationV2Body>;

export const WalletBalanceBody = Type.Object(
  { request_datetime: Type.String({ format: 'date-time', errorMessage: 'must be an ISO 8601 date-time like 2024-04-10T19:53:00+03:00' }) },
  { title: 'WalletBalanceRequest' },
);
export type WalletBalanceBody = Static<typeof WalletBalanceBody>;
