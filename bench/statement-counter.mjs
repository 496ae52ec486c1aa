/**
 * Loaded into a `payrail serve` process by bench/lifecycle.ts (`node --import ./bench/statement-counter.mjs`)
 * to count the SQL statements it sends, through pg.Client or PGlite (statements inside PGlite
 * transactions included, and their BEGIN/COMMIT counted as the statements they are). The bench asks
 * over the IPC channel: {counter:'reset'} clears the counts, {counter:'read'} answers
 * {counter:'counts', counts: {[statement text]: n}}. Plain JS so it needs no loader.
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

const counts = new Map();
function note(sql, where = '') {
  const text = typeof sql === 'object' && sql !== null && 'text' in sql ? String(sql.text) : String(sql);
  const key = `${where}${text.replace(/\s+/g, ' ').trim().slice(0, 110)}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
function wrap(proto, method) {
  const orig = proto[method];
  if (!orig) return;
  proto[method] = function (...args) {
    note(args[0]);
    return orig.apply(this, args);
  };
}
wrap(pg.Client.prototype, 'query');
wrap(PGlite.prototype, 'query');
wrap(PGlite.prototype, 'exec');
const transaction = PGlite.prototype.transaction;
PGlite.prototype.transaction = function (fn) {
  note('BEGIN');
  return transaction.call(this, (tx) => {
    const query = tx.query.bind(tx);
    tx.query = (...args) => {
      note(args[0]);
      return query(...args);
    };
    return fn(tx);
  }).finally(() => note('COMMIT'));
};

process.on('message', (m) => {
  if (!m || typeof m !== 'object' || !('counter' in m)) return;
  if (m.counter === 'reset') counts.clear();
  if (m.counter === 'read') process.send?.({ counter: 'counts', counts: Object.fromEntries(counts) });
});
