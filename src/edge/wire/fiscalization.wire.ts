import { normalizeCurrency } from '../../kernel/currencies.js';
import type { Fiscalization } from '../../domain/payouts/fiscalization.js';
import type { FiscalizationDetails } from './fiscalization.schema.js';

/** fiscalization_details as sent (validated by its schema) → the payout's fiscalization. */
export function fiscalizationFromWire(details: FiscalizationDetails): Fiscalization {
  const t = details.professional_income_taxpayer;
  return {
    taxReference: t.tax_reference,
    services: t.services.map((s) => ({ name: s.name, amount: s.amount_details.amount, currency: normalizeCurrency(s.amount_details.currency), quantity: s.quantity })),
    ...(t.payer_type !== undefined ? { payerType: t.payer_type } : {}),
    ...(t.payer_tax_number !== undefined ? { payerTaxNumber: t.payer_tax_number } : {}),
    ...(t.payer_name !== undefined ? { payerName: t.payer_name } : {}),
  };
}

/** A payout's fiscalization_details as the SDK reads it, with the receipt once the income is registered. */
export function renderFiscalizationDetails(f: Fiscalization): Record<string, unknown> {
  return {
    professional_income_taxpayer: {
      services: f.services.map((s) => ({ name: s.name, amount_details: { amount: s.amount, currency: s.currency }, quantity: s.quantity })),
      tax_reference: f.taxReference,
      ...(f.payerType !== undefined ? { payer_type: f.payerType } : {}),
      ...(f.payerTaxNumber !== undefined ? { payer_tax_number: f.payerTaxNumber } : {}),
      ...(f.payerName !== undefined ? { payer_name: f.payerName } : {}),
      ...(f.receipt ? { receipt: { id: f.receipt.id, ...(f.receipt.link ? { link: f.receipt.link } : {}) } } : {}),
    },
  };
}
