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
  recordTokenizedCard,
  type PublicToken,
  type PublicTokenKind,
  type RecurrentToken,
  type TokenWidget,
} from './public-token.repo.js';
import { findCardByHash, findCardById, storeCard, type StoredCardInfo, type VaultDeps } from './vault.js';
import { countryOfCard } from '../../kernel/card-country.js';
import { checkTaxpayerCanBind, findTaxpayerBinding } from './self-employed.js';

/**
 * Public tokens (§5.12), card tokenization (§5.13), token info (§5.14) and recurrent tokens (§6.2,
 * §5.17). A public token lets a payer's browser use one or more widgets of one project for 24 hours,
 * each once: tokenize a card, pay one session on the hosted page, bind a self-employed person's tax
 * reference. The card number it carries in lands in the vault, and only its number_hash comes back out.
 */
export interface TokenDeps extends VaultDeps {
  readonly clock: Clock;
}

export const PUBLIC_TOKEN_TTL_MS = 24 * 3600_000;
export const MAX_TOKENIZE_ATTEMPTS = 10;

const newToken = () => randomBytes(32).toString('hex');

/** What `token` needs to know of a session a widget names (undefined: no such session). */
export interface WidgetSession {
  readonly status: string;
  /** A payout session (it has a payment_method) cannot be paid by a payer. */
  readonly payout: boolean;
}

/** The widgets `token` can issue for, in the order they are reported. */
export const WIDGET_KINDS = ['tokenize_widget', 'acquiring_widget', 'fps_no_account_widget', 'self_employed_widget'] as const satisfies readonly PublicTokenKind[];
const SESSION_WIDGETS: readonly PublicTokenKind[] = ['acquiring_widget', 'fps_no_account_widget'];

/**
 * Issues one public token for every widget the body names (§5.12; the SDK's builder combines any of
 * tokenize_widget, acquiring_widget and self_employed_widget). Widgets that pay a session must all
 * name the same one, still `created`, and a payment session: one token serves one session. Each
 * widget keeps its own single use (docs/tokens.md). `sessionOf` reaches the project's sessions:
 * tokens sit below sessions and see them only through the caller.
 */
export async function issuePublicToken(
  tx: Tx,
  deps: TokenDeps,
  project: Project,
  body: Record<string, unknown>,
  sessionOf: (id: string) => Promise<WidgetSession | undefined>,
): Promise<string> {
  const kinds = WIDGET_KINDS.filter((k) => body[k] !== undefined);
  if (kinds.length === 0) throw invalidRequest(`at least one widget is required: ${WIDGET_KINDS.join(', ')}`);
  const widgets = kinds.map((kind) => ({ kind, params: body[kind] as Record<string, unknown> }));
  let sessionId: string | null = null;
  for (const w of widgets.filter((x) => SESSION_WIDGETS.includes(x.kind))) {
    const id = w.params['session_id'];
    if (typeof id !== 'string') throw invalidRequest(`${w.kind}.session_id is required`);
    if (sessionId !== null && id !== sessionId) {
      throw invalidRequest(`${widgets.filter((x) => SESSION_WIDGETS.includes(x.kind)).map((x) => `${x.kind}.session_id`).join(' and ')} name different sessions; one public token serves one session`);
    }
    sessionId = id;
  }
  if (sessionId !== null) {
    const session = await sessionOf(sessionId);
    if (!session) throw new ApiError('session_not_found', `session ${sessionId} not found`);
    if (session.payout) throw invalidRequest(`session ${sessionId} is a payout session; a widget can only pay a payment session`);
    if (session.status !== 'created') throw new ApiError('invalid_session_state', `session ${sessionId} is ${session.status}; a widget can only pay a session that has not started`);
  }
  const selfEmployed = widgets.find((w) => w.kind === 'self_employed_widget');
  if (selfEmployed) await checkTaxpayerCanBind(tx, project.id, String(selfEmployed.params['tax_reference']));
  const primary = widgets.find((w) => SESSION_WIDGETS.includes(w.kind)) ?? widgets[0]!;
  const now = deps.clock.now();
  const token = newToken();
  await insertPublicToken(tx, {
    token,
    projectId: project.id,
    kind: primary.kind,
    params: primary.params,
    sessionId,
    createdAt: now,
    expiresAt: new Date(now.getTime() + PUBLIC_TOKEN_TTL_MS),
    widgets,
  });
  return token;
}

/** The token's widget of that kind, if it has one. */
export const widgetOf = (t: PublicToken, kind: PublicTokenKind): TokenWidget | undefined => t.widgets.find((w) => w.kind === kind);

/**
 * Why a public token cannot be used now by a widget of one of `kinds`, or undefined when it can:
 * it must be known, unexpired, serve one of those widgets and have one of them still unused.
 */
export function publicTokenProblem(t: PublicToken | undefined, now: Date, kinds: readonly PublicTokenKind[]): string | undefined {
  if (!t) return 'the public token is not known';
  if (t.expiresAt <= now) return `the public token expired at ${formatTimestamp(t.expiresAt)}`;
  const mine = t.widgets.filter((w) => kinds.includes(w.kind));
  if (mine.length === 0) return `the public token is for ${t.widgets.map((w) => w.kind).join(' and ')}`;
  if (mine.every((w) => w.usedAt !== null)) return 'the public token was already used';
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
    await recordTokenizedCard(tx, publicToken, stored.numberHash);
    // The tokenize widget is spent by its first success; the acquiring widget (whose page tokenizes
    // here too) only by its payment, so a token for both keeps tokenizing until it has paid.
    const tokenizeWidget = widgetOf(t!, 'tokenize_widget');
    if (tokenizeWidget && !tokenizeWidget.usedAt) await markUsed(tx, publicToken, now, 'tokenize_widget');
    const m = maskCard(card.number);
    return { token: stored.numberHash, masked: `${m.bin}${'*'.repeat(card.number.length - 10)}${m.last4}`, brand: m.brand };
  });
}

/** Issues the recurrent token a successful payment with payment_options.recurrent earns (§6.2). */
export async function issueRecurrentToken(
  tx: Tx,
  input: { projectId: string; cardId: string | null; paymentId: string; now: Date; cardExpiry?: { month?: string; year?: string } },
): Promise<RecurrentToken> {
  const { month, year } = input.cardExpiry ?? {};
  // Valid until the card expires (end of its month), or five years when the expiry is unknown.
  const finishedAt =
    month && year ? new Date(Date.UTC(2000 + Number(year), Number(month), 1) - 1000) : new Date(input.now.getTime() + 5 * 365 * 86_400_000);
  const source = input.cardId === null ? 'faster_payment_system' : 'card';
  const token: RecurrentToken = { token: newToken(), projectId: input.projectId, source, cardId: input.cardId, paymentId: input.paymentId, createdAt: input.now, finishedAt, disabledAt: null };
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

/** A vaulted card as token/info reports it (the SDK's TokenInfo): its hash, brand, last4 and issuing country. */
function cardInfo(card: StoredCardInfo): Record<string, unknown> {
  return { number_hash: card.numberHash, brand: card.brand, last4: card.last4, country_iso3: countryOfCard(card.bin) };
}

/** What token/info tells of one widget of a public token: whether it can still be used, and what it serves. */
async function widgetInfo(db: Queryable, t: PublicToken, w: TokenWidget, now: Date): Promise<Record<string, unknown>> {
  const info: Record<string, unknown> = { is_active: w.usedAt === null && t.expiresAt > now };
  if (w.usedAt) info['used_at'] = formatTimestamp(w.usedAt);
  if (typeof w.params['session_id'] === 'string') info['session_id'] = w.params['session_id'];
  if (w.kind === 'self_employed_widget') {
    const ref = String(w.params['tax_reference']);
    info['tax_reference'] = ref;
    const binding = await findTaxpayerBinding(db, t.projectId, ref);
    info['taxpayer_status'] = binding?.publicToken === t.token ? binding.status : 'pending';
  }
  return info;
}

/**
 * token/info (§5.14) for a card hash, a public token or a recurrent token of this project, with the
 * fields the SDK's TokenInfo reads: `token`, `type`, and, where a card is known (the card itself, the
 * card a recurrent token charges, the card a public token tokenized), its number_hash, brand, last4
 * and country_iso3. A public token also lists each of its widgets and whether it is still usable.
 */
export async function tokenInfo(db: Queryable, project: Project, body: Record<string, unknown>, now: Date): Promise<Record<string, unknown>> {
  const type = body['type'];
  if (type === 'card') {
    const hash = (body['card'] as { encrypted_card?: { number_hash?: string } } | undefined)?.encrypted_card?.number_hash;
    if (!hash) throw invalidRequest('card.encrypted_card.number_hash is required');
    const card = await findCardByHash(db, project.id, hash);
    if (!card) throw invalidRequest('card.encrypted_card.number_hash does not name a card of this project');
    return { token: card.numberHash, ...cardInfo(card), type: 'card', ...(project.cardIdEnabled ? { card_id: card.cardId } : {}) };
  }
  if (type === 'public_token') {
    const token = (body['public_token'] as { token?: string } | undefined)?.token;
    if (!token) throw invalidRequest('public_token.token is required');
    const t = await findPublicToken(db, token);
    if (!t || t.projectId !== project.id) throw invalidRequest('public_token.token is not a public token of this project');
    const card = t.cardHash ? await findCardByHash(db, project.id, t.cardHash) : undefined;
    const widgets: Record<string, unknown> = {};
    for (const w of t.widgets) widgets[w.kind] = await widgetInfo(db, t, w, now);
    return {
      token: t.token,
      type: 'public_token',
      created_at: formatTimestamp(t.createdAt),
      finished_at: formatTimestamp(t.expiresAt),
      is_active: t.expiresAt > now && t.widgets.some((w) => w.usedAt === null),
      widgets,
      ...(card ? cardInfo(card) : {}),
    };
  }
  if (type === 'recurrent_token') {
    const token = (body['recurrent_token'] as { token?: string } | undefined)?.token;
    if (!token) throw invalidRequest('recurrent_token.token is required');
    const t = await findRecurrentToken(db, project.id, token);
    if (!t) throw invalidRequest('recurrent_token.token is not a recurrent token of this project');
    const card = t.cardId === null ? undefined : await findCardById(db, project.id, t.cardId);
    return { ...renderRecurrent(t, now), ...(card ? cardInfo(card) : {}) };
  }
  throw invalidRequest('type must be one of: card, public_token, recurrent_token');
}
