import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { startHarness, type Harness } from './helpers/harness.js';
import { bankCard, USD, until } from './helpers/acquiring.js';
import { dest, payoutBody, topUp, ok } from './helpers/payouts.js';
import { findSessionView, loadSessionView, type SessionView } from '../src/domain/sessions/session-view.js';
import { findSession } from '../src/domain/sessions/session.repo.js';
import type { OperationKind, OperationKinds } from '../src/domain/sessions/operation-kind.js';
import { findProjectById, findProjectByName } from '../src/domain/projects/project.repo.js';
import { renderSession } from '../src/edge/wire/session.wire.js';

/**
 * The session view read in one statement (each kind's `joint` SELECT as a json_agg column) gives
 * exactly what the kind-by-kind read (`list`, one statement per kind) gives: the same domain
 * objects, the same rendered session in v1 and v2, for sessions with payments (a recurrent token, a
 * refund), payouts, nothing at all, and rows whose timestamps carry microseconds and whose json
 * columns hold unicode and numbers beyond 2^53. Another project's session is not
 * found.
 */
let h: Harness;
const customer = { reference: 'c1', email: 'c@example.com' };

/** The same kinds without their joint listing: the view is read kind by kind, through `list`. */
function listedKinds(kinds: OperationKinds): OperationKinds {
  return kinds.map((k) => {
    const { joint: _joint, ...rest } = k;
    return rest as OperationKind;
  });
}

/** A view read through listedKinds, with each operation's kind put back (renderSession finds kinds by identity). */
function withKinds(view: SessionView, kinds: OperationKinds): SessionView {
  return { session: view.session, operations: view.operations.map((o) => ({ ...o, kind: kinds.find((k) => k.name === o.kind.name) as OperationKind })) };
}

const plain = (view: SessionView) => ({ session: view.session, operations: view.operations.map((o) => ({ kind: o.kind.name, op: o.op, summary: o.summary })) });

async function assertSameViews(): Promise<number> {
  const db = h.runtime.database.db;
  const kinds = h.runtime.domain.operations;
  assert.ok(kinds.every((k) => k.joint), 'every registered kind offers a joint listing');
  const listed = listedKinds(kinds);
  const rows = await db.selectFrom('sessions').select(['id', 'project_id']).orderBy('created_at').execute();
  let operations = 0;
  for (const row of rows) {
    const projectId = String(row.project_id);
    const joint = await findSessionView(db, kinds, projectId, row.id);
    const byKind = await findSessionView(db, listed, projectId, row.id);
    assert.ok(joint && byKind, row.id);
    assert.deepStrictEqual(plain(joint), plain(byKind), row.id);
    // Inside a transaction, after the session is held: the operations-only statement.
    const session = await findSession(db, projectId, row.id);
    assert.ok(session);
    assert.deepStrictEqual(plain(await loadSessionView(db, kinds, session)), plain(byKind), row.id);
    const project = await findProjectById(db, projectId);
    assert.ok(project);
    for (const version of ['v1', 'v2'] as const) {
      assert.equal(JSON.stringify(renderSession(joint, version, project)), JSON.stringify(renderSession(withKinds(byKind, kinds), version, project)), `${row.id} ${version}`);
    }
    operations += joint.operations.length;
  }
  return operations;
}

before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.close();
});

describe('the session view in one statement', () => {
  test('the same view as kind by kind, for every session of a real workload', { timeout: 60_000 }, async () => {
    await ok(h, 'session/create', { amount_details: USD(100), metadata: { empty: true } });
    // A payment that earns a recurrent token, then a refund of part of it.
    const paid = await ok(h, 'session/init/payment', { payment_details: bankCard('4242424242424242'), amount_details: USD(10_000), customer, payment_options: { recurrent: true } });
    const sid: string = paid.session.id;
    await until(h, sid, (s) => s['next_action'] === 'confirm' || s['status'] !== 'in_progress');
    await ok(h, 'session/confirm', { session_id: sid });
    await until(h, sid, (s) => s['status'] === 'accepted');
    await ok(h, 'session/refund', { session_id: sid, amount_details: USD(3000) });
    await until(h, sid, (s) => s['status'] === 'accepted');
    // A payout in v2, and one in v1 waiting for confirm.
    await topUp(h, 'demo', 1_000_000);
    await ok(h, 'session/init/payout', payoutBody('v2', dest.card(), USD(2500), { customer, metadata: { order: 7 } }), { version: 'v2' });
    await ok(h, 'session/init/payout', payoutBody('v1', dest.card('5555555555554444'), USD(1200)));
    assert.ok((await assertSameViews()) >= 4);
    const db = h.runtime.database.db;
    const demo = await findProjectByName(db, 'demo');
    assert.ok(demo);
    const joint = await findSessionView(db, h.runtime.domain.operations, demo.id, sid);
    assert.deepEqual(joint?.operations.map((o) => o.kind.name), ['payment', 'refund']);
    assert.ok((joint?.operations[0]?.op as { recurrent: unknown }).recurrent, 'the payment earned a recurrent token');
  });

  test('microsecond timestamps, unicode and large numbers in json columns, null columns', { timeout: 30_000 }, async () => {
    const db = h.runtime.database.db;
    await sql`UPDATE payments SET created_at = created_at + interval '123 microseconds', updated_at = updated_at + interval '999 microseconds', finished_at = finished_at + interval '1 microsecond',
      metadata = '{"note": "naïve ✓ \\u00e9 \\"q\\"", "big": 12345678901234567890, "f": 1.50, "nested": {"b": 1, "a": [true, null]}}'::json`.execute(db);
    await sql`UPDATE payouts SET updated_at = updated_at + interval '456789 microseconds', metadata = '{"z": 1, "a": "Ω"}'::json, customer = NULL`.execute(db);
    await sql`UPDATE refunds SET created_at = created_at + interval '500 microseconds', metadata = '[1, "x"]'::json`.execute(db);
    await sql`UPDATE recurrent_tokens SET finished_at = finished_at + interval '777 microseconds'`.execute(db);
    assert.ok((await assertSameViews()) >= 4);
  });

  test("another project's session is not found, by session/status too", async () => {
    const db = h.runtime.database.db;
    const demo = await findProjectByName(db, 'demo');
    assert.ok(demo);
    const row = await db.selectFrom('sessions').select('id').executeTakeFirstOrThrow();
    assert.equal(await findSessionView(db, h.runtime.domain.operations, String(Number(demo.id) + 1000), row.id), undefined);
    assert.equal(await findSessionView(db, h.runtime.domain.operations, demo.id, 'ps_nope'), undefined);
    const res = await h.call('session/status', { session_id: 'ps_nope' });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { status: 'error', error: { code: 'session_not_found', description: 'session ps_nope not found' } });
  });
});
