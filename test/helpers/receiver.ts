import { createPublicKey, verify } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real webhook receiver on loopback. Every request is recorded with whether its X-PARTNER-SIGN
 * verifies against the server's public key. `respond` decides the answer per request, so one
 * receiver can fail N times, hang, redirect or send a huge body.
 */
export interface Received {
  readonly body: string;
  readonly json: { type: string; session: Record<string, unknown> };
  readonly headers: http.IncomingHttpHeaders;
  readonly verified: boolean;
  readonly at: number;
  readonly path: string;
}

export type Responder = (req: Received, n: number) => { status: number; body?: string | Buffer; headers?: Record<string, string> } | 'hang';

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  respond: Responder;
  /** Resolves when at least `n` requests have arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(publicKeyPem: string, respond: Responder = () => ({ status: 200, body: 'ok' })): Promise<Receiver> {
  const key = createPublicKey(publicKeyPem);
  const received: Received[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const hanging = new Set<http.ServerResponse>();
  const state = { respond };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const sig = String(req.headers['x-partner-sign'] ?? '');
      let json: Received['json'];
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        json = { type: '?', session: {} };
      }
      const r: Received = { body: raw.toString('utf8'), json, headers: req.headers, verified: verify('sha256', raw, key, Buffer.from(sig, 'base64')), at: Date.now(), path: req.url ?? '/' };
      received.push(r);
      const answer = state.respond(r, received.length);
      for (const w of waiters.filter((w) => received.length >= w.n)) w.resolve();
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    get respond() {
      return state.respond;
    },
    set respond(fn: Responder) {
      state.respond = fn;
    },
    waitFor(n, timeoutMs = 5000) {
      if (received.length >= n) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${received.length} of ${n} webhooks arrived in ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve(received);
          },
        });
      });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
