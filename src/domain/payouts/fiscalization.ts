import type { Decline } from '../../kernel/operation-errors.js';
import { invalidRequest } from '../../kernel/errors.js';
import type { Rail } from './rails.js';

/**
 * Payouts to the self-employed with fiscalization (Russian professional income tax, "NPD"; Bank 131's
 * session/init|start/payout/fiscalization). The payout is an ordinary payout with one more step on
 * each side of the money: before ready_to_confirm the tax service is asked whether the recipient is a
 * self-employed person who has bound the platform and may still earn this amount this year; after
 * the money is paid the income is registered and the tax service's receipt is kept on the payout.
 */
export const NPD_PAYER_TYPES = ['legal', 'individual', 'foreign'] as const;
export type NpdPayerType = (typeof NPD_PAYER_TYPES)[number];

export interface FiscalService {
  readonly name: string;
  readonly amount: number;
  readonly currency: string;
  readonly quantity: number;
}

export interface FiscalReceipt {
  readonly id: string;
  readonly link?: string | undefined;
}

/** What a payout carries about the income it pays (the SDK's professional_income_taxpayer). */
export interface Fiscalization {
  readonly taxReference: string;
  readonly services: readonly FiscalService[];
  readonly payerType?: NpdPayerType | undefined;
  readonly payerTaxNumber?: string | undefined;
  readonly payerName?: string | undefined;
  /** Set once the income is registered, after the money is paid. */
  readonly receipt?: FiscalReceipt | undefined;
}

/**
 * The tax service: payrail's port, implemented by connectors (the sandbox's test tax references).
 * Whether the person allowed this project to register their income is not asked here: that is the
 * project's binding (domain/tokens/self-employed.ts, the self-employed widget), checked by the
 * payout itself.
 */
export interface TaxpayerRegistry {
  /** Is this a self-employed person who may still earn `amount` this year? Idempotent by operation id. */
  checkTaxpayer(op: { operationId: string; taxReference: string; amount: number; now: Date }): Promise<{ kind: 'ok' } | Decline>;
  /** Registers the income once the money is paid; asking again returns the same receipt. */
  registerIncome(op: { operationId: string; fiscalization: Fiscalization; amount: number; now: Date }): Promise<{ kind: 'registered'; receipt: FiscalReceipt }>;
}

/**
 * The taxpayer checks of a payout, in the order the platform makes them: the tax service must know
 * the person (taxpayer_unknown), the person must have bound this project (taxpayer_not_bound), and
 * the income must fit the yearly limit (taxpayer_income_exceeds_amount_limit).
 */
export function taxpayerRefusal(service: { kind: 'ok' } | Decline, bound: boolean, taxReference: string): Decline | undefined {
  if (service.kind === 'declined' && service.code === 'taxpayer_unknown') return service;
  if (!bound) {
    return {
      kind: 'declined',
      code: 'taxpayer_not_bound',
      description: `taxpayer ${taxReference} has not bound this project in the tax service: send them the self_employed_widget to allow it`,
    };
  }
  return service.kind === 'declined' ? service : undefined;
}

/** The rails a payout to a self-employed person in Russia can take. */
export const FISCAL_RAILS: readonly Rail[] = ['card', 'ru', 'fps'];

const FIELD = 'fiscalization_details.professional_income_taxpayer';

/**
 * The checks a schema cannot express: services that add up to the payout,
 * roubles, a destination in Russia and a recipient's full name. Each refusal names its field.
 */
export function checkFiscalization(f: Fiscalization, payout: { amount: number; currency: string; rail: Rail; recipientFullName: unknown }): void {
  // The tax reference is checked as the SDK does (12 digits, by the schema); whether it names a
  // self-employed person is the tax service's answer (taxpayer_unknown), not a format error.
  if (payout.currency !== 'rub') throw invalidRequest(`a payout with fiscalization is paid in RUB (professional income tax is Russian); amount_details.currency is ${payout.currency.toUpperCase()}`);
  f.services.forEach((s, i) => {
    if (s.currency !== payout.currency) throw invalidRequest(`${FIELD}.services[${i}].amount_details.currency must be the payout's currency (RUB)`);
  });
  const total = f.services.reduce((sum, s) => sum + s.amount * s.quantity, 0);
  if (total !== payout.amount) {
    throw invalidRequest(`${FIELD}.services must add up to the payout: the sum of amount_details.amount × quantity is ${total}, amount_details.amount is ${payout.amount}`);
  }
  if (f.payerType === 'legal' && f.payerTaxNumber === undefined) throw invalidRequest(`${FIELD}.payer_tax_number is required when payer_type is legal`);
  if (!FISCAL_RAILS.includes(payout.rail)) {
    throw invalidRequest('a payout with fiscalization goes to a card, a Russian bank account (system_type ru) or the Faster Payment System');
  }
  if (typeof payout.recipientFullName !== 'string' || payout.recipientFullName.trim() === '') {
    throw invalidRequest('participant_details.recipient.full_name is required for a payout with fiscalization (the receipt names the recipient)');
  }
}
