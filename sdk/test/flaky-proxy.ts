import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * For the SDK's retry tests (test/sdk.test.ts): a real HTTP server that fails attempts on purpose,
 * so the client's retries, backoff and idempotency keys are watched over real sockets.
 */
export type Step = 'forward' | 'ok' | 'redirect' | 'drop-before' | 'drop-after' | '503' | '429' | '409-in-flight' | '409-other' | 'hang';
export interface Seen {
  readonly path: string;
  readonly verb: string;
  readonly key: string | undefined;
  readonly at: number;
  upstream?: string;
}

const answers: Partial<Record<Step, [number, string, string]>> = {
  '503': [503, 'service_unavailable', 'proxy: try again'],
  '429': [429, 'rate_limited', 'proxy: too many requests'],
  '409-in-flight': [409, 'idempotency_key_already_exists', 'a request with X-PARTNER-IDEMPOTENCY-KEY "k" is still being processed'],
  '409-other': [409, 'idempotency_key_already_exists', 'X-PARTNER-IDEMPOTENCY-KEY "k" was already used for a different request'],
};

export interface FlakyProxy {
  readonly url: string;
  /** Every request, in order of arrival; `upstream` is the server's answer where it was forwarded. */
  readonly seen: Seen[];
  close(): Promise<void>;
}

/**
 * A loopback proxy in front of `upstream` that handles request n (0-based) as plan(n) says:
 * forward it, drop the connection before or after forwarding (the server acted, the answer is
 * lost), hang, redirect it to the server, or answer itself (a canned error envelope, or a bare
 * `{"status":"ok"}`).
 */
export async function startFlakyProxy(upstream: string, plan: (n: number) => Step): Promise<FlakyProxy> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const step = plan(seen.length);
      const entry: Seen = { path: req.url ?? '', verb: req.method ?? '', key: req.headers['x-partner-idempotency-key'] as string | undefined, at: performance.now() };
      seen.push(entry);
      if (step === 'drop-before') return req.socket.destroy();
      if (step === 'hang') return;
      if (step === 'redirect') {
        res.writeHead(307, { location: `${upstream}${req.url}` });
        return res.end();
      }
      if (step === 'ok') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"status":"ok"}');
      }
      const canned = answers[step];
      if (canned) {
        res.writeHead(canned[0], { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ status: 'error', error: { code: canned[1], description: canned[2] } }));
      }
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'x-partner-project', 'x-partner-sign', 'x-partner-timestamp', 'x-partner-idempotency-key']) if (typeof req.headers[name] === 'string') headers[name] = req.headers[name];
      void fetch(`${upstream}${req.url}`, { method: 'POST', headers, body: Buffer.concat(chunks) }).then(async (up) => {
        entry.upstream = await up.text();
        if (step === 'drop-after') return req.socket.destroy();
        res.writeHead(up.status, { 'content-type': 'application/json' });
        res.end(entry.upstream);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url, seen, close };
}
