/**
 * The floor payrail is measured against: the least a correct signed session/create can do.
 * A bare node:http server that reads the body, verifies X-PARTNER-SIGN (RSA-SHA256, PKCS#1 v1.5)
 * with the demo project's public key, parses the JSON, runs ONE autocommit INSERT into a table of
 * the same shape as payrail's `sessions` (same columns, same indexes, no foreign key), and answers
 * with a small JSON session. No framework, no transaction block, no logging.
 *
 * Run as its own process (node --import tsx bench/floor-server.ts) so it pays the same process
 * costs as `payrail serve`. Configuration, from the environment:
 *   FLOOR_PORT        port to listen on (127.0.0.1)
 *   FLOOR_PUBLIC_KEY  path to the PEM public key signatures are checked against
 *   FLOOR_DATABASE_URL  PostgreSQL URL (pg Pool, max 10, as payrail), or
 *   FLOOR_PGLITE_DIR    a PGlite data directory owned by this process
 *   FLOOR_TABLE       the table to write (default floor_sessions)
 * Diagnostic variants (not the floor; `BENCH_EXTRA_FLOORS` in run.ts starts them) that add one of
 * payrail's costs at a time, to attribute the gap:
 *   FLOOR_TX=1   the INSERT inside BEGIN … COMMIT (three statements, as payrail's one transaction per call)
 *   FLOOR_FK=1   project_id REFERENCES a one-row floor_projects table (payrail's foreign key)
 * Prints `floor listening on <port>` on stdout once it accepts requests.
 */
import { createPublicKey, verify } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

type Insert = (values: unknown[]) => Promise<void>;

const FK = process.env['FLOOR_FK'] === '1';
const TX = process.env['FLOOR_TX'] === '1';
// Each variant writes its own table, so variants can share one PostgreSQL database.
const T = process.env['FLOOR_TABLE'] || 'floor_sessions';
if (!/^[a-z_][a-z0-9_]*$/.test(T)) throw new Error('FLOOR_TABLE must be a plain identifier');

const TABLE = `CREATE TABLE IF NOT EXISTS floor_projects (id bigint PRIMARY KEY);
INSERT INTO floor_projects (id) VALUES (1) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS ${T} (
  id text PRIMARY KEY,
  project_id bigint NOT NULL${FK ? ' REFERENCES floor_projects (id)' : ''},
  status text NOT NULL CHECK (status IN ('created', 'in_progress', 'accepted', 'cancelled', 'error')),
  next_action text CHECK (next_action IN ('confirm', 'capture')),
  params jsonb NOT NULL,
  error_code text,
  error_description text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE INDEX IF NOT EXISTS ${T}_project_created ON ${T} (project_id, created_at);
-- The dashboard's indexes on sessions (migration 0018): every INSERT of a session maintains them.
CREATE INDEX IF NOT EXISTS ${T}_created_id ON ${T} (created_at, id);
CREATE INDEX IF NOT EXISTS ${T}_status_created ON ${T} (status, created_at, id);
CREATE INDEX IF NOT EXISTS ${T}_project_status_created ON ${T} (project_id, status, created_at, id);
CREATE INDEX IF NOT EXISTS ${T}_metadata_text ON ${T}
  USING gin (jsonb_to_tsvector('simple', params -> 'metadata', '["string", "numeric"]'))
  WHERE params -> 'metadata' IS NOT NULL;`;

const INSERT = `INSERT INTO ${T} (id, project_id, status, next_action, params, error_code, error_description, created_at, updated_at, finished_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`;

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

async function openStore(): Promise<{ insert: Insert; close(): Promise<void> }> {
  const url = env('FLOOR_DATABASE_URL');
  if (url) {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    pool.on('error', () => undefined);
    await pool.query(TABLE);
    return {
      insert: TX
        ? async (values) => {
            const client = await pool.connect();
            try {
              await client.query('BEGIN');
              await client.query(INSERT, values);
              await client.query('COMMIT');
              client.release();
            } catch (err) {
              client.release(true);
              throw err;
            }
          }
        : async (values) => {
            await pool.query(INSERT, values);
          },
      close: () => pool.end(),
    };
  }
  const dir = env('FLOOR_PGLITE_DIR');
  if (!dir) throw new Error('set FLOOR_DATABASE_URL or FLOOR_PGLITE_DIR');
  const db = await PGlite.create(dir);
  await db.exec(TABLE);
  return {
    insert: TX
      ? async (values) => {
          await db.transaction(async (tx) => {
            await tx.query(INSERT, values);
          });
        }
      : async (values) => {
          await db.query(INSERT, values);
        },
    close: () => db.close(),
  };
}

function send(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const errorBody = (code: string, description: string) => JSON.stringify({ status: 'error', error: { code, description } });

async function main(): Promise<void> {
  const keyPath = env('FLOOR_PUBLIC_KEY');
  if (!keyPath) throw new Error('set FLOOR_PUBLIC_KEY');
  const key = createPublicKey(fs.readFileSync(keyPath));
  const projectId = '1';
  const store = await openStore();
  let seq = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        if (req.method !== 'POST' || req.url !== '/api/v1/session/create') return send(res, 404, errorBody('not_found', 'no such endpoint'));
        if (req.headers['x-partner-project'] !== 'demo') return send(res, 401, errorBody('identification_error', 'unknown project'));
        const sign = req.headers['x-partner-sign'];
        const raw = Buffer.concat(chunks);
        if (typeof sign !== 'string' || !verify('sha256', raw, key, Buffer.from(sign, 'base64'))) {
          return send(res, 401, errorBody('authentication_error', 'bad signature'));
        }
        let params: unknown;
        try {
          params = JSON.parse(raw.toString('utf8'));
        } catch {
          return send(res, 400, errorBody('invalid_request', 'body is not JSON'));
        }
        const now = new Date();
        // payrail's id shape, made collision-free with a counter (random digits collide now and then
        // at thousands of ids per millisecond-second, and a 500 would spoil the floor's run).
        const id = `ps_${Date.now()}${String(seq++ % 1_000_000).padStart(6, '0')}`;
        await store.insert([id, projectId, 'created', null, JSON.stringify(params), null, null, now, now, null]);
        const at = now.toISOString().replace('Z', '000Z');
        send(res, 200, JSON.stringify({ status: 'ok', session: { id, status: 'created', created_at: at, updated_at: at } }));
      })().catch((err: unknown) => {
        process.stderr.write(`floor: ${(err as Error).message}\n`);
        if (!res.headersSent) send(res, 500, errorBody('internal_error', 'internal error'));
      });
    });
  });
  server.keepAliveTimeout = 65_000;
  const port = Number(env('FLOOR_PORT') ?? 0);
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`floor listening on ${typeof address === 'object' && address ? address.port : port}\n`);
  });
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void store.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`floor: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
