import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../src/platform/db/database.js';
import { listMigrations, migrate } from '../src/platform/db/migrate.js';
import { freshDatabase, onPostgres, type TestDatabase } from './helpers/test-db.js';

/** Migrations on an empty database, re-runs, and concurrent starts. */
const ALL = listMigrations().map((m) => m.name);
const FOUNDATION_TABLES = ['cards', 'data_keys', 'idempotency_keys', 'project_changes', 'project_keys', 'projects', 'schema_migrations', 'server_keys', 'sessions'];

async function withFreshDatabase(fn: (open: () => Promise<DatabaseHandle>, tdb: TestDatabase) => Promise<void>): Promise<void> {
  const tdb = await freshDatabase();
  const handles: DatabaseHandle[] = [];
  try {
    await fn(async () => {
      const handle = await openDatabase({ databaseUrl: tdb.url, pgliteDir: 'memory://', poolSize: 2 });
      handles.push(handle);
      return handle;
    }, tdb);
  } finally {
    for (const handle of handles) await handle.close();
    await tdb.drop();
  }
}

async function recorded(handle: DatabaseHandle): Promise<string[]> {
  const res = await sql<{ name: string }>`SELECT name FROM schema_migrations ORDER BY name`.execute(handle.db);
  return res.rows.map((r) => r.name);
}

describe('migrate', () => {
  test('on an empty database every migration applies, in order; a second run applies nothing', async () => {
    await withFreshDatabase(async (open) => {
      const handle = await open();
      assert.deepEqual(await migrate(handle.db), ALL);
      assert.deepEqual(await migrate(handle.db), []);
      assert.deepEqual(await recorded(handle), ALL);

      const tables = await sql<{ table_name: string }>`
        SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`.execute(handle.db);
      const names = tables.rows.map((r) => r.table_name);
      for (const t of FOUNDATION_TABLES) assert.ok(names.includes(t), `table ${t} is missing (have: ${names.join(', ')})`);

      // The seeded singleton and the constraints the code relies on are in place.
      const version = await handle.db.selectFrom('project_changes').selectAll().execute();
      assert.deepEqual(version, [{ singleton: true, version: '0' }]);
      await assert.rejects(
        sql`INSERT INTO projects (name, created_at, updated_at) VALUES ('bad name!', now(), now())`.execute(handle.db),
        /projects_name_check|check constraint/,
      );
    });
  });

  test('two concurrent runs on one handle apply each migration once', async () => {
    await withFreshDatabase(async (open) => {
      const handle = await open();
      const [a, b] = await Promise.all([migrate(handle.db), migrate(handle.db)]);
      assert.deepEqual([...a, ...b].sort(), ALL);
      assert.deepEqual(await recorded(handle), ALL);
    });
  });

  test('two concurrent runs on two connections to one fresh database both succeed, each migration recorded once', { skip: !onPostgres && 'needs PostgreSQL' }, async () => {
    await withFreshDatabase(async (open) => {
      const one = await open();
      const two = await open();
      const [a, b] = await Promise.all([migrate(one.db), migrate(two.db)]);
      assert.deepEqual([...a, ...b].sort(), ALL, 'each migration applied by exactly one of the two');
      const counts = await sql<{ name: string; n: string }>`SELECT name, count(*)::text AS n FROM schema_migrations GROUP BY name ORDER BY name`.execute(one.db);
      assert.deepEqual(
        counts.rows,
        ALL.map((name) => ({ name, n: '1' })),
      );
      assert.deepEqual(await migrate(two.db), []);
    });
  });
});
