import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A fresh, empty database for one test file: in-memory PGlite by default, or a new database on the
 * PostgreSQL server named by TEST_DATABASE_URL (dropped again by `drop`).
 */
export interface TestDatabase {
  readonly kind: 'pglite' | 'postgres';
  /** DATABASE_URL for the runtime; undefined for PGlite. */
  readonly url: string | undefined;
  drop(): Promise<void>;
}

export const onPostgres = Boolean(process.env['TEST_DATABASE_URL']);

export async function freshDatabase(): Promise<TestDatabase> {
  const base = process.env['TEST_DATABASE_URL'];
  if (!base) return { kind: 'pglite', url: undefined, drop: async () => undefined };
  const name = `payrail_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    kind: 'postgres',
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
