import { CompiledQuery } from 'kysely';
import type pg from 'pg';
import type { Queryable } from './database.js';

/**
 * Precompiled statements for the hot paths: SQL text written once, run as is. Three costs go away:
 * - Kysely's query building and compiling (the text and the parameter order are fixed here);
 * - on PostgreSQL, parsing and planning: each text registered here is sent as a *named* prepared
 *   statement (`pg` parses it once per connection, then only binds and executes; openDatabase wires
 *   this into the pool's clients, see `nameRegisteredStatements`);
 * - on PGlite, the extra protocol round trips into the engine: openDatabase runs a registered text
 *   as a named statement parsed once, then Bind/Describe/Execute/Sync in one call (pglite-prepared.ts).
 * Any query whose text is registered takes that path, whoever sends it. So does, automatically, any
 * other query with parameters once the same text has been sent HOT_AFTER times (a repository's
 * Kysely query has one text for every call): up to MAX_AUTO texts per process, so a query whose text
 * varies (a multi-row INSERT) cannot grow the statement caches without bound; past that, texts run
 * unnamed as before. Texts without parameters (migrations: several statements in one) never do.
 * Statements run through Kysely's executor (`executeQuery`), so they take part in the caller's
 * transaction, or run alone in autocommit on the pool.
 */
export interface Statement<R = Record<string, unknown>> {
  /** Unique per text; the server-side prepared statement's name. */
  readonly name: string;
  readonly text: string;
  /** Type only: the shape of one returned row. */
  readonly __row?: R;
}

const byText = new Map<string, string>();
const byName = new Map<string, string>();

/** Registers a statement; the same name with another text is a programming error. */
export function statement<R = Record<string, unknown>>(name: string, text: string): Statement<R> {
  const known = byName.get(name);
  if (known !== undefined && known !== text) throw new Error(`prepared statement ${name} registered twice with different texts`);
  byName.set(name, text);
  byText.set(text, name);
  return { name, text };
}

const HOT_AFTER = 3;
const MAX_AUTO = 1000;
const MAX_COUNTED = 10_000;
const seen = new Map<string, number>();
let autoNames = 0;

/** The prepared name of a text: registered, or hot (see above); undefined to send it unnamed. */
export function preparedName(text: string, hasParameters: boolean): string | undefined {
  const name = byText.get(text);
  if (name !== undefined || !hasParameters || autoNames >= MAX_AUTO) return name;
  const n = (seen.get(text) ?? 0) + 1;
  if (n < HOT_AFTER) {
    if (seen.size >= MAX_COUNTED) seen.clear();
    seen.set(text, n);
    return undefined;
  }
  seen.delete(text);
  const auto = `auto_${++autoNames}`;
  byText.set(text, auto);
  byName.set(auto, text);
  return auto;
}

/**
 * A prepared statement the server refuses to run again after a schema change under it ("cached
 * plan must not change result type", 0A000): the text gets a new name, so every connection parses
 * it afresh. Returns the new name.
 */
export function renamePrepared(text: string): string {
  const name = `${byText.get(text) ?? 'stmt'}_r${++autoNames}`;
  byText.set(text, name);
  byName.set(name, text);
  return name;
}

/**
 * pg: a client of the pool sends each registered text as a named prepared statement (`{name, text,
 * values}`): parsed and planned once per connection. Kysely calls `client.query(text, values)`.
 */
export function nameRegisteredStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (text: unknown, values?: unknown, ...rest: unknown[]) => {
    const name = typeof text === 'string' ? preparedName(text, Array.isArray(values) && values.length > 0) : undefined;
    // Kysely passes no callback: a promise comes back.
    if (name === undefined || rest.length > 0) return query(text, values, ...rest);
    return (query({ name, text, values }) as Promise<unknown>).catch((err: { code?: string }) => {
      if (err.code !== '0A000') throw err;
      return query({ name: renamePrepared(text as string), text, values });
    });
  };
}

/** The text of a prepared statement's name (diagnostics: bench/statements.ts). */
export const preparedText = (name: string): string | undefined => byName.get(name);

export interface StatementResult<R> {
  readonly rows: R[];
  readonly numAffectedRows: bigint | undefined;
}

export async function runStatement<R>(db: Queryable, s: Statement<R>, params: readonly unknown[]): Promise<StatementResult<R>> {
  const res = await db.executeQuery<R>(CompiledQuery.raw(s.text, params as unknown[]));
  return { rows: res.rows, numAffectedRows: res.numAffectedRows };
}

/**
 * One INSERT of fixed columns, with each parameter cast to its column's type (so the same values can
 * also be selected, `INSERT … SELECT $1::text, … FROM <cte>`, where no column gives them a type).
 */
export interface InsertStatement extends Statement {
  readonly table: string;
  readonly columns: readonly string[];
  /** `$<offset+1>::type, …` for the columns, in order. */
  selectList(offset: number): string;
}

export function insertStatement(name: string, table: string, columns: Readonly<Record<string, string>>): InsertStatement {
  const names = Object.keys(columns);
  const selectList = (offset: number) => names.map((c, i) => `$${offset + i + 1}::${columns[c]}`).join(', ');
  return { ...statement(name, `INSERT INTO ${table} (${names.join(', ')}) VALUES (${selectList(0)})`), table, columns: names, selectList };
}

/** An INSERT with its values, built by the module that owns the table and run by whoever holds the connection. */
export interface PlannedInsert {
  readonly statement: InsertStatement;
  readonly values: readonly unknown[];
}
