import { randomBytes } from 'node:crypto';
import type { Db, Queryable, Tx } from '../../platform/db/database.js';
import type { Project } from '../projects/project.repo.js';
import type { Clock } from '../../kernel/clock.js';
import { ApiError, invalidRequest } from '../../kernel/errors.js';
import { formatTimestamp } from '../../kernel/time.js';
import { luhnValid, maskCard } from './card-number.js';
import {
  disableRecurrentToken,
  findPublicToken,
  findRecurrentToken,
  insertPublicToken,
  insertRecurrentToken,
  lockAndCountAttempt,
  lockPublicToken,
  markUsed,
  type PublicToken,
  type PublicTokenKind,
  type RecurrentToken,
} from './public-token.repo.js';
import { findCardByHash, storeCard, type VaultDeps } from './vault.js';

/**
 * Public tokens (§5.12), card tokenization (§5.13), token info (§5.14) and recurrent tokens (§6.2,
 * §5.17). A public token lets a payer's browser do one thing for one project for 24 hours: tokenize
 * a card, or pay one session on the hosted page. The card number it carries in lands in the vault,
 * and only its number_hash comes back out.
 */
export interface TokenDeps extends VaultDeps {
  readonly clock: Clock;
}

export const PUBLIC_TOKEN_TTL_MS = 24 * 3600_000;
export const MAX_TOKENIZE_ATTEMPTS = 10;

const newToken = () => randomBytes(32).toString('hex');

/**
 * `sessionStatusOf` answers the status of one of the project's sessions (undefined: no such session):
 * tokens sit below sessions and reach them only through the caller.
 */
export async function issuePublicToken(
  tx: Tx,
  deps: TokenDeps,
  project: Project,
  body: Record<string, unknown>,
  sessionStatusOf: (id: string) => Promise<string | undefined>,
): Promise<string> {
  const kinds = (['tokenize_widget', 'acquiring_widget', 'fps_no_account_widget'] as const).filter((k) => body[k] !== undefined);
  if (kinds.length !== 1) throw invalidRequest('exactly one of tokenize_widget, acquiring_widget or fps_no_account_widget is required');
  const kind: PublicTokenKind = kinds[0]!;
  const params = body[kind] as Record<string, unknown>;
  let sessionId: string | null = null;
  if (kind !== 'tokenize_widget') {
    const id = params['session_id'];
    if (typeof id !== 'string') throw invalidRequest(`${kind}.session_id is required`);
    const status = await sessionStatusOf(id);
    if (!status) throw new ApiError('session_not_found', `session ${id} not found`);
    if (status !== 'created') throw new ApiError('invalid_session_state', `session ${id} is ${status}; a widget can only pay a session that has not started`);
    sessionId = id;
  }
  const now = deps.clock.now();
  const token = newToken();
  await insertPublicToken(tx, { token, projectId: project.id, kind, params, sessionId, createdAt: now, expiresAt: new Date(now.getTime() + PUBLIC_TOKEN_TTL_MS) });
  return token;
}

/** Why a public token cannot be used now, or undefined when it can. */
export function publicTokenProblem(t: PublicToken | undefined, now: Date, kinds: readonly PublicTokenKind[]): string | undefined {
  if (!t) return 'the public token is not known';
  if (t.expiresAt <= now) return `the public token expired at ${formatTimestamp(t.expiresAt)}`;
  if (t.usedAt) return 'the public token was already used';
  if (!kinds.includes(t.kind)) return `the public token is for ${t.kind}`;
  return undefined;
}

export interface TokenizeInput {
  readonly number: string;
  readonly expiration_month: string;
  readonly expiration_year: string;
  readonly security_code?: string | undefined;
}

/**
 * POST /cds/v1/tokenize/card: vaults the card for the token's project and answers its number_hash.
 * Every call counts against the token (at most MAX_TOKENIZE_ATTEMPTS), so a token cannot be used to
 * test card numbers. A tokenize_widget token is spent by its first success; an acquiring_widget
 * token is spent by the payment, not by the tokenization that precedes it.
 */
/**
 * Counts one tokenization attempt against the token, in its own transaction and before the body is
 * even validated, so refused cards count too; refuses an unusable token or one over the limit.
 */
export async function countTokenizeAttempt(db: Db, deps: TokenDeps, publicToken: string): Promise<void> {
  const now = deps.clock.now();
  const counted = await db.transaction().execute((tx) => lockAndCountAttempt(tx, publicToken));
  const problem = publicTokenProblem(counted, now, ['tokenize_widget', 'acquiring_widget']);
  if (problem) throw new ApiError('invalid_public_token', problem);
  if (counted!.attempts > MAX_TOKENIZE_ATTEMPTS) throw new ApiError('rate_limited', `this public token has been used for ${MAX_TOKENIZE_ATTEMPTS} tokenization attempts; ask for a new one`);
}

export async function tokenizeCard(db: Db, deps: TokenDeps, publicToken: string, card: TokenizeInput): Promise<{ token: string; masked: string; brand: string }> {
  const now = deps.clock.now();
  if (!luhnValid(card.number)) throw invalidRequest('card.number is not a valid card number (Luhn check failed)');
  return db.transaction().execute(async (tx) => {
    const t = await lockPublicToken(tx, publicToken); // under the lock: one success per tokenize_widget token
    const again = publicTokenProblem(t, now, ['tokenize_widget', 'acquiring_widget']);
    if (again) throw new ApiError('invalid_public_token', again);
    const stored = await storeCard(tx, deps, t!.projectId, card.number, now, { month: card.expiration_month, year: card.expiration_year });
    if (t!.kind === 'tokenize_widget') await markUsed(tx, publicToken, now);
    const m = maskCard(card.number);
    return { token: stored.numberHash, masked: `${m.bin}${'*'.repeat(card.number.length - 10)}${m.last4}`, brand: m.brand };
  });
}

/** Issues the recurrent token a successful payment with payment_options.recurrent earns (§6.2). */
export async function issueRecurrentToken(tx: Tx, input: { projectId: string; cardId: string; paymentId: string; now: Date; cardExpiry?: { month?: string; year?: string } }): Promise<RecurrentToken> {
  const { month, year } = input.cardExpiry ?? {};
  // Valid until the card expires (end of its month), or five years when the expiry is unknown.
  const finishedAt =
    month && year ? new Date(Date.UTC(2000 + Number(year), Number(month), 1) - 1000) : new Date(input.now.getTime() + 5 * 365 * 86_400_000);
  const token: RecurrentToken = { token: newToken(), projectId: input.projectId, cardId: input.cardId, paymentId: input.paymentId, createdAt: input.now, finishedAt, disabledAt: null };
  await insertRecurrentToken(tx, token);
  return token;
}

export function renderRecurrent(t: RecurrentToken, now: Date): Record<string, unknown> {
  return {
    token: t.token,
    created_at: formatTimestamp(t.createdAt),
    finished_at: formatTimestamp(t.finishedAt),
    is_active: t.disabledAt === null && t.finishedAt > now,
    type: 'recurrent_token',
  };
}

/** A recurrent token usable for a new payment, or the precise reason it is not. */
export async function usableRecurrentToken(db: Queryable, projectId: string, token: string, now: Date): Promise<RecurrentToken> {
  const t = await findRecurrentToken(db, projectId, token);
  if (!t) throw invalidRequest('payment_details.recurrent.token is not a recurrent token of this project');
  if (t.disabledAt) throw new ApiError('binding_is_deactivated', `recurrent token was disabled at ${formatTimestamp(t.disabledAt)}`);
  if (t.finishedAt <= now) throw new ApiError('binding_is_deactivated', `recurrent token expired at ${formatTimestamp(t.finishedAt)}`);
  return t;
}

export async function recurrentStatus(db: Queryable, project: Project, token: string, now: Date): Promise<Record<string, unknown>> {
  const t = await findRecurrentToken(db, project.id, token);
  if (!t) throw invalidRequest('recurrent.token is not a recurrent token of this project');
  return renderRecurrent(t, now);
}

export async function disableRecurrent(tx: Tx, project: Project, token: string, now: Date): Promise<Record<string, unknown>> {
  const t = await findRecurrentToken(tx, project.id, token);
  if (!t) throw invalidRequest('recurrent.token is not a recurrent token of this project');
  await disableRecurrentToken(tx, project.id, token, now);
  return renderRecurrent({ ...t, disabledAt: t.disabledAt ?? now }, now);
}

/** token/info (§5.14) for a card hash, a public token or a recurrent token of this project. */
export async function tokenInfo(db: Queryable, project: Project, body: Record<string, unknown>, now: Date): Promise<Record<string, unknown>> {
  const type = body['type'];
  if (type === 'card') {
    const hash = (body['card'] as { encrypted_card?: { number_hash?: string } } | undefined)?.encrypted_card?.number_hash;
    if (!hash) throw invalidRequest('card.encrypted_card.number_hash is required');
    const card = await findCardByHash(db, project.id, hash);
    if (!card) throw invalidRequest('card.encrypted_card.number_hash does not name a card of this project');
    return { number_hash: card.numberHash, brand: card.brand, last4: card.last4, type: 'card', ...(project.cardIdEnabled ? { card_id: card.cardId } : {}) };
  }
  if (type === 'public_token') {
    const token = (body['public_token'] as { token?: string } | undefined)?.token;
    if (!token) throw invalidRequest('public_token.token is required');
    const t = await findPublicToken(db, token);
    if (!t || t.projectId !== project.id) throw invalidRequest('public_token.token is not a public token of this project');
    return { token: t.token, type: t.kind, created_at: formatTimestamp(t.createdAt), finished_at: formatTimestamp(t.expiresAt), is_active: !t.usedAt && t.expiresAt > now };
  }
  if (type === 'recurrent_token') {
    const token = (body['recurrent_token'] as { token?: string } | undefined)?.token;
    if (!token) throw invalidRequest('recurrent_token.token is required');
    const t = await findRecurrentToken(db, project.id, token);
    if (!t) throw invalidRequest('recurrent_token.token is not a recurrent token of this project');
    return renderRecurrent(t, now);
  }
  throw invalidRequest('type must be one of: card, public_token, recurrent_token');
}
