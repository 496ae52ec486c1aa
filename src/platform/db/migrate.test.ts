import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { listMigrations, splitStatements } from './migrate.js';

describe('splitStatements', () => {
  test('splits on top-level semicolons and trims', () => {
    assert.deepEqual(splitStatements('SELECT 1;\n  SELECT 2 ;\nSELECT 3'), ['SELECT 1', 'SELECT 2', 'SELECT 3']);
  });

  test('drops empty statements and trailing line comments', () => {
    assert.deepEqual(splitStatements(';;\nSELECT 1;\n\n;  -- the end; really\n'), ['SELECT 1']);
    assert.deepEqual(splitStatements(''), []);
    assert.deepEqual(splitStatements('-- only a comment; nothing else\n'), []);
  });

  test('a ; inside a line comment does not split, and the comment stays with its statement', () => {
    assert.deepEqual(splitStatements('-- first; second\nCREATE TABLE a (x int);\nSELECT 1'), ['-- first; second\nCREATE TABLE a (x int)', 'SELECT 1']);
  });

  test('a ; inside a block comment does not split', () => {
    assert.deepEqual(splitStatements('SELECT /* a; b */ 1; SELECT 2'), ['SELECT /* a; b */ 1', 'SELECT 2']);
    assert.deepEqual(splitStatements('/* multi;\nline; */ SELECT 1'), ['/* multi;\nline; */ SELECT 1']);
  });

  test('a ; inside single-quoted strings (with doubled quotes) does not split', () => {
    const sql = "INSERT INTO t VALUES ('a;b', 'it''s; fine', ''); SELECT ';'";
    assert.deepEqual(splitStatements(sql), ["INSERT INTO t VALUES ('a;b', 'it''s; fine', '')", "SELECT ';'"]);
  });

  test('a ; inside double-quoted identifiers (with doubled quotes) does not split', () => {
    assert.deepEqual(splitStatements('SELECT "we;ird", "a"";b" FROM t; SELECT 2'), ['SELECT "we;ird", "a"";b" FROM t', 'SELECT 2']);
  });

  test('dollar-quoted bodies keep their semicolons, with or without a tag', () => {
    const fn = 'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; RETURN 2; END; $$';
    const tagged = "DO $body$ BEGIN RAISE NOTICE 'x;y'; PERFORM $$;$$; END $body$";
    assert.deepEqual(splitStatements(`${fn};\n${tagged};\nSELECT 3;`), [fn, tagged, 'SELECT 3']);
  });

  test('a $1 parameter is not mistaken for a dollar quote', () => {
    assert.deepEqual(splitStatements('PREPARE p AS SELECT $1; SELECT 2'), ['PREPARE p AS SELECT $1', 'SELECT 2']);
  });

  test('a dollar-quote tag may contain digits after its first character', () => {
    const body = 'DO $fn1$ BEGIN PERFORM 1; END $fn1$';
    assert.deepEqual(splitStatements(`${body}; SELECT 2`), [body, 'SELECT 2']);
  });

  test('a trailing block comment is not a statement', () => {
    assert.deepEqual(splitStatements('SELECT 1; /* end */'), ['SELECT 1']);
  });

  test('an unterminated string or comment ends the input without throwing', () => {
    assert.deepEqual(splitStatements("SELECT 'open; still open"), ["SELECT 'open; still open"]);
    assert.deepEqual(splitStatements('SELECT 1; DO $$ open; still'), ['SELECT 1', 'DO $$ open; still']);
  });

  test('every shipped migration splits into statements that each start with SQL, not a fragment', () => {
    for (const migration of listMigrations()) {
      const statements = splitStatements(migration.sql);
      assert.ok(statements.length > 0, migration.name);
      for (const s of statements) {
        const code = s.replace(/--[^\n]*\n/g, '').trim();
        assert.match(code, /^(CREATE|ALTER|INSERT|UPDATE|DELETE|DROP|COMMENT|DO|SELECT|GRANT)\b/i, `${migration.name}: ${code.slice(0, 60)}`);
      }
    }
  });
});

describe('listMigrations', () => {
  test('numbered files in order, starting with 0001_foundation.sql, with unique numbers', () => {
    const names = listMigrations().map((m) => m.name);
    assert.equal(names[0], '0001_foundation.sql');
    assert.deepEqual([...names].sort(), names);
    const numbers = names.map((n) => n.slice(0, 4));
    assert.equal(new Set(numbers).size, numbers.length, 'two migrations share a number');
    for (const n of names) assert.match(n, /^\d{4}_[a-z0-9_]+\.sql$/);
  });
});
