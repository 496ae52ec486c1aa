import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The dashboard's login session, stateless so any instance behind a load balancer accepts it:
 *
 *   cookie = "<expires, unix seconds>.<session id, 16 random bytes>.<HMAC-SHA256 of both>"
 *
 * The MAC key is derived (HKDF-SHA256) from the admin token with a secret every instance on the
 * database shares (the keyring's card_hash data key, unwrapped by the master key) as the salt. So
 * the cookie holds no part of the token, a cookie is worthless to an instance with another token,
 * and changing the admin token (or the master key's data keys) logs every dashboard user out.
 *
 * The CSRF token is bound to the session: HMAC(key, "csrf." + session id), a synchronizer token
 * nothing needs to store. Before login, the form is bound to a random nonce in its own short-lived
 * cookie the same way. Expiry runs on the real clock, never the sandbox's: moving the sandbox clock
 * a week ahead must not log the operator out.
 */
export interface DashboardSession {
  readonly id: string;
  readonly expiresAt: Date;
}

const b64 = (buf: Buffer) => buf.toString('base64url');

export class SessionSigner {
  private readonly key: Buffer;

  constructor(adminToken: string, sharedSecret: Buffer, readonly ttlSeconds: number) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(adminToken, 'utf8'), sharedSecret, 'payrail dashboard session v1', 32));
  }

  private mac(purpose: string, data: string): string {
    return b64(createHmac('sha256', this.key).update(`${purpose}.${data}`).digest());
  }

  private same(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
  }

  issue(nowMs: number = Date.now()): { cookie: string; session: DashboardSession } {
    const expires = Math.floor(nowMs / 1000) + this.ttlSeconds;
    const id = b64(randomBytes(16));
    const data = `${expires}.${id}`;
    return { cookie: `${data}.${this.mac('session', data)}`, session: { id, expiresAt: new Date(expires * 1000) } };
  }

  /** The session a cookie carries, if its MAC is right and it has not expired. */
  verify(cookie: string | undefined, nowMs: number = Date.now()): DashboardSession | undefined {
    if (!cookie) return undefined;
    const m = /^(\d{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(cookie);
    if (!m) return undefined;
    if (!this.same(m[3]!, this.mac('session', `${m[1]}.${m[2]}`))) return undefined;
    const expiresAt = new Date(Number(m[1]) * 1000);
    if (expiresAt.getTime() <= nowMs) return undefined;
    return { id: m[2]!, expiresAt };
  }

  csrfToken(sessionId: string): string {
    return this.mac('csrf', sessionId);
  }

  checkCsrf(sessionId: string, token: unknown): boolean {
    return typeof token === 'string' && this.same(token, this.csrfToken(sessionId));
  }

  /** A fresh nonce for the login form's cookie. */
  loginNonce(): string {
    return b64(randomBytes(16));
  }

  loginToken(nonce: string): string {
    return this.mac('login', nonce);
  }

  checkLogin(nonce: string | undefined, token: unknown): boolean {
    return nonce !== undefined && /^[A-Za-z0-9_-]{22}$/.test(nonce) && typeof token === 'string' && this.same(token, this.loginToken(nonce));
  }
}
