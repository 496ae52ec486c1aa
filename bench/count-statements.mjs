/**
 * A preload (`node --import ./bench/count-statements.mjs …`) for the benches that count what a server
 * process sends to its database (bench/request-path.ts, bench/lifecycle.ts): counts every SQL
 * statement, through `pg` (each Client#query call, BEGIN and COMMIT included) and through PGlite
 * (each Query or Execute message handed to the engine, whatever API sent it: the simple protocol's
 * BEGIN/COMMIT, an extended-protocol query, a batched prepared statement), and which text each one
 * ran (PGlite: the text of the Parse message behind the executed portal). Two ways to read it:
 * - on SIGUSR2 it writes the running total, as JSON, to $BENCH_STATEMENTS_FILE;
 * - over an IPC channel (spawned with 'ipc'), {counter:'read'} answers {counter:'counts', total,
 *   counts: {[statement text]: n}}, running totals since the start: the reader takes differences, so
 *   no statement falls between a read and a reset.
 * Plain JS, so it loads the same way into payrail's dist/ build and into the tsx-run floor; the cost
 * is one increment (and one map update) per statement.
 */
import fs from 'node:fs';
import { TextDecoder } from 'node:util';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';

let statements = 0;
const counts = new Map();
function note(text) {
  statements++;
  const key = String(text).replace(/\s+/g, ' ').trim().slice(0, 110);
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (...args) {
  const q = args[0];
  note(typeof q === 'object' && q !== null && 'text' in q ? q.text : q);
  return query.apply(this, args);
};

// PGlite: the frontend messages (type byte, int32 length, payload). A Parse names a statement (''
// for the unnamed one) and gives its text, a Bind binds a portal to a statement, an Execute runs a
// portal; a Query runs its text at once.
const decoder = new TextDecoder();
const statementText = new Map();
const portalText = new Map();
function cstring(bytes, at) {
  let end = at;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return [decoder.decode(bytes.subarray(at, end)), end + 1];
}
function countMessages(bytes) {
  for (let i = 0; i + 5 <= bytes.length; ) {
    const type = bytes[i];
    const len = ((bytes[i + 1] << 24) | (bytes[i + 2] << 16) | (bytes[i + 3] << 8) | bytes[i + 4]) >>> 0;
    const body = i + 5;
    if (type === 0x51 /* Q */) note(cstring(bytes, body)[0]);
    else if (type === 0x50 /* P */) {
      const [name, next] = cstring(bytes, body);
      statementText.set(name, cstring(bytes, next)[0]);
    } else if (type === 0x42 /* B */) {
      const [portal, next] = cstring(bytes, body);
      portalText.set(portal, statementText.get(cstring(bytes, next)[0]) ?? '?');
    } else if (type === 0x45 /* E */) note(portalText.get(cstring(bytes, body)[0]) ?? '?');
    i += 1 + len;
  }
}
const raw = PGlite.prototype.execProtocolRaw;
PGlite.prototype.execProtocolRaw = function (message, ...rest) {
  countMessages(message);
  return raw.call(this, message, ...rest);
};

const file = process.env.BENCH_STATEMENTS_FILE;
if (file) process.on('SIGUSR2', () => fs.writeFileSync(file, JSON.stringify({ statements })));
if (process.send) {
  process.on('message', (m) => {
    if (m && typeof m === 'object' && m.counter === 'read') process.send?.({ counter: 'counts', total: statements, counts: Object.fromEntries(counts) });
  });
}
