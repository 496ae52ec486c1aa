import type { IncomingMessage } from 'node:http';

/** How much of an oversized body is read and dropped after the 413, and for how long, before the connection is cut. */
export const DRAIN_MAX_BYTES = 256 * 1024 * 1024;
export const DRAIN_MAX_MS = 30_000;

/**
 * After a 413 the client is usually still sending. Were the connection closed with its bytes
 * unread, the client's kernel would get a reset and the client would see EPIPE or ECONNRESET
 * instead of the answer. So the answer goes out at once on a connection kept open (even when the
 * client sent `Connection: close`), and the rest of the body is read and dropped; then the
 * connection serves the next request, or is closed gracefully if the client asked for that. Past
 * DRAIN_MAX_BYTES or DRAIN_MAX_MS the connection is cut. One per app, so that its shutdown
 * (`stop`) cuts only its own connections.
 */
export class BodyDrain {
  private readonly draining = new Set<IncomingMessage>();

  drain(req: IncomingMessage): void {
    if (req.complete || req.destroyed || this.draining.has(req)) return;
    this.draining.add(req);
    let seen = 0;
    const done = () => {
      clearTimeout(timer);
      this.draining.delete(req);
    };
    // The client asked for the connection to close after this request: now that its bytes are
    // read, close our side gracefully (node kept it open for the drain).
    const closeAsked = /(^|,)\s*close\s*(,|$)/i.test(String(req.headers.connection ?? '')) || req.httpVersion === '1.0';
    const cut = () => {
      done();
      req.socket?.destroy();
    };
    const timer = setTimeout(cut, DRAIN_MAX_MS);
    timer.unref();
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > DRAIN_MAX_BYTES) cut();
    });
    req.once('end', () => {
      done();
      if (closeAsked) req.socket?.end();
    });
    req.once('close', done);
    req.resume();
  }

  /** On shutdown: connections still draining an oversized body are not worth waiting for. */
  stop(): void {
    for (const req of [...this.draining]) req.socket?.destroy();
    this.draining.clear();
  }
}
