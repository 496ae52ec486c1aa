import {
  CompiledQuery,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Insertable,
  type QueryResult,
  type TransactionSettings,
  type Updateable,
} from 'kysely';
import type { Queryable } from './database.js';
import type { Database } from './schema.js';

/**
 * Write-behind for transactions: a transaction's plain writes are held until something needs them
 * and then sent together, as one statement; its BEGIN is sent only when a statement needs one.
 *
 * - A write queued with `later*` inside a transaction is not sent. It goes out at COMMIT, or before
 *   the next statement that may read it: any statement but a plain SELECT, or a plain SELECT that
 *   names a table with queued writes. Queued writes go out as one statement (data-modifying CTEs:
 *   `WITH w1 AS (INSERT …), w2 AS (UPDATE …) UPDATE …`), so they are all applied or none.
 * - Writes to one row are folded together: an update of a row that the statement being built
 *   inserts or updates already changes that write's values (its columns are plain values, never
 *   expressions), so one statement never touches a row twice. Two writes that one statement cannot
 *   hold in a defined order go out as consecutive statements, in the order they were queued: two
 *   inserts into one table (their sequence values would be assigned in no defined order), two writes
 *   to one row that cannot be folded, a write whose rows are not known. So does a statement's 65th
 *   write (MAX_GROUP: PostgreSQL takes at most 65,535 parameters per statement).
 * - BEGIN waits for the first statement that needs a transaction: a write sent now, a locking or
 *   side-effecting SELECT, or more than one statement of queued writes. Until then plain SELECTs run
 *   in autocommit, which under READ COMMITTED (every transaction here) sees exactly what it would
 *   see inside the transaction: each statement takes its own snapshot. A transaction that only read,
 *   or read and then wrote one statement's worth, sends no BEGIN and no COMMIT at all.
 * - A transaction with an isolation level or access mode of its own begins at once, as Kysely's would.
 * - Outside a transaction (the pool, `db.connection()`), a queued write runs at once.
 *
 * An error in queued writes is raised by the statement that sent them (COMMIT's flush included):
 * the transaction rolls back as for any failed statement. So only writes whose failure the caller
 * does not handle on the spot, and whose result it does not read, are queued.
 */
export interface QueuedWrite {
  readonly table: string;
  /** The one row written (its primary key, or another unique identity such as a job's unique_key); undefined: not known. */
  readonly row: string | undefined;
  /** 'insert' and 'update' of a known row fold with later updates of that row; 'other' never folds. */
  readonly kind: 'insert' | 'update' | 'other';
  readonly values: Record<string, unknown>;
  readonly build: (values: Record<string, unknown>) => CompiledQuery;
}

/** Compiles queued writes (never executes anything). */
const compiler = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** The same, for builds from a row's values (typed by the callers' signatures). */
const loose = compiler as unknown as Kysely<Record<string, Record<string, unknown>>>;

/** The queued write a marker query carries to the connection. */
const carried = new WeakMap<object, QueuedWrite>();

/** A database without write-behind (never the case for openDatabase's) fails on the marker instead of dropping the write. */
const MARKER_SQL = 'SELECT payrail_write_behind_is_not_installed()';

async function queue(q: Queryable, write: QueuedWrite): Promise<void> {
  const marker = CompiledQuery.raw(MARKER_SQL);
  carried.set(marker, write);
  await q.executeQuery(marker);
}

type Table = keyof Database & string;

/** An INSERT of one row with a primary key `id` (later updates of that row fold into it). */
export function insertLater<T extends Table>(q: Queryable, table: T, values: Insertable<Database[T]> & { id: string }): Promise<void> {
  return queue(q, { table, row: values.id, kind: 'insert', values: { ...values }, build: (v) => loose.insertInto(table as string).values(v).compile() });
}

/** An UPDATE of the row whose `id` is given, to plain values. */
export function updateLater<T extends Table>(q: Queryable, table: T, id: string, set: Updateable<Database[T]>): Promise<void> {
  return queue(q, {
    table,
    row: id,
    kind: 'update',
    values: { ...set },
    build: (v) => loose.updateTable(table as string).set(v).where('id', '=', id).compile(),
  });
}

/** Any other write (an upsert, a delete): sent as built, never folded; `row` names its one row if it has one. */
export function writeLater(q: Queryable, table: Table, row: string | undefined, build: (db: Kysely<Database>) => { compile(): CompiledQuery }): Promise<void> {
  return queue(q, { table, row, kind: 'other', values: {}, build: () => build(compiler).compile() });
}

// ---------------------------------------------------------------------------------------------
// The driver side.

const LOCKING = /\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b|\bpayrail_\w+\s*\(|\bpg_advisory|\bnextval\s*\(|\bsetval\s*\(|\bpg_notify\s*\(|\bset_config\s*\(/i;

/** A SELECT that neither locks nor changes anything: it may run in autocommit and before queued writes to tables it does not name. */
function plainSelect(text: string): boolean {
  return /^\s*select\b/i.test(text) && !LOCKING.test(text);
}

const tablePatterns = new Map<string, RegExp>();
function names(text: string, table: string): boolean {
  let re = tablePatterns.get(table);
  if (!re) tablePatterns.set(table, (re = new RegExp(`\\b${table}\\b`, 'i')));
  return re.test(text);
}

/** The writes of one statement, each with `$n` renumbered after the ones before it; the last one is the main statement. */
function combine(group: readonly QueuedWrite[]): CompiledQuery {
  const parts = group.map((w) => w.build(w.values));
  if (parts.length === 1) return parts[0]!;
  const parameters: unknown[] = [];
  const texts = parts.map((p) => {
    const offset = parameters.length;
    parameters.push(...p.parameters);
    return offset === 0 ? p.sql : p.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
  });
  const main = texts.pop()!;
  return CompiledQuery.raw(`WITH ${texts.map((t, i) => `w${i} AS (${t})`).join(', ')} ${main}`, parameters);
}

/** Writes per statement at most: far below PostgreSQL's 65,535 parameters for any row here. */
const MAX_GROUP = 64;

/** Whether `w` may share a statement with `e` (see the top of this file). */
function compatible(e: QueuedWrite, w: QueuedWrite): boolean {
  if (e.table !== w.table) return true;
  if (e.kind === 'insert' && w.kind === 'insert') return false;
  return e.row !== undefined && w.row !== undefined && e.row !== w.row;
}

class WriteBehindConnection implements DatabaseConnection {
  /** none: not in a transaction; pending: in one, BEGIN not sent yet; open: BEGIN sent. */
  state: 'none' | 'pending' | 'open' = 'none';
  groups: QueuedWrite[][] = [];

  constructor(
    readonly inner: DatabaseConnection,
    private readonly driver: Driver,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const write = carried.get(query);
    if (write) {
      if (this.state === 'none') return this.inner.executeQuery<R>(write.build(write.values));
      this.enqueue(write);
      return { rows: [] };
    }
    if (this.state !== 'none') {
      const plain = plainSelect(query.sql);
      if (this.groups.length > 0 && (!plain || this.groups.some((g) => g.some((w) => names(query.sql, w.table))))) await this.flush(false);
      if (this.state === 'pending' && !plain) await this.open();
    }
    return this.inner.executeQuery<R>(query);
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
    if (this.state !== 'none') {
      await this.flush(false);
      if (this.state === 'pending') await this.open();
    }
    yield* this.inner.streamQuery<R>(query, chunkSize);
  }

  private enqueue(write: QueuedWrite): void {
    const last = this.groups.at(-1);
    if (last && write.kind === 'update' && write.row !== undefined) {
      // An update of a row the last statement writes already folds into that write. (A row written
      // only by an earlier statement needs no folding: this write goes in a later one.)
      const i = last.findIndex((e) => e.table === write.table && e.row === write.row);
      const e = last[i];
      if (e && e.kind !== 'other') {
        last[i] = { ...e, values: { ...e.values, ...write.values } };
        return;
      }
    }
    if (last && last.length < MAX_GROUP && last.every((e) => compatible(e, write))) last.push(write);
    else this.groups.push([write]);
  }

  /** Sends the queued writes; `final`: at COMMIT, where a single statement needs no BEGIN. */
  async flush(final: boolean): Promise<void> {
    const groups = this.groups;
    if (groups.length === 0) return;
    this.groups = [];
    if (this.state === 'pending' && !(final && groups.length === 1)) await this.open();
    for (const group of groups) await this.inner.executeQuery(combine(group));
  }

  async open(): Promise<void> {
    await this.driver.beginTransaction(this.inner, {});
    this.state = 'open';
  }
}

/** Wraps a dialect's driver so its transactions write behind (see the top of this file). */
export function writeBehind(inner: Dialect): Dialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createDriver: () => {
      const driver = inner.createDriver();
      const conn = (c: DatabaseConnection) => c as WriteBehindConnection;
      const wrapped: Driver = {
        init: (o) => driver.init(o),
        destroy: (o) => driver.destroy(o),
        acquireConnection: async (o) => new WriteBehindConnection(await driver.acquireConnection(o), driver),
        releaseConnection: (c, o) => driver.releaseConnection(conn(c).inner, o),
        beginTransaction: async (c, settings: TransactionSettings) => {
          const wb = conn(c);
          wb.groups = [];
          if (settings.isolationLevel !== undefined || settings.accessMode !== undefined) {
            await driver.beginTransaction(wb.inner, settings);
            wb.state = 'open';
          } else wb.state = 'pending';
        },
        commitTransaction: async (c) => {
          const wb = conn(c);
          // If the flush or COMMIT fails, Kysely rolls back next, and that must still see the state.
          await wb.flush(true);
          if (wb.state === 'open') await driver.commitTransaction(wb.inner);
          wb.state = 'none';
        },
        rollbackTransaction: async (c) => {
          const wb = conn(c);
          wb.groups = [];
          const open = wb.state === 'open';
          wb.state = 'none';
          if (open) await driver.rollbackTransaction(wb.inner);
        },
      };
      return wrapped;
    },
  };
}
