/**
 * The webhook receiver for `npm run bench:webhooks`, run as its own process (forked with an IPC
 * channel) so that the load generator in the bench process cannot delay its clock readings.
 *
 * It answers every POST with 200 at once, then records the arrival time (Date.now(), the same clock
 * payrail's sandbox clock reads when nothing has advanced it) of each webhook by its
 * X-PAYRAIL-WEBHOOK-ID, counts repeats, and checks the X-PARTNER-SIGN of one request in
 * RECEIVER_VERIFY_EVERY against the server's public key (RECEIVER_PUBLIC_KEY, a PEM file, read when
 * the bench sends it; the file only exists once payrail has started).
 *
 * IPC, request → reply:
 *   { cmd: 'key', path }   → { ok: true }                  load the public key
 *   { cmd: 'stats' }       → { unique, duplicates, verified, badSignatures, missingId }
 *   { cmd: 'dump', ids? }  → { arrivals: [id, ms][] }      every arrival (or only the ids given)
 * The first message from the receiver is { port } once it listens on 127.0.0.1.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const VERIFY_EVERY = Math.max(1, Number(process.env['RECEIVER_VERIFY_EVERY'] ?? 10));

const arrivals = new Map<string, number>();
let duplicates = 0;
let verified = 0;
let badSignatures = 0;
let missingId = 0;
let seen = 0;
let key: KeyObject | undefined;

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = Date.now();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
    const id = req.headers['x-payrail-webhook-id'];
    if (typeof id !== 'string' || id === '') {
      missingId++;
      return;
    }
    if (arrivals.has(id)) duplicates++;
    else arrivals.set(id, at);
    if (seen++ % VERIFY_EVERY === 0) {
      const sig = String(req.headers['x-partner-sign'] ?? '');
      const ok = key !== undefined && verify('sha256', Buffer.concat(chunks), key, Buffer.from(sig, 'base64'));
      if (ok) verified++;
      else badSignatures++;
    }
  });
});
server.keepAliveTimeout = 30_000;

type Message = { cmd: 'key'; path: string } | { cmd: 'stats' } | { cmd: 'dump'; ids?: string[] };

process.on('message', (m: Message) => {
  switch (m.cmd) {
    case 'key':
      key = createPublicKey(fs.readFileSync(m.path));
      process.send?.({ ok: true });
      return;
    case 'stats':
      process.send?.({ unique: arrivals.size, duplicates, verified, badSignatures, missingId });
      return;
    case 'dump': {
      const out: [string, number][] = [];
      if (m.ids) {
        for (const id of m.ids) {
          const t = arrivals.get(id);
          if (t !== undefined) out.push([id, t]);
        }
      } else out.push(...arrivals);
      process.send?.({ arrivals: out });
      return;
    }
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
