import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { acquireDataDirLock } from './data-dir-lock.js';
import { countedSingleConnection } from './counted-dialect.js';
import { nameRegisteredStatements } from './prepared.js';
import { preparePglite } from './pglite-prepared.js';
import { writeBehind } from './write-behind.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either a transaction or the pool: for reads and single-statement writes that need no lock. */
export type Queryable = Db | Tx;

export interface DatabaseHandle {
  readonly db: Db;
  readonly kind: 'pglite' | 'postgres';
  /**
   * How many callers wait for the database right now (load shedding reads it on every request):
   * PostgreSQL, callers waiting for a pool connection; PGlite, queries and transactions queued
   * behind the one running (it runs one at a time: counted-dialect.ts).
   */
  queueDepth(): number;
  /** The connections for /metrics (read at scrape time only): see PoolStats. */
  poolStats(): PoolStats;
  /**
   * Calls `onNotify` for each NOTIFY on `channel` committed by any connection, this process's too
   * (PostgreSQL: one dedicated connection, re-opened if it drops). Undefined on PGlite: one process
   * owns the database, and it wakes its own loops in process. Returns a function that stops listening.
   */
  readonly listen?: (channel: string, onNotify: () => void) => Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * The database's connections right now. PostgreSQL: the pg pool's counts (`waiting`: callers
 * queued for a connection). PGlite is one connection that runs one query or transaction at a time:
 * max = total = 1, in use while anything runs, `waiting` the queries and transactions behind it.
 */
export interface PoolStats {
  readonly max: number;
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}

export interface DatabaseOptions {
  /** PostgreSQL URL; without it, PGlite. */
  databaseUrl?: string | undefined;
  /** PGlite data directory; `memory://` (or undefined) keeps it in memory, as the tests do. */
  pgliteDir?: string | undefined;
  poolSize?: number;
}

const INT8_OID = 20;

/** One Kysely over either engine. Both return bigint columns as strings, so the code sees one shape. */
export async function openDatabase(opts: DatabaseOptions): Promise<DatabaseHandle> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10 });
    // An idle client that errors (the server restarted) must not crash the process; the pool replaces it.
    pool.on('error', () => undefined);
    // Registered hot-path statements go as named prepared statements (prepared.ts).
    pool.on('connect', nameRegisteredStatements);
    const db = new Kysely<Database>({ dialect: writeBehind(new PostgresDialect({ pool })) });
    return {
      db,
      kind: 'postgres',
      queueDepth: () => pool.waitingCount,
      poolStats: () => ({ max: pool.options.max ?? 10, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      listen: (channel, onNotify) => listenPostgres(opts.databaseUrl!, channel, onNotify),
      close: () => db.destroy(),
    };
  }
  const dir = opts.pgliteDir ?? 'memory://';
  const release = dir.startsWith('memory://') ? () => undefined : acquireDataDirLock(path.dirname(path.resolve(dir)));
  try {
    const pglite = await PGlite.create(dir, { parsers: { [INT8_OID]: (v: string) => v } });
    // Registered hot-path statements run as named statements in one call (pglite-prepared.ts).
    const counted = countedSingleConnection(new PGliteDialect({ pglite: preparePglite(pglite) }));
    const db = new Kysely<Database>({ dialect: writeBehind(counted.dialect) });
    return {
      db,
      kind: 'pglite',
      queueDepth: () => Math.max(0, counted.inFlight() - 1),
      poolStats: () => ({ max: 1, total: 1, idle: counted.inFlight() > 0 ? 0 : 1, waiting: Math.max(0, counted.inFlight() - 1) }),
      close: async () => {
        await db.destroy();
        release();
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

/**
 * LISTEN on a connection of its own (a pooled one would lose the registration when released). If the
 * connection drops (or cannot be opened), it is tried again every second, and `onNotify` is called
 * once it is back: a notification may have been missed meanwhile.
 */
async function listenPostgres(url: string, channel: string, onNotify: () => void): Promise<() => Promise<void>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a plain channel name: ${channel}`);
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const again = (c: pg.Client) => {
    if (stopped || client !== c) return;
    client = undefined;
    void c.end().catch(() => undefined);
    retry = setTimeout(() => void open().then(() => client && onNotify()), 1000);
    retry.unref();
  };
  const open = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    client = c;
    c.on('notification', (n) => n.channel === channel && onNotify());
    c.on('error', () => again(c));
    c.on('end', () => again(c));
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch {
      // Not reachable now: the loops poll meanwhile, and this tries again in a second.
      again(c);
    }
  };
  await open();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => undefined);
  };
}
