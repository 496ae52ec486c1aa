import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { ERROR_STATUS } from '../src/kernel/errors.js';
import { OPERATION_ERROR_CODES } from '../src/kernel/operation-errors.js';

/**
 * docs/errors.md is the partner's list of every code payrail can answer with: a code added to
 * either closed list without its line there fails here. API codes must be documented with their
 * HTTP status, in the table row that names them.
 */
const doc = fs.readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
const rows = doc.split('\n').filter((l) => l.startsWith('| `'));
const rowOf = (code: string) => rows.find((l) => l.startsWith(`| \`${code}\` |`));

test('every API error code has a row in docs/errors.md with its HTTP status', () => {
  const missing = Object.entries(ERROR_STATUS).filter(([code, status]) => !rows.some((l) => l.startsWith(`| \`${code}\` | ${status} |`)));
  assert.deepEqual(missing, []);
});

test('every operation error code has a row in docs/errors.md', () => {
  const missing = OPERATION_ERROR_CODES.filter((code) => !rowOf(code));
  assert.deepEqual(missing, []);
});
