import type { DatabaseConnection, Dialect, DialectAdapter, Driver } from 'kysely';

/**
 * A single-connection dialect (PGlite) whose one connection is handed out by a lock that counts its
 * waiters, so load shedding and /metrics can read PGlite's queue. Kysely serialises such dialects
 * with a lock of its own that keeps no count; this one replaces it (the adapter then says it
 * supports several connections, so Kysely adds no second lock) and keeps Kysely's rule: one
 * query or transaction at a time, the next one in the order they asked.
 */
export function countedSingleConnection(inner: Dialect): { dialect: Dialect; inFlight: () => number } {
  let held = false;
  const queue: (() => void)[] = [];
  const obtain = async (): Promise<void> => {
    if (!held) {
      held = true;
      return;
    }
    // Handed over by release(): `held` stays true.
    await new Promise<void>((resolve) => queue.push(resolve));
  };
  const release = () => {
    const next = queue.shift();
    if (next) next();
    else held = false;
  };
  const wrapDriver = (driver: Driver): Driver =>
    new Proxy(driver, {
      get(target, prop) {
        if (prop === 'acquireConnection') {
          return async (...args: unknown[]): Promise<DatabaseConnection> => {
            await obtain();
            try {
              return await (target.acquireConnection as (...a: unknown[]) => Promise<DatabaseConnection>).apply(target, args);
            } catch (err) {
              release();
              throw err;
            }
          };
        }
        if (prop === 'releaseConnection') {
          return async (...args: unknown[]): Promise<void> => {
            try {
              await (target.releaseConnection as (...a: unknown[]) => Promise<void>).apply(target, args);
            } finally {
              release();
            }
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const wrapAdapter = (adapter: DialectAdapter): DialectAdapter =>
    new Proxy(adapter, {
      get: (target, prop) => (prop === 'supportsMultipleConnections' ? true : Reflect.get(target, prop, target)),
    });
  const dialect: Dialect = {
    createAdapter: () => wrapAdapter(inner.createAdapter()),
    createDriver: () => wrapDriver(inner.createDriver()),
    createIntrospector: (db) => inner.createIntrospector(db),
    createQueryCompiler: () => inner.createQueryCompiler(),
  };
  return { dialect, inFlight: () => (held ? 1 : 0) + queue.length };
}
