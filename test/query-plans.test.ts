import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { startHarness, type Harness } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { onPostgres } from './helpers/test-db.js';
import { advance, bankCard, USD, until, patchProject } from './helpers/acquiring.js';
import { dest, payoutBody } from './helpers/payouts.js';

/**
 * Every statement the server sends, EXPLAINed at production size: no sequential scan of a large
 * table on any request, job, report or housekeeping path.
 *
 * 1. A workload of real flows (creates with and without idempotency keys, status in v1 and v2,
 *    payments with refunds, holds with captures, declines, cancels, payouts settled and returned
 *    by the clock, multi-operation sessions, tokens, webhook deliveries to a real receiver, the
 *    admin reports, the request log) runs once on an empty database.
 * 2. Its rows are cloned with generate_series until there are 1,000,000 sessions and about 200,000
 *    refunds (the other tables grow in proportion, or to ~200,000 rows), then ANALYZEd.
 * 3. The workload runs again, and every distinct statement the `pg` driver sent in that run (with
 *    the parameters it was sent with) is EXPLAINed. Where the plan reads a table of more than
 *    SMALL_TABLE rows without bound (a Seq Scan, or an Index Scan of a whole index that is neither
 *    partial nor under a Limit), it is planned again with enable_seqscan off: if no index can bound that read even
 *    then, the test fails with the statement. (A scan the planner merely prefers for these
 *    parameters, e.g. a purge that deletes most of the table, is printed as a diagnostic.) Only the
 *    operator's whole-ledger audits (AUDIT_URLS) are exempt.
 *
 * The statements are caught at the driver (pg.Client.prototype.query), so a statement written
 * outside Kysely, a prepared statement or a new query path is checked without listing it here.
 * PostgreSQL only: the plan is PostgreSQL's planner on real row counts (PGlite's planner is the
 * same code, and the same SQL runs there).
 */
const SESSIONS = 1_000_000;
const SMALL_TABLE = 10_000;
/** Tables grown to ~SESSIONS in proportion to the workload's rows (their lookups must use an index). */
const BIG = ['sessions', 'payments', 'refunds', 'payouts'];
/** Tables grown to about this many rows (webhooks, jobs, logs, keys, ledger postings...). */
const OTHER_ROWS = 200_000;
const OTHER = [
  'webhooks',
  'webhook_attempts',
  'jobs',
  'request_log',
  'idempotency_keys',
  'used_signatures',
  'sandbox_processor_ops',
  'ledger_postings',
  'cards',
  'recurrent_tokens',
  'public_tokens',
];

const YEAR_SECONDS = 365 * 86_400;

/**
 * The operator's audits read a whole table on purpose, on demand (never a partner request, a job or
 * a page): the trial balance re-adds every posting to check each account's running balance, and
 * every entry to check it sums to zero. Statements seen only while these admin URLs are being
 * answered are not checked; one also seen at any other moment is.
 */
const AUDIT_URLS = ['/ledger/trial-balance'];
let inAudit = false;
const outsideAudit = new Set<string>();

interface Captured {
  readonly text: string;
  readonly values: unknown[];
}

const captured = new Map<string, Captured>();
let capturing = false;
const originalQuery = pg.Client.prototype.query;

function startCapture(): void {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (pg.Client.prototype as any).query = function (this: pg.Client, ...args: any[]) {
    if (capturing) {
      const [first, second] = args;
      const text: unknown = typeof first === 'string' ? first : first?.text;
      const values: unknown = typeof first === 'string' ? second : first?.values;
      if (typeof text === 'string') {
        captured.set(text, { text, values: Array.isArray(values) ? values : [] });
        if (!inAudit) outsideAudit.add(text);
      }
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return (originalQuery as any).apply(this, args);
  };
}

async function workload(h: Harness, rx: Receiver, round: number): Promise<void> {
  const call = async (method: string, body: unknown, opts: Parameters<Harness['call']>[2] = {}) => {
    const res = await h.call(method, body, opts);
    assert.equal(res.statusCode, 200, `${method}: ${res.body}`);
    return res.json().session as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const finished = (s: Record<string, any>) => s['status'] === 'accepted' || s['status'] === 'cancelled' || s['status'] === 'error'; // eslint-disable-line @typescript-eslint/no-explicit-any

  // Payouts: a card paid at once, an IBAN settled and then returned by the sandbox's clock (first:
  // the days it moves purge older idempotency keys, and the keys below are to be grown).
  const payouts: string[] = [];
  for (const d of [dest.card(), dest.card('5555555555554444'), dest.iban('DE92370400440532010909', 'DEU')]) {
    const s = await call('session/init/payout', payoutBody('v1', d, USD(1000)));
    await until(h, s['id'], (x) => x['next_action'] === 'confirm', 20_000);
    await call('session/confirm', { session_id: s['id'] });
    payouts.push(s['id'] as string);
  }
  await advance(h, 86_400);
  await advance(h, 2 * 86_400);
  for (const id of payouts) await until(h, id, finished, 20_000);

  // Plain sessions, with and without an idempotency key (and its replay), read back in v1 and v2.
  const plain: string[] = [];
  for (let i = 0; i < 18; i++) {
    const key = i % 3 === 0 ? `plans-${round}-${i}` : undefined;
    const s = await call('session/create', { amount_details: USD(1000 + i), metadata: `order-${round}-${i}` }, key ? { idempotencyKey: key } : {});
    if (key) await call('session/create', { amount_details: USD(1000 + i), metadata: `order-${round}-${i}` }, { idempotencyKey: key });
    plain.push(s['id'] as string);
  }
  for (const id of plain.slice(0, 4)) {
    await call('session/status', { session_id: id });
    await call('session/status', { session_id: id }, { version: 'v2' });
  }
  await call('session/cancel', { session_id: plain[1] });

  // Card payments: confirmed and refunded (the refunds table is the one the issue measured).
  const paid: string[] = [];
  for (let i = 0; i < 8; i++) {
    const s = await call('session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(5000 + i), customer: { reference: `c${i}` } });
    await until(h, s['id'], (x) => x['next_action'] === 'confirm', 20_000);
    await call('session/confirm', { session_id: s['id'] });
    paid.push(s['id'] as string);
  }
  for (const id of paid) {
    await until(h, id, finished, 20_000);
    await call('session/refund', { session_id: id, amount_details: USD(100) });
  }
  // A hold captured, a decline, a 3-D Secure payment left waiting.
  const held = await call('session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(7000), customer: { reference: 'h' }, payment_options: { hold: true } });
  await until(h, held['id'], (x) => x['next_action'] === 'confirm', 20_000);
  await call('session/confirm', { session_id: held['id'] });
  await until(h, held['id'], (x) => x['next_action'] === 'capture', 20_000);
  await call('session/capture', { session_id: held['id'] });
  const declined = await call('session/init/payment', { payment_details: bankCard('4000000000000002'), amount_details: USD(900), customer: { reference: 'd' } });
  await until(h, declined['id'], (x) => x['next_action'] === 'confirm', 20_000);
  await call('session/confirm', { session_id: declined['id'] });
  await call('session/init/payment', { payment_details: bankCard('4000000000003220'), amount_details: USD(1200), customer: { reference: 't' } });

  // A multi-operation session (v2), a public token, balances.
  const multi = await call(
    'session/multi/init',
    {
      payment_list: [{ payment_details: bankCard('4242424242424242'), amount_details: USD(3000), customer: { reference: 'm' } }],
      payout_list: [payoutBody('v2', dest.card('5555555555554444', 'Ann Lee'), USD(500))],
    },
    { version: 'v2' },
  );
  await until(h, multi['id'], (x) => x['next_action'] === 'confirm', 20_000);
  const token = await h.call('token', { tokenize_widget: { access: true, locale: 'en' } });
  assert.equal(token.statusCode, 200, token.body);
  const balance = await h.call('wallet/balance', { request_datetime: new Date(h.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z') });
  assert.equal(balance.statusCode, 200, balance.body);
  const requests = await h.call('payrail/requests', {});
  assert.ok(requests.statusCode < 500, requests.body);

  // Webhooks delivered to a real receiver, then the admin views an operator would open.
  await rx.waitFor(1, 10_000);
  for (const url of [
    `/sessions/${paid[0]}/webhooks`,
    '/webhooks/attempts?project=demo',
    '/projects/demo/wallet',
    '/projects/demo/requests',
    '/ledger/trial-balance',
    `/reports/payouts.csv?project=demo&from=${new Date(h.clock.now().getTime() - 7 * 86_400_000).toISOString()}&to=${new Date(h.clock.now().getTime() + 86_400_000).toISOString()}`,
  ]) {
    inAudit = AUDIT_URLS.includes(url);
    const res = await h.admin('GET', url);
    inAudit = false;
    assert.ok(res.statusCode < 500, `${url}: ${res.body}`);
  }
  const metrics = await h.runtime.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${h.runtime.adminToken}` } });
  assert.ok(metrics.statusCode < 500, metrics.body);
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

/**
 * The large tables a plan reads without bound: a Seq Scan, or an Index Scan over a whole index.
 * A whole-index scan is bounded when the index is partial (it holds only, say, the pending rows)
 * or when a Limit above it stops it (newest-first pages, a max()).
 */
function unboundedReads(node: PlanNode, big: ReadonlySet<string>, partial: ReadonlySet<string>, limited = false, out: string[] = []): string[] {
  const table = node['Relation Name'];
  if (table && big.has(table)) {
    if (node['Node Type'] === 'Seq Scan') out.push(`Seq Scan on ${table}`);
    else if (/^Index (Only )?Scan$/.test(node['Node Type']) && !node['Index Cond'] && !limited && !partial.has(node['Index Name'] ?? '')) out.push(`${node['Node Type']} of all of ${table}`);
  }
  for (const child of node.Plans ?? []) unboundedReads(child, big, partial, limited || node['Node Type'] === 'Limit', out);
  return out;
}

describe('query plans at 1,000,000 sessions', { skip: !onPostgres && 'PostgreSQL only (TEST_DATABASE_URL): it plans on real row counts' }, () => {
  let h: Harness;
  let rx: Receiver;
  let pool: pg.Pool;

  before(async () => {
    h = await startHarness();
    rx = await startReceiver((await h.runtime.app.inject({ method: 'GET', url: '/api/v1/public-key' })).body);
    await patchProject(h, 'demo', { webhook_url: rx.url });
    pool = new pg.Pool({ connectionString: h.db.url!, max: 1 });
  });
  after(async () => {
    pg.Client.prototype.query = originalQuery;
    await pool?.end();
    await rx?.close();
    await h?.close();
  });

  test('no statement of a real workload scans a large table', { timeout: 600_000 }, async (t) => {
    await workload(h, rx, 1);

    // Grow every table from the workload's own rows: ids get a suffix, timestamps spread back in time.
    const count = async (table: string) => Number((await pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
    const sessions = await count('sessions');
    const times = Math.ceil(SESSIONS / sessions);
    const cols = await pool.query<{ table_name: string; column_name: string; data_type: string; is_identity: string; is_generated: string }>(
      `SELECT table_name, column_name, data_type, is_identity, is_generated FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
    );
    const keyCols = await pool.query<{ table_name: string; column_name: string; foreign_table: string | null }>(`
      SELECT rel.relname AS table_name, att.attname AS column_name, frel.relname AS foreign_table
        FROM pg_constraint con
        JOIN pg_class rel ON rel.oid = con.conrelid
        JOIN pg_namespace ns ON ns.oid = rel.relnamespace AND ns.nspname = 'public'
        JOIN LATERAL unnest(con.conkey) AS k(attnum) ON true
        JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = k.attnum
        LEFT JOIN pg_class frel ON frel.oid = con.confrelid
       WHERE con.contype IN ('p', 'u', 'f')`);
    const uniqueIdx = await pool.query<{ table_name: string; column_name: string }>(`
      SELECT t.relname AS table_name, a.attname AS column_name
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (i.indkey)
       WHERE i.indisunique`);
    const multiplier = new Map<string, number>();
    for (const table of BIG) multiplier.set(table, times);
    for (const table of OTHER) {
      const n = await count(table);
      if (n > 0) multiplier.set(table, Math.max(1, Math.min(times, Math.ceil(OTHER_ROWS / n))));
    }
    const order = [...BIG, 'cards', 'public_tokens', 'recurrent_tokens', 'webhooks', ...OTHER.filter((x) => !['cards', 'public_tokens', 'recurrent_tokens', 'webhooks'].includes(x))];
    const started = Date.now();
    await pool.query('SET session_replication_role = replica'); // the clone copies valid rows; skip FK triggers while it grows
    for (const table of order) {
      const m = multiplier.get(table);
      if (!m || m < 2) continue;
      const own = cols.rows.filter((c) => c.table_name === table);
      const exprs: string[] = [];
      const names: string[] = [];
      for (const c of own) {
        if (c.is_identity === 'YES' || c.is_generated === 'ALWAYS') continue;
        const q = `"${c.column_name}"`;
        names.push(q);
        const unique = keyCols.rows.some((k) => k.table_name === table && k.column_name === c.column_name && k.foreign_table === null) || uniqueIdx.rows.some((k) => k.table_name === table && k.column_name === c.column_name);
        const fk = keyCols.rows.find((k) => k.table_name === table && k.column_name === c.column_name && k.foreign_table !== null);
        const target = fk?.foreign_table ? (multiplier.get(fk.foreign_table) ?? 1) : 0;
        const suffix = c.data_type === 'text' && (unique || (fk && target >= m));
        if (suffix) exprs.push(`CASE WHEN ${q} IS NULL THEN NULL ELSE ${q} || '_' || g END`);
        else if (c.data_type === 'text' && fk && target < m) exprs.push(q); // points at the original row
        // Past rows spread back over a year; jobs (due or future work) move far ahead so that none becomes due.
        else if (c.data_type === 'timestamp with time zone') exprs.push(table === 'jobs' ? `${q} + interval '3650 days' + g * interval '1 second'` : `${q} - g * interval '${YEAR_SECONDS / m} seconds'`);
        else exprs.push(q);
      }
      // Webhooks still pending stay single: a clone would be delivered.
      const where = table === 'webhooks' ? ` WHERE state <> 'pending'` : '';
      await pool.query(`INSERT INTO ${table} (${names.join(', ')}) SELECT ${exprs.join(', ')} FROM ${table}, generate_series(1, ${m - 1}) AS g${where}`);
    }
    await pool.query('SET session_replication_role = DEFAULT');
    await pool.query('ANALYZE');
    const sizes = Object.fromEntries(await Promise.all([...BIG, ...OTHER].map(async (x) => [x, await count(x)] as const)));
    t.diagnostic(`grown in ${Math.round((Date.now() - started) / 1000)} s: ${JSON.stringify(sizes)}`);
    assert.ok(sizes['sessions']! >= SESSIONS, `sessions: ${sizes['sessions']}`);
    assert.ok(sizes['refunds']! >= 100_000, `refunds: ${sizes['refunds']}`);

    // The same workload at this size, every statement caught at the driver.
    startCapture();
    capturing = true;
    await workload(h, rx, 2);
    capturing = false;

    const big = new Set(Object.entries(sizes).filter(([, n]) => n > SMALL_TABLE).map(([x]) => x));
    const partial = new Set((await pool.query<{ name: string }>(`SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indpred IS NOT NULL`)).rows.map((r) => r.name));
    const failures: string[] = [];
    const preferred: string[] = [];
    let explained = 0;
    for (const { text, values } of captured.values()) {
      if (!/^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b/i.test(text)) continue;
      if (!outsideAudit.has(text)) continue;
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const planOf = async () => ((await client.query(`EXPLAIN (FORMAT JSON) ${text}`, values)).rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan;
        const natural = unboundedReads(await planOf(), big, partial);
        explained += 1;
        if (natural.length === 0) continue;
        // The planner may prefer a scan for these parameters (a range that covers most rows, a hash
        // join): that is its call. What fails is a read that no index can bound at all.
        await client.query('SET LOCAL enable_seqscan = off');
        const forced = unboundedReads(await planOf(), big, partial);
        if (forced.length > 0) failures.push(`${forced.join(', ')}:\n  ${text}\n  ${JSON.stringify(values).slice(0, 300)}`);
        else preferred.push(`${natural.join(', ')} (an index serves it when asked): ${text.replace(/\s+/g, ' ').slice(0, 160)}`);
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    }
    t.diagnostic(`${captured.size} distinct statements caught, ${explained} explained`);
    for (const p of preferred) t.diagnostic(`planner's choice: ${p}`);
    // Write-behind folds a step's writes into one statement, so a workload has fewer distinct texts (37–41 here); a capture that missed the driver sees none.
    assert.ok(explained > 25, `only ${explained} statements were explained: the capture missed the driver`);
    assert.deepEqual(failures, [], failures.join('\n\n'));
  });
});
