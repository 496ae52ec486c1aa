import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { BankRails, ReconcileResult, RailRequest, SendResult } from '../../domain/payouts/bank-rail.port.js';
import type { Decline } from '../../domain/payments/card-processor.port.js';
import type { Rail } from '../../domain/payouts/rails.js';
import { DAY_MS, FAILURE_DESCRIPTION, PROVIDER_TIMEOUT_DESCRIPTION, testCardBehaviour } from './sandbox-cards.js';

/**
 * The sandbox's bank rails (docs/test-payouts.md). Outcomes are keyed by the destination:
 * - cards: the test cards of sandbox-cards.ts (declines, the provider timeout, transfers to a
 *   foreign card refused, a rail failure); other numbers are paid at once, with an rrn and an
 *   auth_code;
 * - accounts (IBAN, account number, wallet account) ending in
 *     0404 → refused: account_not_found;
 *     0451 → refused: provider_exceeds_amount_limit;
 *     0452 → refused: amount_less_allowed_provider;
 *     0909 → paid, then returned by the recipient's bank two clock-days later;
 *     0408 → the rail times out; reconciliation 30 clock-minutes later finds it paid;
 *     0504 → the rail times out; reconciliation finds it was not paid: provider_timeout;
 *     0500 → the rail fails and cannot say whether it paid: the payout is in error;
 *   anything else is paid, after a clock-day for bank transfers and at once for FPS and wallets;
 * - FPS customer verification: a phone whose last digit is even is registered.
 * Answers are remembered per operation id (sandbox_processor_ops), like the card processor's.
 */
export const SETTLE_DELAY_MS: Readonly<Record<Rail, number>> = { card: 0, fps: 0, wallet: 0, bank_transfer: DAY_MS, ru: DAY_MS, fps_verification: 0 };
export const RETURN_AFTER_MS = 2 * DAY_MS;
export const RECONCILE_AFTER_MS = 30 * 60_000;

const digits = (n: number) => Array.from({ length: n }, () => randomInt(0, 10)).join('');
const reference = () => digits(12);
const authCode = () => digits(6);

export class SandboxRails implements BankRails {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async #once<T>(operationId: string, kind: string, decide: () => T): Promise<T> {
    const res = await sql<{ result: T }>`
      INSERT INTO sandbox_processor_ops (operation_id, kind, result, created_at)
      VALUES (${operationId}, ${kind}, ${JSON.stringify(decide())}, now())
      ON CONFLICT (operation_id) DO UPDATE SET operation_id = EXCLUDED.operation_id
      RETURNING result`.execute(this.#db);
    return res.rows[0]!.result;
  }

  async send(req: RailRequest): Promise<SendResult> {
    return this.#once(`${req.operationId}:send`, 'payout', (): SendResult => {
      const settleAfterMs = SETTLE_DELAY_MS[req.rail];
      if (req.rail === 'card') {
        const behaviour = testCardBehaviour(req.destination);
        switch (behaviour.kind) {
          case 'decline':
          case 'payout_declined':
            return { kind: 'declined', code: behaviour.code, description: behaviour.description };
          case 'timeout':
            return { kind: 'timeout', reconcileAfterMs: RECONCILE_AFTER_MS };
          case 'failure':
            return { kind: 'error', code: behaviour.code, description: behaviour.description };
          default:
            return { kind: 'accepted', reference: reference(), authCode: authCode(), settleAfterMs: 0 };
        }
      }
      const suffix = req.destination.slice(-4);
      switch (suffix) {
        case '0404':
          return notFound(req.destination);
        case '0451':
          return { kind: 'declined', code: 'provider_exceeds_amount_limit', description: "the amount exceeds the recipient bank's limit for one transfer" };
        case '0452':
          return { kind: 'declined', code: 'amount_less_allowed_provider', description: "the amount is below the recipient bank's minimum for one transfer" };
        case '0408':
        case '0504':
          return { kind: 'timeout', reconcileAfterMs: RECONCILE_AFTER_MS };
        case '0500':
          return { kind: 'error', code: 'provider_internal_error', description: FAILURE_DESCRIPTION };
        case '0909':
          return { kind: 'accepted', reference: reference(), settleAfterMs, returnAfterMs: RETURN_AFTER_MS };
        default:
          return { kind: 'accepted', reference: reference(), settleAfterMs };
      }
    });
  }

  /** A timed-out payout: paid after all, except on the test destinations whose timeout means "not made". */
  async reconcile(req: RailRequest): Promise<ReconcileResult> {
    return this.#once(`${req.operationId}:reconcile`, 'reconcile', (): ReconcileResult => {
      const notMade = req.rail === 'card' ? testCardBehaviour(req.destination).kind === 'timeout' : req.destination.endsWith('0504');
      if (notMade) return { kind: 'declined', code: 'provider_timeout', description: PROVIDER_TIMEOUT_DESCRIPTION };
      return { kind: 'settled', reference: reference(), ...(req.rail === 'card' ? { authCode: authCode() } : {}) };
    });
  }

  async verifyFpsCustomer(op: { operationId: string; phone: string; bankId: string }): Promise<{ kind: 'found' } | Decline> {
    return this.#once(op.operationId, 'fps_verification', () =>
      Number(op.phone.at(-1)) % 2 === 0
        ? { kind: 'found' as const }
        : { kind: 'declined' as const, code: 'account_not_found', description: `phone ${op.phone} is not registered in the Faster Payment System at bank ${op.bankId}` },
    );
  }
}

function notFound(destination: string): Decline {
  return { kind: 'declined', code: 'account_not_found', description: `the recipient's bank has no account ${destination.slice(0, 4)}…${destination.slice(-4)}` };
}
