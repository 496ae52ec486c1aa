import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Db } from '../../src/platform/db/database.js';
import { countryOfCard } from '../../src/kernel/card-country.js';
import { TIMESTAMP, type CallOptions, type Harness, type Reply } from './harness.js';
import type { Received, Receiver } from './receiver.js';

/**
 * Shared pieces of the card-acquiring tests: request builders, waiting for one session's webhooks,
 * a normaliser that turns ids, times and processor references into placeholders (so whole JSON
 * bodies can be compared), and a text dump of every table for the card-data scan.
 */

export type Version = 'v1' | 'v2';
/** The list a session renders its acquiring payments in (§10). */
export const listOf = (v: Version) => (v === 'v1' ? 'acquiring_payments' : 'payment_list');

export interface CardOpts {
  month?: string;
  year?: string;
  cvc?: string | undefined;
  holder?: string;
}

/** payment_details with a bank_card, as a partner sends it. Expiry 12/30 and CVC 123 by default. */
export function bankCard(number: string, o: CardOpts = {}): Record<string, unknown> {
  const card: Record<string, unknown> = { number, expiration_month: o.month ?? '12', expiration_year: o.year ?? '30' };
  if (!('cvc' in o) || o.cvc !== undefined) card['security_code'] = o.cvc ?? '123';
  if (o.holder) card['cardholder_name'] = o.holder;
  return { type: 'card', card: { type: 'bank_card', bank_card: card } };
}

export const USD = (amount: number) => ({ amount, currency: 'usd' });

/** What the masked card looks like before (no bin) and after the processor has seen it. */
export const maskedCard = (brand: string, last4: string, bin?: string) => ({ type: 'card', card: bin ? { last4, brand, bin, country_iso3: countryOfCard(bin) } : { last4, brand } });

/**
 * Replaces what differs run to run by placeholders: timestamps → '<ts>', ids → '<ps>' / '<pm>' /
 * '<rf>', the 3-D Secure step id in a URL → '<tds>', and transaction_info's rrn (12 digits) and
 * auth_code (6 digits) → '<rrn>' / '<auth_code>'. Anything not of the expected form is left as it
 * is, so a wrong format shows up as a difference.
 *
 * A succeeded payment's `amounts` (gross/net/fee) is left out here and checked on its own by
 * `captured()`: what it holds depends on the project's fee settings. On a payment in any other
 * status it stays, so that it shows up as a difference.
 */
export function shape(v: unknown, key?: string): unknown {
  if (Array.isArray(v)) return v.map((x) => shape(x));
  if (v !== null && typeof v === 'object') {
    const isPayment = 'amount_details' in v && 'payment_details' in v && (v as { status?: unknown }).status === 'succeeded';
    return Object.fromEntries(Object.entries(v).filter(([k]) => !(isPayment && k === 'amounts')).map(([k, x]) => [k, shape(x, k)]));
  }
  if (typeof v === 'string') {
    if (key === 'rrn' && /^\d{12}$/.test(v)) return '<rrn>';
    if (key === 'auth_code' && /^\d{6}$/.test(v)) return '<auth_code>';
    if (TIMESTAMP.test(v)) return '<ts>';
    const id = /^(ps|pm|rf)_\d{22}$/.exec(v);
    if (id) return `<${id[1]}>`;
    return v.replace(/\/3ds\/[A-Za-z0-9_-]{24}$/, '/3ds/<tds>');
  }
  return v;
}

interface Money {
  amount: number;
  currency: string;
}

/**
 * What a rendered payment says was captured: `amounts.gross` where the payment shows amounts
 * (then net + fee must make up gross, in the payment's currency), else the whole amount_details.
 */
export function captured(payment: { amount_details: Money; amounts?: { gross?: Money; net?: Money; fee?: { merchant_fee?: Money } } }): Money {
  const a = payment.amounts;
  if (!a) return payment.amount_details;
  assert.ok(a.gross, `amounts without gross: ${JSON.stringify(a)}`);
  assert.equal(a.gross.currency, payment.amount_details.currency);
  if (a.net || a.fee) {
    // The fee is nested as fee.merchant_fee (spec §6.2, the SDK's Amounts/Fee), never a bare amount.
    const fee = a.fee?.merchant_fee;
    assert.ok(a.net && fee && Object.keys(a.fee ?? {}).length === 1, `amounts needs net and fee.merchant_fee: ${JSON.stringify(a)}`);
    assert.equal(a.net.amount + fee.amount, a.gross.amount, `net + fee ≠ gross: ${JSON.stringify(a)}`);
    assert.deepEqual([a.net.currency, fee.currency], [a.gross.currency, a.gross.currency]);
  }
  return a.gross;
}

/** A refund's `amounts`: it gives back its amount, and no fee is charged or returned on it. */
export const refundAmounts = (m: Money) => ({ gross: m, net: m, fee: { merchant_fee: { amount: 0, currency: m.currency } } });

/** Waits until `n` webhooks for this session have arrived; returns them (all of them, in order). */
export async function hooksFor(rx: Receiver, sessionId: string, n: number, timeoutMs = 8000): Promise<Received[]> {
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

/** The n-th (1-based) webhook of a session, once it is there, checked to be signed by the server. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function hook(rx: Receiver, sessionId: string, n: number, type: string): Promise<{ type: string; session: Record<string, any> }> {
  const got = (await hooksFor(rx, sessionId, n))[n - 1]!;
  assert.equal(got.verified, true, `webhook ${n} of ${sessionId} must verify with the server key`);
  assert.equal(got.json.type, type, `webhook ${n} of ${sessionId}`);
  return got.json;
}

export const typesFor = (rx: Receiver, sessionId: string) => rx.received.filter((r) => r.json.session?.['id'] === sessionId).map((r) => r.json.type);

/** A 200 from the partner API, parsed; fails with the body otherwise. */
export async function ok(h: Harness, method: string, body: unknown, opts?: CallOptions): Promise<{ status: 'ok'; session: Record<string, any> }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await h.call(method, body, opts);
  assert.equal(res.statusCode, 200, `${method}: ${res.body}`);
  return res.json();
}

/** An error reply: exact HTTP status and the whole error body. */
export function assertError(res: Reply, status: number, code: string, description: string | RegExp): void {
  assert.equal(res.statusCode, status, res.body);
  const body = res.json();
  assert.deepEqual(Object.keys(body).sort(), ['error', 'status']);
  assert.equal(body.status, 'error');
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'description']);
  assert.equal(body.error.code, code, res.body);
  if (typeof description === 'string') assert.equal(body.error.description, description);
  else assert.match(body.error.description, description);
}

export async function statusOf(h: Harness, sessionId: string, version: Version = 'v1'): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return (await ok(h, 'session/status', { session_id: sessionId }, { version })).session;
}

/** Polls session/status until `done` holds (for steps that send no webhook). */
export async function until(h: Harness, sessionId: string, done: (s: Record<string, any>) => boolean, timeoutMs = 8000): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const started = Date.now();
  for (;;) {
    const s = await statusOf(h, sessionId);
    if (done(s)) return s;
    if (Date.now() - started > timeoutMs) throw new Error(`session ${sessionId} did not get there in ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function advance(h: Harness, seconds: number): Promise<void> {
  const res = await h.admin('POST', '/clock/advance', { seconds });
  assert.equal(res.statusCode, 200, res.body);
}

export async function patchProject(h: Harness, name: string, settings: Record<string, unknown>): Promise<void> {
  const res = await h.admin('PATCH', `/projects/${name}`, settings);
  assert.equal(res.statusCode, 200, res.body);
}

/** Every row of every table of schema public, each row as PostgreSQL's own text form of it. */
export async function dumpTables(db: Db): Promise<Map<string, string[]>> {
  const tables = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(db);
  const out = new Map<string, string[]>();
  for (const { table_name } of tables.rows) {
    const rows = await sql<{ row: string }>`SELECT t::text AS row FROM ${sql.table(table_name)} t`.execute(db);
    out.set(table_name, rows.rows.map((r) => r.row));
  }
  return out;
}

/**
 * Where `needle` occurs in `text` as a token of its own: not inside a longer run of letters, digits
 * or the characters of ids, timestamps, base64 and numbers (so a security code such as 9137 is not
 * "found" inside an id, a sealed blob or a latency). Returns a little context around each hit.
 */
export function findToken(text: string, needle: string): string[] {
  const re = new RegExp(`(?<![0-9A-Za-z+/=_.-])${needle}(?![0-9A-Za-z+/=_.-])`, 'g');
  return [...text.matchAll(re)].map((m) => text.slice(Math.max(0, m.index - 60), m.index + needle.length + 60));
}
