import { parse, protocol, type PGlite, type QueryOptions, type Results, type Transaction } from '@electric-sql/pglite';
import { preparedName } from './prepared.js';

/**
 * PGlite's side of prepared.ts (which texts are prepared: registered and hot ones). PGlite runs every query as six calls into the engine (Parse,
 * Describe, Bind, Describe, Execute, Sync: each serialised, copied into WebAssembly, run and parsed
 * on its own). A registered statement is instead parsed once per database as a named statement,
 * its parameter types kept, and each run is Bind/Describe/Execute/Sync in a single call. The locks
 * are PGlite's own, taken as its query() does: outside a transaction, the transaction lock (it waits
 * for a transaction in progress) and the query lock; inside one, the query lock only.
 */
type Query = (text: string, params?: unknown[], options?: QueryOptions) => Promise<Results>;

const { serialize } = protocol;

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Patches `pglite.query` and the query of each transaction it opens; everything else is untouched. */
export function preparePglite(pglite: PGlite): PGlite {
  const types = new Map<string, number[]>();
  const exec = (parts: Uint8Array[]) => pglite.execProtocolStream(concat(parts), { syncToFs: false });

  async function prepare(name: string, text: string, replace: boolean): Promise<number[]> {
    const close = replace ? [serialize.close({ type: 'S', name })] : [];
    const described = parse.parseDescribeStatementResults(await exec([...close, serialize.parse({ name, text }), serialize.describe({ type: 'S', name }), serialize.sync()]));
    types.set(name, described);
    return described;
  }

  async function run(name: string, text: string, params: unknown[], options: QueryOptions | undefined, inTransaction: boolean): Promise<Results> {
    return pglite._runExclusiveQuery(async () => {
      const once = async (replace: boolean) => {
        const oids = (!replace && types.get(name)) || (await prepare(name, text, replace));
        // As PGlite's own query(): the type's serializer, else toString().
        const values = params.map((v, i) => (v === null || v === undefined ? null : (pglite.serializers[oids[i] ?? 0]?.(v) ?? String(v))));
        return exec([serialize.bind({ statement: name, values }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()]);
      };
      let messages;
      try {
        messages = await once(false);
      } catch (err) {
        // A schema change under a prepared SELECT * ("cached plan must not change result type"): parse it again, once.
        if ((err as { code?: string }).code !== '0A000') throw err;
        messages = await once(true);
      }
      if (!inTransaction) await pglite.syncToFs();
      const [result] = parse.parseResults(messages, pglite.parsers, options);
      return result ?? { rows: [], fields: [] };
    });
  }

  const query: Query = pglite.query.bind(pglite);
  const patched: Query = async (text, params = [], options) => {
    const name = preparedName(text, params.length > 0);
    if (name === undefined) return query(text, params, options);
    return pglite._runExclusiveTransaction(() => run(name, text, params, options, false));
  };
  const transaction = pglite.transaction.bind(pglite);
  Object.assign(pglite, {
    query: patched,
    transaction: <T>(fn: (tx: Transaction) => Promise<T>) =>
      transaction((tx) => {
        const inner: Query = tx.query.bind(tx);
        const txQuery: Query = async (text, params = [], options) => {
          const name = preparedName(text, params.length > 0);
          return name === undefined ? inner(text, params, options) : run(name, text, params, options, true);
        };
        return fn(Object.assign(tx, { query: txQuery }));
      }),
  });
  return pglite;
}
