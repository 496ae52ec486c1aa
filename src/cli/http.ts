import http from 'node:http';
import https from 'node:https';

/**
 * The CLI's HTTP client: node:http rather than fetch, because loading fetch (undici) costs about
 * 90 ms and 35 MB at start, more than the rest of `payrail call` together.
 */
export interface Answer {
  readonly status: number;
  readonly ok: boolean;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

/** A connection that could not be made: the CLI says "is it running?" and exits 2. */
export class UnreachableError extends Error {}

export function request(method: string, url: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const target = new URL(url);
  const lib = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(target, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        resolve({ status, ok: status >= 200 && status < 300, text: async () => text, json: async () => JSON.parse(text) as unknown });
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const unreachable = err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND' || err.code === 'EHOSTUNREACH' || err.code === 'EAI_AGAIN';
      reject(unreachable ? new UnreachableError(`could not reach the server at ${target.origin} (${err.code}); is it running? (npx payrail serve)`) : err);
    });
    req.end(body);
  });
}
