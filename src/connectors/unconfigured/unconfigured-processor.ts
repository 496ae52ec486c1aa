import type { BankRails, ReconcileResult, SendResult } from '../../domain/payouts/bank-rail.port.js';
import type { AuthorizeResult, CardProcessor, Decline } from '../../domain/payments/card-processor.port.js';

/**
 * Live mode without a connector: there is no network to send a card to, so every operation is
 * declined with provider_internal_error and says why. (Connectors to a real Smart Glocal-compatible
 * endpoint implement CardProcessor and replace this.)
 */
const NO_CONNECTOR: Decline = {
  kind: 'declined',
  code: 'provider_internal_error',
  description: 'no card processor connector is configured on this server (live mode has no sandbox processor)',
};

export class UnconfiguredProcessor implements CardProcessor {
  async precheck(): Promise<Decline> {
    return NO_CONNECTOR;
  }
  async authorize(): Promise<AuthorizeResult> {
    return NO_CONNECTOR;
  }
  async completeChallenge(): Promise<AuthorizeResult> {
    return NO_CONNECTOR;
  }
  async capture(): Promise<Decline> {
    return NO_CONNECTOR;
  }
  async void(): Promise<{ kind: 'voided' }> {
    return { kind: 'voided' };
  }
  async refund(): Promise<Decline> {
    return NO_CONNECTOR;
  }
}

/** Live mode without a payout connector: every payout is refused by the rail, with the reason. */
export class UnconfiguredRails implements BankRails {
  async send(): Promise<SendResult> {
    return { ...NO_CONNECTOR, description: 'no payout rail connector is configured on this server (live mode has no sandbox rails)' };
  }
  async reconcile(): Promise<ReconcileResult> {
    return { ...NO_CONNECTOR, description: 'no payout rail connector is configured on this server' };
  }
  async verifyFpsCustomer(): Promise<Decline> {
    return { ...NO_CONNECTOR, description: 'no FPS connector is configured on this server' };
  }
}
