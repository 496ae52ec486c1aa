import type { Decline, WalletTokenDecrypter } from '../../domain/payments/card-processor.port.js';
import type { PayerRail } from '../../domain/payments/payer-rail.port.js';

/**
 * Live mode without FPS / provider connectors: registration and refunds are refused with the
 * reason, a push is never delivered, and no wallet token can be opened.
 */
const NO_CONNECTOR: Decline = {
  kind: 'declined',
  code: 'provider_internal_error',
  description: 'no FPS / internet banking / wallet connector is configured on this server (live mode has no sandbox rails)',
};

export class UnconfiguredPayerRails implements PayerRail {
  async open(): Promise<Decline> {
    return NO_CONNECTOR;
  }
  async complete(): Promise<Decline> {
    return NO_CONNECTOR;
  }
  async refund(): Promise<Decline> {
    return NO_CONNECTOR;
  }
  async chargeBinding(): Promise<Decline> {
    return NO_CONNECTOR;
  }
  async push(): Promise<{ kind: 'delivered'; approved: boolean }> {
    return { kind: 'delivered', approved: false };
  }
}

export class UnconfiguredWalletTokens implements WalletTokenDecrypter {
  decrypt(): undefined {
    return undefined;
  }
}
