import { Type, type Static } from '@sinclair/typebox';
import { AmountDetails } from './objects.schema.js';
import { InitPayoutBody, StartPayoutBody } from './payout.schema.js';

/**
 * session/init/payout/fiscalization and session/start/payout/fiscalization (Bank 131's payouts to the
 * self-employed; the SDK's FiscalizationDetails → ProfessionalIncomeTaxpayer → FiscalizationService).
 * The request is init/payout's (or start/payout's) plus `fiscalization_details`; `receipt` is the
 * tax service's answer and is only ever rendered, never read.
 */
const text = (min: number, max: number) =>
  Type.String({ minLength: min, maxLength: max, errorMessage: min > 0 ? `must be a non-empty string of at most ${max} characters` : `must be a string of at most ${max} characters` });

export const FiscalizationService = Type.Object(
  {
    name: text(1, 256),
    amount_details: AmountDetails,
    quantity: Type.Integer({ minimum: 1, maximum: 1_000_000, errorMessage: 'must be a whole number from 1 to 1000000' }),
  },
  { title: 'FiscalizationService' },
);

export const ProfessionalIncomeTaxpayer = Type.Object(
  {
    services: Type.Array(FiscalizationService, { minItems: 1, maxItems: 100, errorMessage: 'must list from 1 to 100 services' }),
    tax_reference: Type.String({ pattern: '^[0-9]{12}$', errorMessage: 'must be the 12-digit INN of the self-employed recipient' }),
    payer_type: Type.Optional(Type.Unsafe<'legal' | 'individual' | 'foreign'>({ type: 'string', enum: ['legal', 'individual', 'foreign'], errorMessage: 'must be one of: legal, individual, foreign' })),
    payer_tax_number: Type.Optional(Type.String({ pattern: '^([0-9]{10}|[0-9]{12})$', errorMessage: 'must be an INN of 10 or 12 digits' })),
    payer_name: Type.Optional(text(1, 256)),
  },
  { title: 'ProfessionalIncomeTaxpayer' },
);

export const FiscalizationDetails = Type.Object({ professional_income_taxpayer: ProfessionalIncomeTaxpayer }, { title: 'FiscalizationDetails' });
export type FiscalizationDetails = Static<typeof FiscalizationDetails>;

export const InitPayoutFiscalizationBody = Type.Object(
  { ...InitPayoutBody.properties, fiscalization_details: FiscalizationDetails },
  { title: 'SessionInitPayoutFiscalizationRequest' },
);
export type InitPayoutFiscalizationBody = Static<typeof InitPayoutFiscalizationBody>;

export const StartPayoutFiscalizationBody = Type.Object(
  { ...StartPayoutBody.properties, fiscalization_details: FiscalizationDetails },
  { title: 'SessionStartPayoutFiscalizationRequest' },
);
export type StartPayoutFiscalizationBody = Static<typeof StartPayoutFiscalizationBody>;
