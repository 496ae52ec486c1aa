import { Type, type TSchema } from '@sinclair/typebox';
import { SESSION_STATUSES } from '../../domain/sessions/session.status.js';
import { WEBHOOK_TYPES } from '../wire/webhook.schema.js';
import type { ApiVersion } from '../../kernel/api-version.js';
import { SessionResponse as WireSessionResponse } from '../wire/session.schema.js';
import { AcquiringPayment, Money, OperationError, Payout, PayoutV2, RecurrentToken, Timestamp } from './operation.schemas.js';

/**
 * The answers of the partner methods and the webhook bodies, for the OpenAPI document (see
 * operation.schemas.ts for why the server itself never reads these).
 */

const Ok = Type.Literal('ok', { description: 'Always `ok` on HTTP 200' });

export const ErrorEnvelope = Type.Object(
  {
    status: Type.Literal('error'),
    error: Type.Object(
      {
        code: Type.String({ description: 'One of the closed list in docs/errors.md', examples: ['invalid_request'] }),
        description: Type.String({ description: 'One sentence naming the field or the state at fault', examples: ['amount_details.amount must be a positive integer'] }),
      },
      { title: 'ApiError' },
    ),
  },
  { title: 'ErrorEnvelope', description: 'Every refusal, at any HTTP status from 400 to 503' },
);

function session(version: ApiVersion): TSchema {
  const [payments, payouts] = version === 'v1' ? ['acquiring_payments', 'payments'] : ['payment_list', 'payout_list'];
  return Type.Object(
    {
      id: Type.String({ examples: ['ps_3230'] }),
      status: Type.Unsafe<string>({ type: 'string', enum: [...SESSION_STATUSES], description: 'Computed from the operations' }),
      created_at: Timestamp,
      updated_at: Timestamp,
      finished_at: Type.Optional(Timestamp),
      next_action: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['confirm', 'capture'], description: 'What the partner is awaited for' })),
      [payments]: Type.Optional(Type.Array(AcquiringPayment, { description: 'Payments in; absent while there is none' })),
      [payouts]: Type.Optional(Type.Array(version === 'v1' ? Payout : PayoutV2, { description: 'Payouts; absent while there is none' })),
      error: Type.Optional(OperationError),
    },
    {
      title: version === 'v1' ? 'Session' : 'SessionV2',
      description: `A payment session, API ${version}: payments in \`${payments}\`, payouts in \`${payouts}\``,
    },
  );
}

export const Session = session('v1');
export const SessionV2 = session('v2');

export const SessionResponse = Type.Object({ status: Ok, session: Session }, { title: 'SessionResponse' });
export const SessionResponseV2 = Type.Object({ status: Ok, session: SessionV2 }, { title: 'SessionResponseV2' });

export const FpsBanksResponse = Type.Object(
  { status: Ok, banks: Type.Array(Type.Object({ id: Type.String({ examples: ['100000000004'] }), eng_name: Type.String(), ru_name: Type.String() }, { title: 'FpsBank' })) },
  { title: 'FpsBanksResponse' },
);

export const WalletBalanceResponse = Type.Object(
  { status: Ok, wallets: Type.Array(Type.Object({ id: Type.String(), amount_details: Money }, { title: 'WalletBalance' })) },
  { title: 'WalletBalanceResponse' },
);

export const PublicTokenResponse = Type.Object({ status: Ok, public_token: Type.String() }, { title: 'PublicTokenResponse' });

const CardInfoFields = {
  number_hash: Type.Optional(Type.String()),
  brand: Type.Optional(Type.String()),
  last4: Type.Optional(Type.String()),
  country_iso3: Type.Optional(Type.String()),
};

export const TokenInfo = Type.Object(
  {
    token: Type.String(),
    type: Type.Unsafe<string>({ type: 'string', enum: ['card', 'public_token', 'recurrent_token'] }),
    created_at: Type.Optional(Timestamp),
    finished_at: Type.Optional(Timestamp),
    is_active: Type.Optional(Type.Boolean()),
    card_id: Type.Optional(Type.String()),
    widgets: Type.Optional(
      Type.Unsafe({
        type: 'object',
        description: 'Public tokens: each widget and whether it can still be used',
        additionalProperties: Type.Object(
          {
            is_active: Type.Boolean(),
            used_at: Type.Optional(Timestamp),
            session_id: Type.Optional(Type.String()),
            tax_reference: Type.Optional(Type.String()),
            taxpayer_status: Type.Optional(Type.String()),
          },
          { title: 'TokenWidgetInfo' },
        ),
      }),
    ),
    ...CardInfoFields,
  },
  { title: 'TokenInfo', description: 'The card, public token or recurrent token named; card fields where a card is known' },
);
export const TokenInfoResponse = Type.Object({ status: Ok, info: TokenInfo }, { title: 'TokenInfoResponse' });

export const RecurrentResponse = Type.Object({ status: Ok, recurrent: RecurrentToken }, { title: 'RecurrentResponse' });

export const SubscriptionResponse = Type.Object(
  {
    status: Ok,
    subscription: Type.Object(
      {
        id: Type.String(),
        period: Type.Unsafe<string>({ type: 'string', enum: ['day', 'week', 'month', 'year'] }),
        initial: Type.Boolean(),
        next_point: Type.Optional(Timestamp),
        retries_exceeded: Type.Boolean(),
        is_active: Type.Boolean(),
      },
      { title: 'SubscriptionState' },
    ),
  },
  { title: 'SubscriptionResponse' },
);

export const OkResponse = Type.Object({ status: Ok }, { title: 'OkResponse' });

export const TokenizeCardResponse = Type.Object(
  {
    data: Type.Object(
      { token: Type.String({ description: 'The card token (number_hash) to pay or pay out with' }), info: Type.Object({ masked_card_number: Type.String({ examples: ['424242******4242'] }), card_type: Type.String() }, { title: 'TokenizedCardInfo' }) },
      { title: 'TokenizedCardData' },
    ),
  },
  { title: 'TokenizeCardResponse' },
);

/** The answers of the partner methods whose route declares none (or a different one), by path. */
export const METHOD_RESPONSES: Readonly<Record<string, TSchema>> = {
  'fps/banks': FpsBanksResponse,
  'wallet/balance': WalletBalanceResponse,
  token: PublicTokenResponse,
  'token/info': TokenInfoResponse,
  'recurrent/status': RecurrentResponse,
  'recurrent/disable': RecurrentResponse,
  'subscription/cancel': SubscriptionResponse,
  'subscription/restore': SubscriptionResponse,
  'sberpay/push': OkResponse,
};

/**
 * A method's answer for the document: the table above; the session in the caller's version for
 * the methods that answer the wire's SessionResponse (it has no operation lists); else what the
 * route itself declares (a method added later documents the response it gives).
 */
export function responseFor(path: string, version: ApiVersion, declared: unknown): TSchema {
  const known = METHOD_RESPONSES[path];
  if (known) return known;
  if (declared === WireSessionResponse || declared === undefined) return version === 'v1' ? SessionResponse : SessionResponseV2;
  return declared as TSchema;
}

const WEBHOOK_WHEN: Readonly<Record<(typeof WEBHOOK_TYPES)[number], string>> = {
  ready_to_confirm: 'An operation waits in ready_to_confirm: call session/confirm or session/cancel (within 240 minutes)',
  ready_to_capture: 'A hold was placed (payment_options.hold): call session/capture or session/cancel',
  action_required: 'The payer must act: the payment carries customer_interaction (3-D Secure, a provider page, an FPS QR code)',
  payment_finished: 'An operation finished: succeeded (session accepted) or failed (session cancelled, or error: not final)',
  payment_refunded: 'A refund finished (is_chargeback: true for a chargeback), or a payout came back from the bank',
};

const pascal = (s: string) => s.replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase());

/**
 * One body per webhook type: `{type, session}`, the session as it was at the event, in the API
 * version the session was created with (so either shape; receivers must ignore unknown fields).
 */
export const WEBHOOK_BODIES = WEBHOOK_TYPES.map((type) => ({
  type,
  description: WEBHOOK_WHEN[type],
  schema: Type.Object(
    { type: Type.Literal(type), session: Type.Union([Session, SessionV2], { description: 'v1 or v2, as the session was created' }) },
    { title: `${pascal(type)}Webhook`, description: WEBHOOK_WHEN[type] },
  ),
}));
