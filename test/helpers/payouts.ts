import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { sql } from 'kysely';
import type { Queryable } from '../../src/platform/db/database.js';
import { TIMESTAMP, newKeyPair, signBody, type CallOptions, type Harness, type Reply } from './harness.js';
import type { Received, Receiver } from './receiver.js';

/**
 * Shared pieces of the payout and ledger tests: destinations built from the test values of
 * docs/test-payouts.md, signed calls that must succeed or fail in one exact way, waiting for one
 * session's webhooks or state, the sandbox clock, project set-up, and row counts for "nothing was
 * written".
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;
export type Version = 'v1' | 'v2';

/** Where a session lists its payouts, and what a payout calls its destination (§10). */
export const payoutsOf = (v: Version) => (v === 'v1' ? 'payments' : 'payout_list');
export const destOf = (v: Version) => (v === 'v1' ? 'payment_method' : 'payout_details');

export const USD = (amount: number) => ({ amount, currency: 'usd' });
export const money = (amount: number, currency = 'usd') => ({ amount, currency });

/** A destination as a partner sends it: the method, and the participant details it needs. */
export interface Destination {
  readonly method: Json;
  readonly participants: Json;
}

const global = (fields: Json, recipient: Json): Destination => ({
  method: { type: 'bank_account', bank_account: { system_type: 'global', global: { description: 'invoice 42', ...fields } } },
  participants: { recipient: { first_name: 'John', last_name: 'Johnson', ...recipient } },
});

/** The valid test values of docs/test-payouts.md, and the sandbox's outcome accounts. */
export const dest = {
  card: (number = '4242424242424242', fullName = 'John Johnson'): Destination => ({
    method: { type: 'card', card: { type: 'bank_card', bank_card: { number } } },
    participants: { recipient: { full_name: fullName } },
  }),
  encryptedCard: (numberHash: string): Destination => ({
    method: { type: 'card', card: { type: 'encrypted_card', encrypted_card: { number_hash: numberHash } } },
    participants: { recipient: { full_name: 'John Johnson' } },
  }),
  /** SEPA and other IBAN countries: the recipient's country is the IBAN's. */
  iban: (iban = 'DE89370400440532013000', country = 'DEU', extra: Json = {}): Destination => global({ iban, ...extra }, { country_iso3: country }),
  us: (extra: Json = {}): Destination =>
    global({ bank_account_number: '123456789', routing_code: '021000021', account_type: 'CHECKING', ...extra }, { country_iso3: 'USA' }),
  uk: (extra: Json = {}): Destination => global({ sort_code: '60-16-13', account_number: '31926819', ...extra }, { country_iso3: 'GBR' }),
  au: (extra: Json = {}): Destination => global({ bank_account_number: '12345678', bsb_number: '062-000', ...extra }, { country_iso3: 'AUS' }),
  br: (extra: Json = {}, cpf = '52998224725'): Destination =>
    global(
      { bank_account_number: '12345-6', branch_number: '0001', account_type: 'CHECKING', ...extra },
      { country_iso3: 'BRA', identity_document: { id_number: cpf } },
    ),
  ru: (extra: Json = {}): Destination => ({
    method: {
      type: 'bank_account',
      bank_account: {
        system_type: 'ru',
        ru: { bik: '044525225', account: '40817810438000012345', inn: '500100732259', full_name: 'Иванов Иван Иванович', description: 'выплата по договору 7', ...extra },
      },
    },
    participants: {},
  }),
  fps: (extra: Json = {}): Destination => ({
    method: {
      type: 'bank_account',
      bank_account: { system_type: 'faster_payment_system', faster_payment_system: { phone: '79680000000', bank_id: '100000000069', description: 'payout 7', ...extra } },
    },
    participants: {},
  }),
  wallet: (type = 'yoomoney', account = '410012411727100'): Destination => ({
    method: { type: 'wallet', wallet: { type, [type]: { account } } },
    participants: {},
  }),
};

/** A session/init/payout (or start/payout) body in `version`'s field names. */
export function payoutBody(version: Version, d: Destination, amount: Json, extra: Json = {}): Json {
  const body: Json = { [destOf(version)]: d.method, amount_details: amount, ...extra };
  if (Object.keys(d.participants).length > 0 && !('participant_details' in extra)) body['participant_details'] = d.participants;
  return body;
}

/** A 200 from the partner API, parsed; fails with the body otherwise. */
export async function ok(h: Harness, method: string, body: unknown, opts?: CallOptions): Promise<Json> {
  const res = await h.call(method, body, opts);
  assert.equal(res.statusCode, 200, `${method}: ${res.body}`);
  const json = res.json();
  assert.equal(json.status, 'ok');
  return json;
}

/** An error reply: exact HTTP status and the whole error body. */
export function assertError(res: Reply | { statusCode: number; body: string }, status: number, code: string, description: string | RegExp): void {
  assert.equal(res.statusCode, status, res.body);
  const body = JSON.parse(res.body);
  assert.deepEqual(Object.keys(body).sort(), ['error', 'status'], res.body);
  assert.equal(body.status, 'error');
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'description'], res.body);
  assert.equal(body.error.code, code, res.body);
  if (typeof description === 'string') assert.equal(body.error.description, description);
  else assert.match(body.error.description, description);
}

export async function statusOf(h: Harness, sessionId: string, opts: CallOptions = {}): Promise<Json> {
  return (await ok(h, 'session/status', { session_id: sessionId }, opts)).session;
}

/** Polls session/status until `done` holds. */
export async function until(h: Harness, sessionId: string, done: (s: Json) => boolean, opts: CallOptions & { timeoutMs?: number } = {}): Promise<Json> {
  const started = Date.now();
  for (;;) {
    const s = await statusOf(h, sessionId, opts);
    if (done(s)) return s;
    if (Date.now() - started > (opts.timeoutMs ?? 10_000)) throw new Error(`session ${sessionId} did not get there: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

/** The session's payout (its only one), in either version's list. */
export function payoutIn(session: Json): Json {
  const list = session['payments'] ?? session['payout_list'];
  assert.ok(Array.isArray(list) && list.length === 1, `one payout expected: ${JSON.stringify(session)}`);
  return list[0];
}

/** Waits for the session's payout to be pending (ready_to_confirm sent, when a receiver is set). */
export const untilPending = (h: Harness, sid: string, opts: CallOptions = {}) =>
  until(h, sid, (s) => s['next_action'] === 'confirm', opts);
/**
 * Waits until the rail has accepted a confirmed payout (it has an rrn). Move the clock only after
 * that: a job the background worker is running while the clock jumps reads the new time.
 */
export const untilSent = (h: Harness, sid: string, opts: CallOptions = {}) =>
  until(h, sid, (s) => payoutIn(s).transaction_info !== undefined, opts);
export const untilFinal = (h: Harness, sid: string, opts: CallOptions & { timeoutMs?: number } = {}) =>
  until(h, sid, (s) => s['status'] === 'accepted' || s['status'] === 'cancelled', opts);

/** Waits until `n` webhooks for this session have arrived; returns them all, in order. */
export async function hooksFor(rx: Receiver, sessionId: string, n: number, timeoutMs = 10_000): Promise<Received[]> {
  const started = Date.now();
  for (;;) {
    const mine = rx.received.filter((r) => r.json.session?.['id'] === sessionId);
    if (mine.length >= n) return mine;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`session ${sessionId}: ${mine.length} of ${n} webhooks in ${timeoutMs} ms (${mine.map((r) => r.json.type).join(', ')})`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The n-th (1-based) webhook of a session, once there, checked to be signed by the server and of `type`. */
export async function hook(rx: Receiver, sessionId: string, n: number, type: string): Promise<Json> {
  const got = (await hooksFor(rx, sessionId, n))[n - 1]!;
  assert.equal(got.verified, true, `webhook ${n} of ${sessionId} must verify with the server key`);
  assert.equal(got.json.type, type, `webhook ${n} of ${sessionId}: ${got.body}`);
  return got.json as Json;
}

export const typesFor = (rx: Receiver, sessionId: string) => rx.received.filter((r) => r.json.session?.['id'] === sessionId).map((r) => r.json.type);

/** Moves the sandbox clock; whatever falls due runs on the way. */
export async function advance(h: Harness, seconds: number): Promise<void> {
  const res = await h.admin('POST', '/clock/advance', { seconds });
  assert.equal(res.statusCode, 200, res.body);
}

/** The sandbox clock's time now. */
export async function clockNow(h: Harness): Promise<Date> {
  const res = await h.admin('GET', '/clock');
  assert.equal(res.statusCode, 200, res.body);
  return new Date(res.json().clock.now);
}

export async function patchProject(h: Harness, name: string, settings: Json): Promise<void> {
  const res = await h.admin('PATCH', `/projects/${name}`, settings);
  assert.equal(res.statusCode, 200, res.body);
}

/** A new project with its own key pair; returns the private key to sign its calls with. */
export async function createProject(h: Harness, name: string, settings: Json = {}): Promise<KeyObject> {
  const { publicPem, privateKey } = newKeyPair();
  const res = await h.admin('POST', '/projects', { name, public_key: publicPem, settings });
  assert.equal(res.statusCode, 200, res.body);
  return privateKey;
}

export async function topUp(h: Harness, project: string, amount: number, currency = 'usd'): Promise<Json> {
  const res = await h.admin('POST', `/projects/${project}/wallet/topup`, { amount, currency });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

/** Every ledger account of a project as `{"<kind> <currency>": balance}`. */
export async function accounts(h: Harness, project: string): Promise<Record<string, number>> {
  const res = await h.admin('GET', `/projects/${project}/wallet`);
  assert.equal(res.statusCode, 200, res.body);
  const out: Record<string, number> = {};
  for (const a of res.json().accounts as { kind: string; currency: string; balance: number }[]) out[`${a.kind} ${a.currency}`] = a.balance;
  return out;
}

/** The ledger entries booked for one reference (a payout id, a payment id…): kind and postings. */
export async function entriesFor(db: Queryable, reference: string): Promise<{ kind: string; postings: Record<string, number> }[]> {
  const rows = await sql<{ id: string; kind: string; account: string; amount: string }>`
    SELECT e.id, e.kind, a.kind AS account, p.amount
    FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id JOIN ledger_accounts a ON a.id = p.account_id
    WHERE e.reference = ${reference} ORDER BY e.id, p.id`.execute(db);
  const byEntry = new Map<string, { kind: string; postings: Record<string, number> }>();
  for (const r of rows.rows) {
    const e = byEntry.get(String(r.id)) ?? { kind: r.kind, postings: {} };
    e.postings[r.account] = Number(r.amount);
    byEntry.set(String(r.id), e);
  }
  return [...byEntry.values()];
}

const COUNTED = ['sessions', 'payouts', 'ledger_entries', 'ledger_postings', 'ledger_accounts', 'jobs', 'webhooks', 'cards', 'refunds'] as const;

/**
 * Row counts of the tables a payout writes to, for "nothing was written". The hourly housekeeping
 * job (which replaces itself whenever the clock passes an hour) is not counted.
 */
export async function rowCounts(db: Queryable): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of COUNTED) {
    const res =
      table === 'jobs'
        ? await sql<{ n: number }>`SELECT count(*)::int AS n FROM jobs WHERE kind <> 'purge_idempotency_keys'`.execute(db)
        : await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(db);
    out[table] = res.rows[0]!.n;
  }
  return out;
}

/**
 * Replaces what differs run to run by placeholders: timestamps → '<ts>', ids → '<ps>' / '<po>' /
 * '<rf>', transaction_info.rrn (12 digits) → '<rrn>' and auth_code (6 digits, card payouts) → '<auth_code>'. Anything not of the expected form is kept, so
 * a wrong format shows up as a difference.
 */
export function shape(v: unknown, key?: string): unknown {
  if (Array.isArray(v)) return v.map((x) => shape(x));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x, k)]));
  if (typeof v === 'string') {
    if (key === 'rrn' && /^\d{12}$/.test(v)) return '<rrn>';
    if (key === 'auth_code' && /^\d{6}$/.test(v)) return '<auth_code>';
    if (TIMESTAMP.test(v)) return '<ts>';
    const id = /^(ps|po|pm|rf)_\d{22}$/.exec(v);
    if (id) return `<${id[1]}>`;
  }
  return v;
}

/** `amounts` of a payout of `amount` with `fee`: gross leaves the wallet, net reaches the recipient. */
export const amountsOf = (amount: number, fee: number, currency = 'usd') => ({
  gross: money(amount + fee, currency),
  net: money(amount, currency),
  fee: { merchant_fee: money(fee, currency) },
});

/** A refund's (or returned payout's) `amounts`: the amount back, no fee on it. */
export const refundAmounts = (m: { amount: number; currency: string }) => ({ gross: m, net: m, fee: { merchant_fee: { amount: 0, currency: m.currency } } });

/** A masked payout card as the wire shows it: brand, last4 and the issuing country of its bin. */
export const maskedPayoutCard = (brand: string, last4: string, country = 'USA') => ({ type: 'card', card: { last4, brand, country_iso3: country } });

/** GET with the signature of the empty body, as fps/banks is read. */
export async function signedGet(h: Harness, url: string, key: KeyObject = h.demoKey, project = 'demo'): Promise<Reply> {
  const res = await h.runtime.app.inject({ method: 'GET', url, headers: { 'x-partner-project': project, 'x-partner-sign': signBody('', key) } });
  return { statusCode: res.statusCode, body: res.body, headers: res.headers, json: () => JSON.parse(res.body) };
}
