import { sql } from 'kysely';
import type { Queryable } from '../db/database.js';

/**
 * The replay guard's memory: a signature (by its SHA-256) is recorded when its request is accepted
 * and refused if it comes again before it expires (when its timestamp has left the window). The
 * primary key decides between instances.
 */
export async function useSignatureOnce(db: Queryable, projectId: string, digest: string, expiresAt: Date): Promise<boolean> {
  const res = await sql<{ digest: string }>`
    INSERT INTO used_signatures (project_id, digest, expires_at) VALUES (${projectId}, ${digest}, ${expiresAt})
    ON CONFLICT (project_id, digest) DO UPDATE SET expires_at = EXCLUDED.expires_at
      WHERE used_signatures.expires_at < clock_timestamp()
    RETURNING digest`.execute(db);
  return res.rows.length > 0;
}

export async function purgeUsedSignatures(db: Queryable): Promise<void> {
  await sql`DELETE FROM used_signatures WHERE expires_at < clock_timestamp()`.execute(db);
}
