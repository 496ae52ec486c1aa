import type { ApiVersion } from '../../kernel/api-version.js';
import { formatTimestamp } from '../../kernel/time.js';
import type { SessionView } from '../../domain/sessions/session-view.js';
import type { CreateSessionBody } from './session.schema.js';
import type { SessionParams } from '../../domain/sessions/session.repo.js';
import { OPERATION_LISTS, type RenderOptions } from './operation-lists.js';

export type { RenderOptions };

/**
 * The one place a session crosses the wire. v1 and v2 share every handler and differ only in the
 * mappers: v2 names the payout destination `payout_details` and the operation lists `payment_list`
 * (payments) and `payout_list` (payouts) where v1 says `acquiring_payments` and `payments`.
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
    revenue_split_info: body.revenue_split_info,
  };
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
  for (const list of OPERATION_LISTS) {
    const items = list.render(view, version, options);
    if (items.length > 0) wire[list.names[version]] = items;
  }
  if (session.error) wire['error'] = { code: session.error.code, description: session.error.description };
  return wire;
}
