import type { Decline } from '../../kernel/operation-errors.js';
import type { FiscalReceipt, TaxpayerRegistry } from '../../domain/payouts/fiscalization.js';

/** Live mode without a tax service connector: every payout with fiscalization is refused at its check. */
export class UnconfiguredTaxpayers implements TaxpayerRegistry {
  async checkTaxpayer(): Promise<Decline> {
    return { kind: 'declined', code: 'provider_internal_error', description: 'no tax service connector is configured on this server (live mode has no sandbox tax service)' };
  }
  async registerIncome(): Promise<{ kind: 'registered'; receipt: FiscalReceipt }> {
    // Unreachable: a payout whose taxpayer check was refused never pays.
    throw new Error('no tax service connector is configured on this server');
  }
}
