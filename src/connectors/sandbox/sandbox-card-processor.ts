import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { AuthorizeRequest, AuthorizeResult, CardProcessor, Decline, ProcessorCard, ProcessorFailure } from '../../domain/payments/card-processor.port.js';
import { PROVIDER_TIMEOUT_DESCRIPTION, isExpired, refundBehaviour, testCardBehaviour } from './sandbox-cards.js';

/**
 * The simulated card network. Outcomes follow the test cards; answers are remembered per operation
 * id in sandbox_processor_ops, so a repeated call (a job resumed after a crash) gets the first answer
 * and the network sees one operation. The first writer of an operation id wins, even across instances.
 */
export class SandboxCardProcessor implements CardProcessor {
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

  async precheck(op: { operationId: string; card: ProcessorCard }): Promise<{ kind: 'ok' } | Decline> {
    return this.#once(op.operationId, 'precheck', () => ({ kind: 'ok' as const }));
  }

  async authorize(op: AuthorizeRequest): Promise<AuthorizeResult> {
    return this.#once(op.operationId, op.capture ? 'sale' : 'authorize', (): AuthorizeResult => {
      if (isExpired(op.card.expirationMonth, op.card.expirationYear, op.now)) {
        return { kind: 'declined', code: 'bank_card_expired', description: `the card expired at the end of ${op.card.expirationMonth}/${op.card.expirationYear}` };
      }
      const behaviour = testCardBehaviour(op.card.number);
      switch (behaviour.kind) {
        case 'decline':
          return { kind: 'declined', code: behaviour.code, description: behaviour.description };
        case 'timeout':
          return { kind: 'declined', code: 'provider_timeout', description: PROVIDER_TIMEOUT_DESCRIPTION };
        case 'failure':
          return { kind: 'error', code: behaviour.code, description: behaviour.description };
        case 'saved_card_declined':
          // Only a charge of the saved card (recurrent token) meets the deactivated binding.
          if (op.initiator) return { kind: 'declined', code: behaviour.code, description: behaviour.description };
          break;
        default:
          break;
      }
      // A saved card: the merchant charges without the payer (no challenge possible); the client
      // initiated charge always goes through 3-D Secure.
      if (op.initiator === 'client') return challenge();
      switch (behaviour.kind) {
        case 'challenge':
          return op.initiator === 'merchant' ? approval() : challenge();
        case 'chargeback':
          return { ...approval(), chargebackAfterMs: behaviour.afterMs };
        default:
          return approval();
      }
    });
  }

  async completeChallenge(op: { operationId: string; card: ProcessorCard; confirmed: boolean; capture: boolean }): Promise<AuthorizeResult> {
    return this.#once(op.operationId, '3ds', (): AuthorizeResult =>
      op.confirmed ? approval() : { kind: 'declined', code: '3DS_error', description: 'the payer failed 3-D Secure authentication' },
    );
  }

  async capture(op: { operationId: string; amount: number }): Promise<{ kind: 'captured' } | Decline> {
    return this.#once(op.operationId, 'capture', () => ({ kind: 'captured' as const }));
  }

  async void(op: { operationId: string }): Promise<{ kind: 'voided' }> {
    return this.#once(op.operationId, 'void', () => ({ kind: 'voided' as const }));
  }

  async refund(op: { operationId: string; amount: number }): Promise<{ kind: 'refunded' } | Decline | ProcessorFailure> {
    return this.#once(op.operationId, 'refund', () => refundBehaviour(op.amount));
  }
}

const digits = (n: number) => Array.from({ length: n }, () => randomInt(0, 10)).join('');

function approval(): { kind: 'approved'; rrn: string; authCode: string } {
  return { kind: 'approved', rrn: digits(12), authCode: digits(6) };
}

/** A challenge holds an authorization the network already numbered: its rrn shows on action_required. */
function challenge(): { kind: 'challenge'; rrn: string } {
  return { kind: 'challenge', rrn: digits(12) };
}
