import { renderPayment } from '../payments/payment.wire.js';
import { renderPayout } from '../payouts/payout.wire.js';
import type { ApiVersion } from '../shared/api-version.js';
import { formatTimestamp } from '../shared/time.js';
import type { SessionView } from './session-view.js';
import type { CreateSessionBody } from './session.schema.js';
import type { SessionParams } from './session.repo.js';

/**
 * The one place a session crosses the wire. v1 and v2 share every handler and differ only here:
 * v2 names the payout destination `payout_details` and the operation lists `payment_list` (payments)
 * and `payout_list` (payouts) where v1 says `acquiring_payments` and `payments`.
 */
export function sessionParamsFromWire(body: CreateSessionBody, version: ApiVersion): SessionParams {
  return {
    payment_method: version === 'v2' ? (body.payout_details ?? body.payment_method) : body.payment_method,
    payment_details: body.payment_details,
    amount_details: body.amount_details,
    participant_details: body.participant_details,
    customer: body.customer,
    payment_options: body.payment_options,
    metadata: body.metadata,
  };
}

const LISTS = {
  v1: { payments: 'acquiring_payments', payouts: 'payments' },
  v2: { payments: 'payment_list', payouts: 'payout_list' },
} as const;

/** What a project's settings change in the rendering. */
export interface RenderOptions {
  /** Show card_id on masked cards (enabled per project, §6.7). */
  readonly cardIdEnabled: boolean;
}

export function renderSession(view: SessionView, version: ApiVersion, options: RenderOptions): Record<string, unknown> {
  const { session } = view;
  const wire: Record<string, unknown> = {
    id: session.id,
    status: session.status,
    created_at: formatTimestamp(session.createdAt),
    updated_at: formatTimestamp(session.updatedAt),
  };
  if (session.finishedAt) wire['finished_at'] = formatTimestamp(session.finishedAt);
  if (session.nextAction) wire['next_action'] = session.nextAction;
  if (view.payments.length > 0) wire[LISTS[version].payments] = view.payments.map((p) => renderPayment(p, view.refunds, options));
  if (view.payouts.length > 0) wire[LISTS[version].payouts] = view.payouts.map((p) => renderPayout(p, view.refunds, version, options));
  if (session.error) wire['error'] = { code: session.error.code, description: session.error.description };
  return wire;
}
