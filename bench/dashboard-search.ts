/**
 * The dashboard's session search over a million sessions (docs/dashboard.md, "Finding sessions"):
 * every filter it offers, its first page and a page deep in the cursor, timed with migration
 * 0018's indexes and, side by side, with those indexes dropped (in a transaction rolled back
 * after): the baseline the migration improves on.
 *
 *   node --import tsx bench/dashboard-search.ts                      # 1,000,000 sessions on PostgreSQL
 *   SEARCH_ROWS=200000 BENCH_DATABASE_URL=postgres://… node --import tsx bench/dashboard-search.ts
 *
 * It creates (and drops) its own database on the server of BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres). The data: two projects (9:1), five statuses
 * (accepted 70 %, created 15 %, cancelled 8 %, in_progress 5 %, error 2 %) over 30 days,
 * metadata on one session in ten, a payment on six in ten, a payout on one in ten, a refund on
 * one in fifty. Each figure is the median of 5 runs of the exact query the page runs.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase, type Queryable } from '../src/platform/db/database.js';
import { migrate } from '../src/platform/db/migrate.js';
import { searchSessions, type SessionSearch } from '../src/domain/sessions/session-search.js';

const ROWS = Number(process.env['SEARCH_ROWS'] ?? 1_000_000);
const RUNS = 5;
const BASE = process.env['BENCH_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
const INDEXES_0018 = [
  'sessions_created_id',
  'sessions_status_created',
  'sessions_project_status_created',
  'sessions_metadata_text',
  'payments_metadata_text',
  'payouts_metadata_text',
];

async function main(): Promise<void> {
  const name = `payrail_bench_search_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: BASE });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(BASE);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ databaseUrl: url.toString(), pgliteDir: '' });
  try {
    const db = handle.db;
    await migrate(db);
    const t0 = Date.now();
    await sql`INSERT INTO projects (name, created_at, updated_at) VALUES ('big', now(), now()), ('small', now(), now())`.execute(db);
    const ids = (await sql<{ id: string; name: string }>`SELECT id, name FROM projects ORDER BY name`.execute(db)).rows;
    const big = ids.find((p) => p.name === 'big')!.id;
    const small = ids.find((p) => p.name === 'small')!.id;
    // Bulk load without the history triggers (a million inserts would also write a million transitions).
    for (const t of ['sessions', 'payments', 'payouts', 'refunds']) await sql.raw(`ALTER TABLE ${t} DISABLE TRIGGER USER`).execute(db);
    await sql`
      INSERT INTO sessions (id, project_id, status, params, created_at, updated_at)
      SELECT 'ps_b' || lpad(g::text, 9, '0'),
             CASE WHEN g % 10 = 0 THEN ${small}::bigint ELSE ${big}::bigint END,
             CASE WHEN g % 100 < 70 THEN 'accepted' WHEN g % 100 < 85 THEN 'created' WHEN g % 100 < 93 THEN 'cancelled' WHEN g % 100 < 98 THEN 'in_progress' ELSE 'error' END,
             CASE WHEN g % 10 = 3 THEN json_build_object('metadata', json_build_object('order', 'order-' || g, 'shop', 'north'))
                  ELSE json_build_object('amount_details', json_build_object('amount', 100 + g % 1000, 'currency', 'usd')) END,
             now() - make_interval(secs => g * 2592000.0 / ${ROWS}),
             now() - make_interval(secs => g * 2592000.0 / ${ROWS})
      FROM generate_series(1, ${ROWS}) g`.execute(db);
    await sql`
      INSERT INTO payments (id, session_id, project_id, stage, amount, currency, captured_amount, payment_details, metadata, created_at, updated_at)
      SELECT 'pm_b' || substr(s.id, 5), s.id, s.project_id, 'succeeded', 1000, 'usd', 1000, '{"type":"card"}',
             CASE WHEN right(s.id, 1) = '5' THEN json_build_object('invoice', 'inv-' || substr(s.id, 5)) END, s.created_at, s.created_at
      FROM sessions s WHERE right(s.id, 1) IN ('0', '1', '2', '4', '5', '6')`.execute(db);
    await sql`
      INSERT INTO payouts (id, session_id, project_id, stage, amount, currency, rail, payment_method, created_at, updated_at)
      SELECT 'po_b' || substr(s.id, 5), s.id, s.project_id, 'succeeded', 500, 'usd', 'card', '{"type":"card"}', s.created_at, s.created_at
      FROM sessions s WHERE right(s.id, 1) = '7'`.execute(db);
    await sql`
      INSERT INTO refunds (id, payment_id, session_id, project_id, status, amount, currency, created_at)
      SELECT 'rf_b' || substr(p.id, 5), p.id, p.session_id, p.project_id, 'accepted', 100, 'usd', p.created_at
      FROM payments p WHERE right(p.id, 2) IN ('00', '50')`.execute(db);
    for (const t of ['sessions', 'payments', 'payouts', 'refunds']) await sql.raw(`ALTER TABLE ${t} ENABLE TRIGGER USER`).execute(db);
    await sql`ANALYZE`.execute(db);
    const counts = (await sql<{ s: string; p: string; o: string; r: string }>`
      SELECT (SELECT count(*) FROM sessions) s, (SELECT count(*) FROM payments) p, (SELECT count(*) FROM payouts) o, (SELECT count(*) FROM refunds) r`.execute(db)).rows[0]!;
    console.log(`loaded ${counts.s} sessions, ${counts.p} payments, ${counts.o} payouts, ${counts.r} refunds in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

    const mid = (await sql<{ id: string; created_at: Date }>`SELECT id, created_at FROM sessions ORDER BY created_at DESC, id DESC OFFSET ${Math.floor(ROWS / 2)} LIMIT 1`.execute(db)).rows[0]!;
    const deep = { createdAt: new Date(mid.created_at), id: mid.id };
    const now = Date.now();
    const cases: [string, Partial<SessionSearch>][] = [
      ['no filter, page 1', {}],
      ['no filter, deep page (row N/2)', { before: deep }],
      ['project small (10 %)', { projectId: small }],
      ['project small, deep page', { projectId: small, before: deep }],
      ['status error (2 %)', { status: 'error' }],
      ['status error, deep page', { status: 'error', before: deep }],
      ['project big + status in_progress', { projectId: big, status: 'in_progress' }],
      ['date range: one day, 10 days ago', { from: new Date(now - 11 * 86_400_000), to: new Date(now - 10 * 86_400_000) }],
      ['kind payout (10 %)', { kind: 'payout' }],
      ['kind refund (2 %)', { kind: 'refund' }],
      ['kind refund, deep page', { kind: 'refund', before: deep }],
      ['id of a session', { text: `ps_b${String(Math.floor(ROWS / 3)).padStart(9, '0')}` }],
      ['id of a payment', { text: 'pm_b000000010' }],
      ['metadata word (one session)', { text: 'order-13' }],
      ['metadata of a payment', { text: 'inv-000000015' }],
      ['metadata word on 10 % (shop north)', { text: 'north' }],
      ['metadata + project + status', { text: 'north', projectId: big, status: 'accepted' }],
    ];
    const time = async (q: Queryable, f: Partial<SessionSearch>) => {
      const ms: number[] = [];
      let rows = 0;
      for (let i = 0; i < RUNS; i++) {
        const started = process.hrtime.bigint();
        rows = (await searchSessions(q, { limit: 51, ...f })).length;
        ms.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      ms.sort((a, b) => a - b);
      return { ms: ms[Math.floor(RUNS / 2)]!, rows };
    };
    const withIdx: { ms: number; rows: number }[] = [];
    for (const [, f] of cases) withIdx.push(await time(db, f));
    const without: { ms: number; rows: number }[] = [];
    await db
      .transaction()
      .execute(async (tx) => {
        await sql`SET LOCAL statement_timeout = '120s'`.execute(tx);
        for (const i of INDEXES_0018) await sql.raw(`DROP INDEX ${i}`).execute(tx);
        for (const [, f] of cases) without.push(await time(tx, f));
        throw new Error('rollback');
      })
      .catch((err: Error) => {
        if (err.message !== 'rollback') throw err;
      });

    const w = Math.max(...cases.map(([n]) => n.length));
    console.log(`${'filter (first page of 50 unless deep)'.padEnd(w)}  ${'with 0018'.padStart(11)}  ${'without'.padStart(11)}  ${'speed-up'.padStart(9)}  rows`);
    cases.forEach(([n], i) => {
      const a = withIdx[i]!;
      const b = without[i]!;
      if (a.rows !== b.rows) throw new Error(`${n}: ${a.rows} rows with the indexes, ${b.rows} without`);
      console.log(`${n.padEnd(w)}  ${a.ms.toFixed(2).padStart(8)} ms  ${b.ms.toFixed(2).padStart(8)} ms  ${(b.ms / a.ms).toFixed(1).padStart(8)}×  ${a.rows}`);
    });
  } finally {
    await handle.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
