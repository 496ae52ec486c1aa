import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { Decline } from '../../kernel/operation-errors.js';
import type { FiscalReceipt, Fiscalization, TaxpayerRegistry } from '../../domain/payouts/fiscalization.js';
import { isUnknownTaxpayer } from '../../domain/tokens/self-employed.js';

/**
 * The sandbox's tax service for payouts to the self-employed (docs/test-payouts.md). Test tax
 * references:
 *   starting with 0000 (e.g. 000012345678) → taxpayer_unknown: not registered as self-employed (the
 *                  same rule as the self-employed widget's, domain/tokens/self-employed.ts);
 *   770000000300 → has earned 2,395,000.00 RUB this year: a payout above 5,000.00 RUB would pass the
 *                  2,400,000.00 RUB yearly limit (taxpayer_income_exceeds_amount_limit);
 *   any other 12 digits → a self-employed person with no income yet this year.
 * Whether the person bound the project is the project's binding, which the payout checks itself.
 * Registered income gets a receipt id; answers are remembered per operation id, like the rails'.
 */
export const NPD_YEARLY_LIMIT = 240_000_000;

/** What the test taxpayers earned this year before the sandbox's payouts (minor units of RUB). */
const EARNED_THIS_YEAR: ReadonlyMap<string, number> = new Map([['770000000300', 239_500_000]]);

const RECEIPT_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export class SandboxTaxpayers implements TaxpayerRegistry {
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

  async checkTaxpayer(op: { operationId: string; taxReference: string; amount: number }): Promise<{ kind: 'ok' } | Decline> {
    return this.#once(`${op.operationId}:taxpayer`, 'npd_check', (): { kind: 'ok' } | Decline => {
      if (isUnknownTaxpayer(op.taxReference)) {
        return { kind: 'declined', code: 'taxpayer_unknown', description: `taxpayer ${op.taxReference} is not registered as self-employed (professional income tax)` };
      }
      const earned = EARNED_THIS_YEAR.get(op.taxReference) ?? 0;
      if (earned + op.amount > NPD_YEARLY_LIMIT) {
        return {
          kind: 'declined',
          code: 'taxpayer_income_exceeds_amount_limit',
          description: `taxpayer ${op.taxReference} has earned ${earned} this year; ${op.amount} more would pass the yearly limit of ${NPD_YEARLY_LIMIT} (minor units of RUB)`,
        };
      }
      return { kind: 'ok' };
    });
  }

  async registerIncome(op: { operationId: string; fiscalization: Fiscalization }): Promise<{ kind: 'registered'; receipt: FiscalReceipt }> {
    return this.#once(`${op.operationId}:income`, 'npd_income', () => ({
      kind: 'registered' as const,
      receipt: { id: Array.from({ length: 10 }, () => RECEIPT_ALPHABET[randomInt(0, RECEIPT_ALPHABET.length)]).join('') },
    }));
  }
}
