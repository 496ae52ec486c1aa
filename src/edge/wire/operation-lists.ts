import type { ApiVersion } from '../../kernel/api-version.js';
import { paymentOperations } from '../../domain/payments/payment.kind.js';
import { payoutOperations } from '../../domain/payouts/payout.kind.js';
import { refundOperations } from '../../domain/refunds/refund.kind.js';
import { viewOperations, type SessionView } from '../../domain/sessions/session-view.js';
import { renderPayment } from './payment.wire.js';
import { renderPayout } from './payout.wire.js';

/** What a project's settings change in the rendering. */
export interface RenderOptions {
  /** Show card_id on masked cards (enabled per project, §6.7). */
  readonly cardIdEnabled: boolean;
}

/**
 * The session's top-level operation lists on the wire, one entry per kind that has one: its name in
 * each API version and how its items render. Refunds have no list of their own: they render inside
 * the payment or payout they belong to. A new kind of operation adds its entry here (and its mapper
 * beside it), never in session.wire.ts.
 */
export interface OperationList {
  readonly names: Readonly<Record<ApiVersion, string>>;
  render(view: SessionView, version: ApiVersion, options: RenderOptions): Record<string, unknown>[];
}

export const OPERATION_LISTS: readonly OperationList[] = [
  {
    names: { v1: 'acquiring_payments', v2: 'payment_list' },
    render: (view, _version, options) => viewOperations(view, paymentOperations).map((p) => renderPayment(p, viewOperations(view, refundOperations), options)),
  },
  {
    names: { v1: 'payments', v2: 'payout_list' },
    render: (view, version, options) => viewOperations(view, payoutOperations).map((p) => renderPayout(p, viewOperations(view, refundOperations), version, options)),
  },
];
