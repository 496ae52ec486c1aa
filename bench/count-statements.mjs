/**
 * A preload (`node --import ./bench/count-statements.mjs …`) for bench/request-path.ts: counts every
 * SQL statement the process sends, through `pg` (each Client#query call, BEGIN and COMMIT included)
 * and through PGlite (each Query or Execute message handed to the engine, whatever API sent it: the
 * simple protocol's BEGIN/COMMIT, an extended-protocol query, a batched prepared statement). On
 * SIGUSR2 it writes the running total, as JSON, to $BENCH_STATEMENTS_FILE. Plain JS, so it loads the
 * same way into payrail's dist/ build and into the tsx-run floor; the cost is one increment per call.
 */
import fs from 'node:fs';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';

let statements = 0;

const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (...args) {
  statements++;
  return query.apply(this, args);
};

/** Query ('Q') and Execute ('E') messages in a buffer of frontend messages (type byte, int32 length, payload). */
function countMessages(bytes) {
  let n = 0;
  for (let i = 0; i + 5 <= bytes.length; ) {
    const type = bytes[i];
    if (type === 0x51 || type === 0x45) n++;
    i += 1 + ((bytes[i + 1] << 24) | (bytes[i + 2] << 16) | (bytes[i + 3] << 8) | bytes[i + 4]);
  }
  return n;
}
const raw = PGlite.prototype.execProtocolRaw;
PGlite.prototype.execProtocolRaw = function (message, ...rest) {
  statements += countMessages(message);
  return raw.call(this, message, ...rest);
};

const file = process.env.BENCH_STATEMENTS_FILE;
if (file) process.on('SIGUSR2', () => fs.writeFileSync(file, JSON.stringify({ statements })));
