import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { Decline, ProcessorFailure } from '../../domain/payments/card-processor.port.js';
import type { OpenRequest, Opened, PaidResult, PayerRail } from '../../domain/payments/payer-rail.port.js';
import type { PayerSource } from '../../domain/payments/payment-source.js';
import { refundBehaviour } from './sandbox-cards.js';

/**
 * The simulated FPS network and redirect providers (docs/test-cards.md, "FPS, internet banking and
 * wallets"). Registering a payment always succeeds; the payer's answer on the hosted bank app or
 * provider page decides the outcome; refunds follow the same amount suffixes as card refunds; a
 * SberPay push to a phone ending in 00 is declined in the app, any other is paid. Answers are
 * remembered per operation id in sandbox_processor_ops, as the card processor's are: a job resumed
 * after a crash gets the first answer.
 */
export class SandboxPayerRails implements PayerRail {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async #once<T>(operationId: string, kind: string, decide: () => T): Promise<T> {
    const candidate = decide();
    const res = await sql<{ result: T }>`
      INSERT INTO sandbox_processor_ops (operation_id, kind, result, created_at)
      VALUES (${operationId}, ${kind}, ${JSON.stringify(candidate)}, now())
      ON CONFLICT (operation_id) DO UPDATE SET operation_id = EXCLUDED.operation_id
      RETURNING result`.execute(this.#db);
    return res.rows[0]!.result;
  }

  async open(op: OpenRequest): Promise<Opened | Decline> {
    return this.#once(op.operationId, `${railOf(op.source)}_open`, () => ({ kind: 'opened' as const, reference: reference(op.source) }));
  }

  async complete(op: { operationId: string; source: PayerSource; approved: boolean }): Promise<PaidResult> {
    return this.#once(op.operationId, `${railOf(op.source)}_complete`, (): PaidResult =>
      op.approved
        ? { kind: 'paid', reference: reference(op.source) }
        : { kind: 'declined', code: 'cancelled_by_customer', description: declineText(op.source) },
    );
  }

  async refund(op: { operationId: string; source: PayerSource; amount: number }): Promise<{ kind: 'refunded' } | Decline | ProcessorFailure> {
    return this.#once(op.operationId, `${railOf(op.source)}_refund`, () => refundBehaviour(op.amount));
  }

  /** An FPS binding charge is paid (a disabled or expired binding is refused at start, before the rail). */
  async chargeBinding(op: { operationId: string; token: string; amount: number; currency: string }): Promise<PaidResult> {
    return this.#once(op.operationId, 'fps_binding_charge', (): PaidResult => ({ kind: 'paid', reference: reference({ type: 'faster_payment_system' }) }));
  }

  async push(op: { operationId: string; phone: string }): Promise<{ kind: 'delivered'; approved: boolean }> {
    return this.#once(op.operationId, 'sberpay_push', () => ({ kind: 'delivered' as const, approved: !op.phone.endsWith('00') }));
  }
}

const railOf = (s: PayerSource) => (s.type === 'faster_payment_system' ? 'fps' : s.type);

/** FPS message ids are 32 characters starting with A (as the SBP's); providers get a hex reference. */
const reference = (s: PayerSource) => (s.type === 'faster_payment_system' ? `A${randomBytes(16).toString('hex').toUpperCase().slice(0, 31)}` : randomBytes(10).toString('hex'));

function declineText(s: PayerSource): string {
  switch (s.type) {
    case 'faster_payment_system':
      return 'the payer declined the FPS payment in the bank app';
    case 'internet_banking':
      return `the payer declined the payment on the ${s.provider} page`;
    case 'wallet':
      return `the payer declined the payment in the ${s.provider} wallet`;
  }
}
