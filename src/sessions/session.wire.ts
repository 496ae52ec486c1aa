import type { ApiVersion } from '../shared/api-version.js';
import { formatTimestamp } from '../shared/time.js';
import type { CreateSessionBody } from './session.schema.js';
import type { Session, SessionParams } from './session.repo.js';

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

export function renderSession(session: Session, _version: ApiVersion): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    id: session.id,
    status: session.status,
    created_at: formatTimestamp(session.createdAt),
    updated_at: formatTimestamp(session.updatedAt),
  };
  if (session.finishedAt) wire['finished_at'] = formatTimestamp(session.finishedAt);
  if (session.nextAction) wire['next_action'] = session.nextAction;
  if (session.error) wire['error'] = { code: session.error.code, description: session.error.description };
  return wire;
}
