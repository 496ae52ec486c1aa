import { createHash, timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../kernel/errors.js';
import { toApiError } from '../http/errors.js';
import { adminCaller } from './admin-call.js';
import type { DashboardDeps, PageDeps } from './deps.js';
import { html } from './template.js';
import { csrfField, sendBarePage } from './layout.js';
import { LoginThrottle } from './login-throttle.js';
import { SessionSigner, type DashboardSession } from './session-cookie.js';
import { overviewPage } from './overview.page.js';
import { sessionsPage } from './sessions.page.js';
import { sessionPage } from './session.page.js';
import { projectsPages } from './projects.page.js';
import { ledgerPage } from './ledger.page.js';
import { requestsPage } from './requests.page.js';
import { sandboxPage } from './sandbox.page.js';

export type { DashboardDeps } from './deps.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The dashboard login this request carries (set by the dashboard's guard). */
    dashboardSession: DashboardSession | undefined;
  }
}

export const SESSION_COOKIE = 'payrail_dashboard';
export const LOGIN_COOKIE = 'payrail_dashboard_login';
export const DEFAULT_SESSION_TTL_SECONDS = 8 * 3600;
const COOKIE_PATH = '/dashboard';

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim();

/** Secure when the browser reached us over https, directly or through a TLS-terminating proxy. */
const overHttps = (req: FastifyRequest) => req.protocol === 'https' || first(req.headers['x-forwarded-proto'])?.toLowerCase() === 'https';

/**
 * A state-changing request must come from the dashboard's own pages: a browser names the page's
 * origin in Origin (and Sec-Fetch-Site), and a page elsewhere cannot forge either. Compared by host,
 * so that a proxy terminating TLS (http inside, https outside) still matches.
 */
function crossSite(req: FastifyRequest): string | undefined {
  const fetchSite = first(req.headers['sec-fetch-site']);
  if (fetchSite === 'cross-site') return 'the request came from another site';
  // Set by the browser itself and never by a page: the dashboard's own form (whatever Origin says).
  if (fetchSite === 'same-origin') return undefined;
  const origin = first(req.headers.origin);
  if (origin === undefined) return undefined;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return 'the request came from an opaque origin';
  }
  // A default port is implied in Origin (URL drops it) and may be spelled out in Host.
  const ours = [first(req.headers.host), first(req.headers['x-forwarded-host'])].filter((h): h is string => !!h).map((h) => h.toLowerCase().replace(/:(80|443)$/, ''));
  return ours.includes(host) ? undefined : `the request came from ${origin}, not this dashboard`;
}

/** /dashboard: the operator's pages (docs/dashboard.md), behind a login with the admin token. */
export async function dashboardRoutes(root: FastifyInstance, deps: DashboardDeps): Promise<void> {
  const signer = new SessionSigner(deps.adminToken, deps.keyring.key('card_hash'), deps.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS);
  const throttle = deps.throttle ?? new LoginThrottle();
  const expected = createHash('sha256').update(deps.adminToken).digest();
  const tokenIsRight = (given: string) => timingSafeEqual(createHash('sha256').update(given).digest(), expected);
  const cookieOptions = (req: FastifyRequest, maxAge: number) => ({ path: COOKIE_PATH, httpOnly: true, sameSite: 'strict' as const, secure: overHttps(req), maxAge });

  await root.register(
    async (app) => {
      await app.register(cookie);
      // Repeated fields keep their first value: no form of the dashboard sends a list.
      await app.register(formbody, { parser: (body) => Object.fromEntries(new URLSearchParams(body)) });
      app.decorateRequest('dashboardSession', undefined);

      // Refusals are pages here, with the error list's code and HTTP status.
      app.setErrorHandler((err, req, reply) => {
        const e = toApiError(err, req);
        if (e.code === 'rate_limited') reply.header('retry-after', String(Math.ceil(throttle.lockedFor(req.ip) / 1000) || 1));
        const back = req.dashboardSession ? html`<a href="/dashboard">Back to the dashboard</a>` : html`<a href="/dashboard/login">Log in</a>`;
        return sendBarePage(reply, 'Refused', html`<p class="msg error" role="alert" data-testid="message"><code>${e.code}</code>: ${e.message}</p><p>${back}</p>`, e.httpStatus);
      });
      app.setNotFoundHandler((req, reply) => sendBarePage(reply, 'Not found', html`<p class="msg error" role="alert"><code>not_found</code>: no such dashboard page: ${req.url.split('?')[0]}</p><p><a href="/dashboard">Back to the dashboard</a></p>`, 404));

      app.addHook('onRequest', async (req, reply) => {
        const path = req.url.split('?')[0];
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          const why = crossSite(req);
          if (why) throw new ApiError('authorization_error', `refused: ${why}`);
        }
        req.dashboardSession = signer.verify(req.cookies[SESSION_COOKIE]);
        if (path === '/dashboard/login' || req.dashboardSession) return;
        if (req.method === 'GET' || req.method === 'HEAD') return reply.redirect('/dashboard/login', 303);
        throw new ApiError('authentication_error', 'you are not logged in to the dashboard (or your login expired); log in again');
      });
      // After the body is parsed: every state-changing request carries its session's CSRF token.
      app.addHook('preHandler', async (req) => {
        if (req.method === 'GET' || req.method === 'HEAD' || !req.dashboardSession) return;
        const token = (req.body as Record<string, unknown> | undefined)?.['_csrf'];
        if (!signer.checkCsrf(req.dashboardSession.id, token)) {
          throw new ApiError('authorization_error', 'refused: the form did not carry this session’s CSRF token; reload the page and try again');
        }
      });

      const loginForm = (reply: FastifyReply, req: FastifyRequest, status: number, message?: string) => {
        const nonce = req.cookies[LOGIN_COOKIE] && /^[A-Za-z0-9_-]{22}$/.test(req.cookies[LOGIN_COOKIE]!) ? req.cookies[LOGIN_COOKIE]! : signer.loginNonce();
        reply.setCookie(LOGIN_COOKIE, nonce, cookieOptions(req, 600));
        return sendBarePage(
          reply,
          'Log in',
          html`${message ? html`<p class="msg ${status < 400 ? 'ok' : 'error'}" role="${status < 400 ? 'status' : 'alert'}" data-testid="message">${message}</p>` : ''}
<form method="post" action="/dashboard/login" class="stack">${csrfField(signer.loginToken(nonce))}
<label>Admin token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit" class="primary">Log in</button></form>
<p class="note">The admin token is in <code>&lt;data dir&gt;/admin-token</code> or <code>PAYRAIL_ADMIN_TOKEN</code>.</p>`,
          status,
        );
      };

      app.get<{ Querystring: { out?: string } }>('/login', async (req, reply) => {
        if (req.dashboardSession) return reply.redirect('/dashboard', 303);
        return loginForm(reply, req, 200, req.query.out === '1' ? 'You are logged out.' : undefined);
      });

      app.post<{ Body: Record<string, string> | undefined }>('/login', async (req, reply) => {
        const lockedMs = throttle.lockedFor(req.ip);
        if (lockedMs > 0) throw new ApiError('rate_limited', `too many wrong tokens from your address; try again in ${Math.ceil(lockedMs / 1000)} s`);
        if (!signer.checkLogin(req.cookies[LOGIN_COOKIE], req.body?.['_csrf'])) {
          throw new ApiError('authorization_error', 'refused: the login form expired or did not come from this dashboard; reload it and try again');
        }
        const given = req.body?.['token'];
        if (typeof given !== 'string' || given.length === 0 || given.length > 1024 || !tokenIsRight(given.trim())) {
          await throttle.failed(req.ip);
          return loginForm(reply, req, 401, 'That admin token is not right.');
        }
        throttle.succeeded(req.ip);
        const { cookie: value } = signer.issue();
        reply.clearCookie(LOGIN_COOKIE, { path: COOKIE_PATH });
        reply.setCookie(SESSION_COOKIE, value, cookieOptions(req, signer.ttlSeconds));
        return reply.redirect('/dashboard', 303);
      });

      app.post('/logout', async (req, reply) => {
        reply.clearCookie(SESSION_COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: 'strict', secure: overHttps(req) });
        return reply.redirect('/dashboard/login?out=1', 303);
      });

      const page: PageDeps = {
        ...deps,
        admin: adminCaller(root, deps.adminToken),
        ctx: (req) => ({ csrf: signer.csrfToken(req.dashboardSession!.id) }),
      };
      overviewPage(app, page);
      sessionsPage(app, page);
      sessionPage(app, page);
      projectsPages(app, page);
      ledgerPage(app, page);
      requestsPage(app, page);
      sandboxPage(app, page);
    },
    { prefix: '/dashboard' },
  );
}
