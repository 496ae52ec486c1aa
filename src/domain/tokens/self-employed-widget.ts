import type { Db } from '../../platform/db/database.js';
import type { Clock } from '../../kernel/clock.js';
import { ApiError } from '../../kernel/errors.js';
import { findProjectById } from '../projects/project.repo.js';
import { findPublicToken, lockPublicToken, markUsed } from './public-token.repo.js';
import { checkTaxpayerCanBind, findTaxpayerBinding, recordTaxpayerAnswer, type TaxpayerStatus } from './self-employed.js';
import { publicTokenProblem, widgetOf } from './token.service.js';

/** What the self-employed page shows: who asks, for which tax reference, and the answer once given. */
export interface SelfEmployedView {
  readonly merchant: string;
  readonly taxReference: string;
  readonly locale: 'en' | 'ru';
  readonly state: 'ask' | TaxpayerStatus;
}

const masked = (ref: string) => `${ref.slice(0, 2)}${'•'.repeat(6)}${ref.slice(-4)}`;

/** The page's view of a self_employed_widget token, or invalid_public_token for a link that cannot be shown. */
export async function selfEmployedView(db: Db, token: string, now: Date, locale: 'en' | 'ru'): Promise<SelfEmployedView> {
  const t = await findPublicToken(db, token);
  const w = t && widgetOf(t, 'self_employed_widget');
  if (!t || !w) throw new ApiError('invalid_public_token', 'the link is not valid');
  const project = await findProjectById(db, t.projectId);
  if (!project) throw new ApiError('invalid_public_token', 'the link is not valid');
  const ref = String(w.params['tax_reference']);
  if (w.usedAt) {
    const binding = await findTaxpayerBinding(db, t.projectId, ref);
    return { merchant: project.name, taxReference: masked(ref), locale, state: binding?.status ?? 'declined' };
  }
  if (t.expiresAt <= now) throw new ApiError('invalid_public_token', 'the link has expired');
  return { merchant: project.name, taxReference: masked(ref), locale, state: 'ask' };
}

/**
 * The person's answer: `allow` binds the tax reference to the project, `decline` records the refusal.
 * Either spends the token's self-employed widget; a second answer is refused and changes nothing.
 */
export async function answerSelfEmployed(db: Db, deps: { clock: Clock }, token: string, answer: 'allow' | 'decline'): Promise<void> {
  const now = deps.clock.now();
  await db.transaction().execute(async (tx) => {
    const t = await lockPublicToken(tx, token);
    const problem = publicTokenProblem(t, now, ['self_employed_widget']);
    if (problem) throw new ApiError('invalid_public_token', problem);
    const ref = String(widgetOf(t!, 'self_employed_widget')!.params['tax_reference']);
    // Another link may have bound the same person since this one was issued: that binding stands.
    await checkTaxpayerCanBind(tx, t!.projectId, ref);
    await recordTaxpayerAnswer(tx, { projectId: t!.projectId, taxReference: ref, status: answer === 'allow' ? 'bound' : 'declined', publicToken: token, now });
    await markUsed(tx, token, now, 'self_employed_widget');
  });
}
