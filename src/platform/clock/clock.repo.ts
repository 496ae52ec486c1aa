import { sql } from 'kysely';
import type { Queryable } from '../db/database.js';

/** The sandbox clock's offset from real time, shared by every instance through the database. */
export async function readClockOffset(db: Queryable): Promise<number> {
  const row = await db.selectFrom('sandbox_clock').select('offset_ms').executeTakeFirstOrThrow();
  return Number(row.offset_ms);
}

/** Moves the shared offset forward to at least `offsetMs` (never back) and returns the stored value. */
export async function raiseClockOffset(db: Queryable, offsetMs: number): Promise<number> {
  const res = await sql<{ offset_ms: string }>`
    UPDATE sandbox_clock SET offset_ms = greatest(offset_ms, ${Math.round(offsetMs)}::bigint) RETURNING offset_ms`.execute(db);
  return Number(res.rows[0]?.offset_ms ?? 0);
}
