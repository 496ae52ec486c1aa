import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle, type Queryable } from '../src/platform/db/database.js';
import { insertLater, updateLater, writeLater } from '../src/platform/db/write-behind.js';
import { freshDatabase, onPostgres, type TestDatabase } from './helpers/test-db.js';

/**
 * Write-behind (src/platform/db/write-behind.ts), on the engine the suite runs on: queued writes are
 * all applied or none, reads see them, writes to one row fold, inserts into one table keep their
 * order, and a transaction that needs no BEGIN sends none.
 */
let tdb: TestDatabase;
let handle: DatabaseHandle;
// The test table is not in the schema's types: the queueing functions take it as any table.
const T = 'wb_items' as never;
const insert = (q: Queryable, id: string, n: number, note: string | null = null) => insertLater(q, T, { id, n, note } as never);
const update = (q: Queryable, id: string, set: Record<string, unknown>) => updateLater(q, T, id, set as never);
const rows = async () => (await sql<{ id: string; n: number; note: string | null }>`SELECT id, n, note FROM wb_items ORDER BY seq`.execute(handle.db)).rows;

before(async () => {
  tdb = await freshDatabase();
  handle = await openDatabase({ databaseUrl: tdb.url });
  await sql`CREATE TABLE wb_items (id text PRIMARY KEY, seq bigserial NOT NULL, n integer NOT NULL CHECK (n >= 0), note text)`.execute(handle.db);
});
after(async () => {
  await handle.close();
  await tdb.drop();
});
const reset = () => sql`TRUNCATE wb_items`.execute(handle.db);

test('queued writes are applied at COMMIT, and an update of a row inserted in the same transaction folds into its insert', async () => {
  await reset();
  await handle.db.transaction().execute(async (tx) => {
    await insert(tx, 'a', 1);
    await update(tx, 'a', { n: 2 });
    await update(tx, 'a', { note: 'folded' });
    assert.deepEqual((await sql`SELECT 1 AS one`.execute(tx)).rows, [{ one: 1 }], 'a plain read not naming the table does not send the writes');
    // PGlite has one connection, held by this transaction: another reader would wait for it.
    if (onPostgres) assert.deepEqual(await rows(), [], 'nothing is visible to another connection before COMMIT');
  });
  assert.deepEqual(await rows(), [{ id: 'a', n: 2, note: 'folded' }]);
});

test('a read that names a table with queued writes sees them; a rollback after that takes them back', async () => {
  await reset();
  await assert.rejects(
    handle.db.transaction().execute(async (tx) => {
      await insert(tx, 'b', 5);
      const seen = await sql<{ n: number }>`SELECT n FROM wb_items WHERE id = 'b'`.execute(tx);
      assert.deepEqual(seen.rows, [{ n: 5 }], 'the read flushed the queued insert first');
      await update(tx, 'b', { n: 6 });
      throw new Error('changed my mind');
    }),
    /changed my mind/,
  );
  assert.deepEqual(await rows(), [], 'the flushed insert was inside the transaction and rolled back with it');
});

test('all queued writes or none: one failing write at COMMIT leaves nothing of the others', async () => {
  await reset();
  await insert(handle.db, 'taken', 1);
  await assert.rejects(
    handle.db.transaction().execute(async (tx) => {
      await insert(tx, 'c', 1);
      await update(tx, 'taken', { n: 3 });
      await insert(tx, 'taken', 9); // a duplicate primary key: refused at COMMIT
    }),
    (err: { code?: string }) => err.code === '23505',
  );
  assert.deepEqual(await rows(), [{ id: 'taken', n: 1, note: null }], 'neither c nor the update of taken was applied');
  await assert.rejects(
    handle.db.transaction().execute(async (tx) => {
      await update(tx, 'taken', { n: 4 });
      await update(tx, 'taken', { n: -1 }); // folds into the first, which the CHECK then refuses
    }),
    (err: { code?: string }) => err.code === '23514',
  );
  assert.deepEqual(await rows(), [{ id: 'taken', n: 1, note: null }]);
});

test('inserts into one table keep the order they were queued in (their sequence values ascend)', async () => {
  await reset();
  await handle.db.transaction().execute(async (tx) => {
    for (const id of ['x1', 'x2', 'x3', 'x4']) await insert(tx, id, 1);
    await update(tx, 'x2', { note: 'second' });
    await writeLater(tx, T, 'x4', (db) => db.deleteFrom(T).where('id' as never, '=', 'x4' as never));
  });
  assert.deepEqual(
    (await rows()).map((r) => [r.id, r.note]),
    [
      ['x1', null],
      ['x2', 'second'],
      ['x3', null],
    ],
    'x4 was inserted, then deleted by the write queued after it',
  );
});

test('BEGIN is sent only when a statement needs it: plain reads run in autocommit, a locking read opens the transaction', async () => {
  // now() is the transaction's start: statement_timestamp() - now() is the time since BEGIN, about nothing for a statement that runs alone.
  const sinceBegin = async (q: Queryable) => Number((await sql<{ ms: string }>`SELECT extract(epoch FROM statement_timestamp() - now()) * 1000 AS ms`.execute(q)).rows[0]!.ms);
  await handle.db.transaction().execute(async (tx) => {
    await sql`SELECT pg_sleep(0.05)`.execute(tx);
    const alone = await sinceBegin(tx);
    assert.ok(alone < 25, `no BEGIN yet: the read ran on its own (${alone} ms since its transaction began)`);
    await sql`SELECT 1 FROM wb_items FOR UPDATE`.execute(tx);
    await sql`SELECT pg_sleep(0.05)`.execute(tx);
    const inside = await sinceBegin(tx);
    assert.ok(inside >= 45, `after a locking read, the statements run inside one transaction (${inside} ms since it began)`);
  });
  await reset();
  await handle.db.transaction().execute(async (tx) => {
    await insert(tx, 'd', 1);
    await sql`SELECT pg_sleep(0.02)`.execute(tx);
    await insert(tx, 'e', 1); // a second insert into the table: a second statement, so the flush needs BEGIN
  });
  assert.deepEqual((await rows()).map((r) => r.id), ['d', 'e']);
});

test('outside a transaction a queued write runs at once', async () => {
  await reset();
  await insert(handle.db, 'now', 7);
  assert.deepEqual(await rows(), [{ id: 'now', n: 7, note: null }]);
});

test('a transaction that queues more writes than one statement can carry parameters for still applies them all', { timeout: 60_000 }, async () => {
  await reset();
  // 2 parameters per update: 34,000 of them in one statement would pass PostgreSQL's 65,535.
  const n = 34_000;
  await sql`INSERT INTO wb_items (id, n) SELECT 'r' || g, 0 FROM generate_series(1, ${n}) g`.execute(handle.db);
  await handle.db.transaction().execute(async (tx) => {
    for (let i = 1; i <= n; i++) await update(tx, `r${i}`, { n: i });
  });
  const res = await sql<{ wrong: string }>`SELECT count(*) AS wrong FROM wb_items WHERE n::text <> substr(id, 2)`.execute(handle.db);
  assert.equal(Number(res.rows[0]!.wrong), 0);
});
