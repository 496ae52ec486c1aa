import type { Queryable, Tx } from '../../platform/db/database.js';
import { ApiError } from '../../kernel/errors.js';
import { formatTimestamp } from '../../kernel/time.js';

/**
 * The self-employed widget (§5.12 `self_employed_widget: {tax_reference}`, Bank 131): a page where a
 * self-employed person (Russian NPD taxpayer, a 12-digit tax reference) allows the partner's project
 * to register their income with the tax service, or refuses. The answer is the project's binding for
 * that tax reference; payouts with fiscalization to a self-employed person rely on it
 * (taxpayer_not_bound otherwise). Sandbox tax service: a tax reference starting with 0000 is not
 * registered as self-employed (taxpayer_unknown); every other one is (docs/tokens.md).
 */
export type TaxpayerStatus = 'bound' | 'declined';

export interface TaxpayerBinding {
  readonly projectId: string;
  readonly taxReference: string;
  readonly status: TaxpayerStatus;
  readonly publicToken: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Sandbox rule: the tax service does not know a tax reference starting with 0000. */
export const isUnknownTaxpayer = (taxReference: string): boolean => taxReference.startsWith('0000');

export async function findTaxpayerBinding(db: Queryable, projectId: string, taxReference: string): Promise<TaxpayerBinding | undefined> {
  const r = await db.selectFrom('taxpayer_bindings').selectAll().where('project_id', '=', projectId).where('tax_reference', '=', taxReference).executeTakeFirst();
  return r && { projectId: String(r.project_id), taxReference: r.tax_reference, status: r.status, publicToken: r.public_token, createdAt: r.created_at, updatedAt: r.updated_at };
}

/** Whether the project may ask this person for a binding: a known taxpayer not bound to it already. */
export async function checkTaxpayerCanBind(db: Queryable, projectId: string, taxReference: string): Promise<void> {
  if (isUnknownTaxpayer(taxReference)) throw new ApiError('taxpayer_unknown', `tax reference ${taxReference} is not registered as self-employed with the tax service`);
  const binding = await findTaxpayerBinding(db, projectId, taxReference);
  if (binding?.status === 'bound') throw new ApiError('taxpayer_already_bound', `tax reference ${taxReference} has been bound to this project since ${formatTimestamp(binding.createdAt)}`);
}

/** Records the person's answer on the widget; a declined binding can be asked for again with a new token. */
export async function recordTaxpayerAnswer(tx: Tx, input: { projectId: string; taxReference: string; status: TaxpayerStatus; publicToken: string; now: Date }): Promise<void> {
  await tx
    .insertInto('taxpayer_bindings')
    .values({ project_id: input.projectId, tax_reference: input.taxReference, status: input.status, public_token: input.publicToken, created_at: input.now, updated_at: input.now })
    .onConflict((oc) => oc.columns(['project_id', 'tax_reference']).doUpdateSet({ status: input.status, public_token: input.publicToken, updated_at: input.now }))
    .execute();
}
