import { Type, type Static } from '@sinclair/typebox';
import { FreeJson } from './fields.js';
import { AmountDetails, Customer, Metadata, ParticipantDetails, PaymentDetails, PaymentOptions, RevenueSplitInfo } from './objects.schema.js';
import { SessionId } from './session.schema.js';


/** session/init/payment (§5.2): create and start in one call. */
export const InitPaymentBody = Type.Object(
  {
    payment_details: PaymentDetails,
    amount_details: AmountDetails,
    customer: Customer,
    participant_details: Type.Optional(ParticipantDetails),
    payment_options: Type.Optional(PaymentOptions),
    metadata: Type.Optional(Metadata),
    revenue_split_info: Type.Optional(RevenueSplitInfo),
  },
  { title: 'SessionInitPaymentRequest' },
);
export type InitPaymentBody = Static<typeof InitPaymentBody>;

/** session/start/payment (§5.4): what create omitted must come here; what comes here overrides create. */
export const StartPaymentBody = Type.Object(
  {
    session_id: SessionId,
    payment_details: Type.Optional(PaymentDetails),
    amount_details: Type.Optional(AmountDetails),
    customer: Type.Optional(Customer),
    participant_details: Type.Optional(ParticipantDetails),
    payment_options: Type.Optional(PaymentOptions),
    metadata: Type.Optional(Metadata),
    revenue_split_info: Type.Optional(RevenueSplitInfo),
  },
  { title: 'SessionStartPaymentRequest' },
);
export type StartPaymentBody = Static<typeof StartPaymentBody>;

export const ConfirmBody = Type.Object(
  { session_id: SessionId, confirm_information: Type.Optional(FreeJson({ description: 'Bank 131 extension; accepted and ignored' })) },
  { title: 'SessionConfirmRequest' },
);
export type ConfirmBody = Static<typeof ConfirmBody>;

export const CancelBody = Type.Object({ session_id: SessionId }, { title: 'SessionCancelRequest' });
export type CancelBody = Static<typeof CancelBody>;

export const CaptureBody = Type.Object({ session_id: SessionId, amount_details: Type.Optional(AmountDetails) }, { title: 'SessionCaptureRequest' });
export type CaptureBody = Static<typeof CaptureBody>;

export const RefundBody = Type.Object(
  { session_id: SessionId, amount_details: Type.Optional(AmountDetails), metadata: Type.Optional(Metadata) },
  { title: 'SessionRefundRequest' },
);
export type RefundBody = Static<typeof RefundBody>;
