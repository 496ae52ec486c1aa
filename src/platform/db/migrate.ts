import fs from 'node:fs';
import { sql } from 'kysely';
import type { Db } from './database.js';

/**
 * Numbered .sql files in src/platform/db/migrations, applied in order, each in its own transaction together
 * with its row in schema_migrations. A transaction-scoped advisory lock makes concurrent starts
 * safe: the second process waits, then finds nothing left to do.
 */
const MIGRATIONS_DIR = new URL('../../../src/platform/db/migrations/', import.meta.url);
const LOCK_KEY = 0x70617972; // "payr"

export interface Migration {
  readonly name: string;
  readonly sql: string;
}

export function listMigrations(): Migration[] {
  return fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((name) => ({ name, sql: fs.readFileSync(new URL(name, MIGRATIONS_DIR), 'utf8') }));
}

export async function migrate(db: Db): Promise<string[]> {
  const applied: string[] = [];
  for (const migration of listMigrations()) {
    await db.transaction().execute(async (tx) => {
      await sql`SELECT pg_advisory_xact_lock(${LOCK_KEY})`.execute(tx);
      await sql`CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`.execute(tx);
      const done = await sql<{ name: string }>`SELECT name FROM schema_migrations WHERE name = ${migration.name}`.execute(tx);
      if (done.rows.length > 0) return;
      for (const statement of splitStatements(migration.sql)) await sql.raw(statement).execute(tx);
      await sql`INSERT INTO schema_migrations (name) VALUES (${migration.name})`.execute(tx);
      applied.push(migration.name);
    });
  }
  return applied;
}

/**
 * Splits a migration into statements (PGlite runs one statement per query). Understands -- and
 * /* comments, quoted strings and identifiers, and $tag$ dollar quoting, so a `;` inside them stays.
 */
const DOLLAR_TAG = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/;

export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const rest = text.slice(i);
    if (rest.startsWith('--')) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl + 1;
    } else if (rest.startsWith('/*')) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < text.length && !(text[j] === c && text[j + 1] !== c)) j += text[j] === c ? 2 : 1;
      i = j + 1;
    } else if (c === '$' && DOLLAR_TAG.test(rest)) {
      const tag = DOLLAR_TAG.exec(rest)![0];
      const end = text.indexOf(tag, i + tag.length);
      i = end < 0 ? text.length : end + tag.length;
    } else if (c === ';') {
      out.push(text.slice(start, i));
      i += 1;
      start = i;
    } else {
      i += 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '').trim().length > 0);
}
