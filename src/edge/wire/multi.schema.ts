import { Type, type Static } from '@sinclair/typebox';
import { InitPaymentBody } from './payment.schema.js';
import { InitPayoutBody } from './payout.schema.js';

/**
 * session/multi/init (§5.18; the SDK calls it session/init/session): one session holding several
 * payments and payouts, each item the body of session/init/payment or session/init/payout with its
 * own amount, customer and metadata. Validation is all or nothing: one bad item and nothing is
 * created, with the item's index and field in the description.
 */
export const MAX_MULTI_ITEMS = 50;

export const MultiInitBody = Type.Object(
  {
    payment_list: Type.Optional(Type.Array(InitPaymentBody, { maxItems: MAX_MULTI_ITEMS })),
    payout_list: Type.Optional(Type.Array(InitPayoutBody, { maxItems: MAX_MULTI_ITEMS })),
  },
  { title: 'SessionMultiInitRequest' },
);
export type MultiInitBody = Static<typeof MultiInitBody>;
