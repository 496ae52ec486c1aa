import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { listTransitions } from '../src/domain/sessions/session-search.js';
import { startHarness, type Harness } from './helpers/harness.js';

/**
 * The dashboard's timeline (docs/dashboard.md, "The timeline"): changes are recorded by triggers,
 * creations are read from the rows themselves (migration 0025), and rows recorded before 0025 (with
 * their creation) are read as they are, without a second creation entry.
 */
let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

const create = async (): Promise<string> => {
  const res = await h.call('session/create', { amount_details: { amount: 700, currency: 'usd' } });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().session.id as string;
};

test('a creation is derived from the row, in the status it was created in; each change follows in order', async () => {
  const { db } = h.runtime.database;
  const id = await create();
  const recorded = await sql<{ id: string }>`SELECT id FROM operation_transitions WHERE session_id = ${id}`.execute(db);
  assert.deepEqual(recorded.rows, [], 'session/create writes no transition row');
  let timeline = await listTransitions(db, id);
  assert.deepEqual(timeline.map((t) => [t.kind, t.objectId, t.from, t.to]), [['session', id, null, 'created']]);

  const later = new Date(Date.now() + 60_000);
  await sql`UPDATE sessions SET status = 'in_progress', updated_at = ${later} WHERE id = ${id}`.execute(db);
  await sql`UPDATE sessions SET status = 'cancelled', updated_at = ${new Date(later.getTime() + 1000)} WHERE id = ${id}`.execute(db);
  timeline = await listTransitions(db, id);
  assert.deepEqual(
    timeline.map((t) => [t.from, t.to]),
    [
      [null, 'created'],
      ['created', 'in_progress'],
      ['in_progress', 'cancelled'],
    ],
    'created as it was, not as it is now',
  );
  assert.equal(timeline[1]!.at.getTime(), later.getTime());
});

test('a session recorded before 0025 (its creation a row) gets no second creation entry', async () => {
  const { db } = h.runtime.database;
  const id = await create();
  const row = await db.selectFrom('sessions').select('created_at').where('id', '=', id).executeTakeFirstOrThrow();
  await sql`INSERT INTO operation_transitions (session_id, kind, object_id, from_status, to_status, at) VALUES (${id}, 'session', ${id}, NULL, 'created', ${row.created_at})`.execute(db);
  const timeline = await listTransitions(db, id);
  assert.deepEqual(timeline.map((t) => [t.kind, t.from, t.to]), [['session', null, 'created']]);
});
