import http from 'node:http';
import net from 'node:net';
import { ERROR_STATUS } from '../../src/kernel/errors.js';

/**
 * The fuzz test's wire: one HTTP/1.1 request with exact bytes, path and headers (node:http, so that
 * `%2e%2e`, `%00` and broken escapes reach the server as written: WHATWG URL parsing in fetch would
 * normalise them), the checks every answer must pass, and the de-duplicated failure report.
 */

export interface WireRequest {
  readonly method: string;
  /** Path and query, sent as written. */
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer | undefined;
  /** Send the body with Transfer-Encoding: chunked instead of Content-Length. */
  readonly chunked?: boolean;
}

export interface WireAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly ms: number;
  /** Set when no answer came: the socket error, or a timeout. */
  readonly error?: string;
}

export function send(base: URL, agent: http.Agent, req: WireRequest, timeoutMs: number): Promise<WireAnswer> {
  const started = performance.now();
  return new Promise<WireAnswer>((resolve) => {
    let done = false;
    const finish = (a: Omit<WireAnswer, 'ms'>) => {
      if (done) return;
      done = true;
      resolve({ ...a, ms: Math.round(performance.now() - started) });
    };
    const headers: Record<string, string | string[]> = { ...req.headers };
    if (req.body && !req.chunked) headers['content-length'] = String(req.body.length);
    let r: http.ClientRequest;
    try {
      r = http.request({ host: base.hostname, port: base.port, method: req.method, path: req.path, headers, agent, timeout: timeoutMs });
    } catch (err) {
      // The client refused to put this on the wire (an invalid header character, say): not the server's fault.
      finish({ status: -1, headers: {}, body: Buffer.alloc(0), error: `client refused: ${(err as Error).message}` });
      return;
    }
    r.on('response', (res) => {
      // A stream (POST /api/v1/payrail/events) stays open by design: its status and headers are the answer.
      if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.alloc(0) });
        res.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (err) => finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), error: `response: ${err.message}` }));
    });
    r.on('timeout', () => {
      finish({ status: 0, headers: {}, body: Buffer.alloc(0), error: `no answer within ${timeoutMs} ms` });
      r.destroy();
    });
    r.on('error', (err) => finish({ status: 0, headers: {}, body: Buffer.alloc(0), error: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`.trim() }));
    if (req.body) {
      if (req.chunked) {
        // Two chunks, so a parser that only looks at the first one is exercised too.
        const mid = Math.floor(req.body.length / 2);
        r.write(req.body.subarray(0, mid));
        r.write(req.body.subarray(mid));
      } else r.write(req.body);
    }
    r.end();
  });
}

export type Problem =
  | 'no-answer'
  | 'status-5xx'
  | 'not-json'
  | 'not-envelope'
  | 'unknown-code'
  | 'status-mismatch'
  | 'empty-description'
  | 'content-type'
  | 'auth-order'
  | '2xx-invalid-json'
  | 'logged-error';

export interface Check {
  readonly problems: Problem[];
  readonly code: string | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * What an answer must be: never 5xx; a refusal is exactly `{"status":"error","error":{"code",
 * "description"}}`, as JSON, with a code of ERROR_STATUS and the HTTP status ERROR_STATUS gives it.
 * `authRefusal`: the request's credentials were wrong, so the answer must be one of these codes
 * (nothing about the body may be judged before authentication, docs/errors.md "Order of checks").
 */
export function checkAnswer(a: WireAnswer, authRefusal?: readonly string[]): Check {
  const problems: Problem[] = [];
  if (a.error && a.status <= 0) return { problems: ['no-answer'], code: undefined };
  if (a.status >= 500) problems.push('status-5xx');
  const type = String(a.headers['content-type'] ?? '');
  let code: string | undefined;
  if (a.status >= 200 && a.status < 300) {
    if (type.includes('json')) {
      try {
        JSON.parse(a.body.toString('utf8'));
      } catch {
        problems.push('2xx-invalid-json');
      }
    }
    if (authRefusal) problems.push('auth-order');
    return { problems, code };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(a.body.toString('utf8'));
  } catch {
    problems.push('not-json');
    return { problems, code };
  }
  if (!type.includes('application/json')) problems.push('content-type');
  const err = isObject(parsed) ? parsed['error'] : undefined;
  const envelope =
    isObject(parsed) &&
    Object.keys(parsed).sort().join() === 'error,status' &&
    parsed['status'] === 'error' &&
    isObject(err) &&
    Object.keys(err).sort().join() === 'code,description' &&
    typeof err['code'] === 'string' &&
    typeof err['description'] === 'string';
  if (!envelope) {
    problems.push('not-envelope');
    if (isObject(err) && typeof err['code'] === 'string') code = err['code'];
    return { problems, code };
  }
  code = err['code'] as string;
  const description = err['description'] as string;
  if (!Object.hasOwn(ERROR_STATUS, code)) problems.push('unknown-code');
  else if (ERROR_STATUS[code as keyof typeof ERROR_STATUS] !== a.status) problems.push('status-mismatch');
  if (description.trim() === '') problems.push('empty-description');
  if (authRefusal && !authRefusal.includes(code)) problems.push('auth-order');
  return { problems, code };
}

/** One pino line of the server's log, as far as the report needs it. */
export interface LogLine {
  readonly level: number;
  readonly reqId?: string;
  readonly msg?: string;
  readonly err?: { type?: string; message?: string; stack?: string; code?: string };
}

export function parseLog(line: string): LogLine | undefined {
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return undefined;
  }
}

/** `msg: Type: message` + the first project frames of the stack, for the report. */
export function describeLog(l: LogLine): string {
  const frames = (l.err?.stack ?? '')
    .split('\n')
    .slice(1)
    .filter((f) => !f.includes('node_modules') && !f.includes('node:internal'))
    .map((f) => f.trim().replace(/\(?file:\/\/\/?[^)]*?\/(src|test)\//, '($1/'))
    .filter((f, i, all) => all.indexOf(f) === i)
    .slice(0, 4);
  const head = `${l.msg ?? ''}${l.err ? `: ${l.err.type ?? 'Error'}${l.err.code ? ` [${l.err.code}]` : ''}: ${(l.err.message ?? '').slice(0, 300)}` : ''}`;
  return [head, ...frames.map((f) => `    ${f}`)].join('\n');
}

/** Digits, ids and hex runs replaced, so the same failure with other ids groups together. */
export const normalise = (s: string) =>
  s
    .replace(/req_[0-9a-f-]{36}/g, 'req_…')
    .replace(/\b[a-z]{2,4}_\d{6,}\b/g, 'id_…')
    .replace(/\d+/g, 'N')
    .slice(0, 240);

export const truncate = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n)}… (${s.length} chars)`);

/** Shows control characters and lone surrogates in a body excerpt instead of printing them. */
export const visible = (b: Buffer, n = 400) =>
  truncate(
    b
      .toString('utf8')
      // eslint-disable-next-line no-control-regex -- showing control characters is the point
      .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    n,
  );

/**
 * Bytes straight onto a socket, for requests node:http would not write (an unknown method, a 20 KiB
 * request line, bare LFs, Content-Length with Transfer-Encoding…). Reads until the server closes or
 * `timeoutMs` passes, and parses the first answer (`closed` when the server just hung up).
 */
export function sendRaw(base: URL, bytes: Buffer, timeoutMs: number): Promise<WireAnswer & { closed: boolean }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: base.hostname, port: Number(base.port) });
    let done = false;
    const finish = (why: string | undefined) => {
      if (done) return;
      done = true;
      socket.destroy();
      let all = Buffer.concat(chunks);
      // Interim answers (100 Continue) come before the one that counts.
      while (/^HTTP\/\d\.\d 1\d\d /.test(all.subarray(0, 16).toString('latin1')) && all.indexOf('\r\n\r\n') >= 0) all = all.subarray(all.indexOf('\r\n\r\n') + 4);
      const ms = Math.round(performance.now() - started);
      const end = all.indexOf('\r\n\r\n');
      if (all.length === 0 || end < 0) {
        resolve({ status: 0, headers: {}, body: all, ms, closed: true, ...(why ? { error: why } : { error: 'connection closed without an answer' }) });
        return;
      }
      const [statusLine = '', ...headerLines] = all.subarray(0, end).toString('latin1').split('\r\n');
      const headers: http.IncomingHttpHeaders = {};
      for (const line of headerLines) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      let body = all.subarray(end + 4);
      const length = Number(headers['content-length']);
      if (Number.isInteger(length)) body = body.subarray(0, length);
      else if (String(headers['transfer-encoding'] ?? '').includes('chunked')) {
        const parts: Buffer[] = [];
        let at = 0;
        for (;;) {
          const eol = body.indexOf('\r\n', at);
          if (eol < 0) break;
          const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
          if (!(size > 0)) break;
          parts.push(body.subarray(eol + 2, eol + 2 + size));
          at = eol + 2 + size + 2;
        }
        body = Buffer.concat(parts);
      }
      resolve({ status: Number(/^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body, ms, closed: false });
    };
    socket.setTimeout(timeoutMs, () => finish(chunks.length > 0 ? undefined : `no answer within ${timeoutMs} ms`));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // One answer is enough: stop once its body is complete.
      let all = Buffer.concat(chunks);
      while (/^HTTP\/\d\.\d 1\d\d /.test(all.subarray(0, 16).toString('latin1')) && all.indexOf('\r\n\r\n') >= 0) all = all.subarray(all.indexOf('\r\n\r\n') + 4);
      const end = all.indexOf('\r\n\r\n');
      const m = end < 0 ? null : /content-length:\s*(\d+)/i.exec(all.subarray(0, end).toString('latin1'));
      if (m && all.length >= end + 4 + Number(m[1])) finish(undefined);
    });
    socket.on('end', () => finish(undefined));
    socket.on('error', (err) => finish(chunks.length > 0 ? undefined : `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`.trim()));
    // Half-close after the request: a server waiting for more body sees its end instead of a slow client.
    socket.on('connect', () => socket.end(bytes));
  });
}
