import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { newKeyPair, startHarness, type Harness } from './helpers/harness.js';
import { SessionSigner } from '../src/edge/dashboard/session-cookie.js';
import { countTextHits, sessionSearchQuery, type SessionSearch } from '../src/domain/sessions/session-search.js';
import { ledgerEntriesFor } from '../src/domain/ledger/ledger-lookup.js';
import { webhookStats } from '../src/platform/webhooks/webhook-stats.js';
import { operationCountsSince } from '../src/domain/sessions/session-search.js';
import { money } from '../src/edge/dashboard/format.js';
import { ConfigError, loadConfig } from '../src/platform/config/config.js';

/**
 * The dashboard over inject(): login, the session cookie, CSRF and the forged requests it refuses,
 * the pages' escaping and policy, the session search's filters and pages, and that an index serves
 * every filter (EXPLAIN with sequential scans off).
 */
let h: Harness;

interface Res {
  statusCode: number;
  body: string;
  headers: Record<string, unknown>;
  cookies: { name: string; value: string; httpOnly?: boolean; sameSite?: string; secure?: boolean; path?: string; maxAge?: number; expires?: Date }[];
}

async function req(method: 'GET' | 'POST', url: string, o: { cookie?: string; form?: Record<string, string>; headers?: Record<string, string>; remoteAddress?: string } = {}): Promise<Res> {
  const res = await h.runtime.app.inject({
    method,
    url,
    ...(o.remoteAddress ? { remoteAddress: o.remoteAddress } : {}),
    headers: { ...(o.cookie ? { cookie: o.cookie } : {}), ...(o.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...o.headers },
    ...(o.form ? { payload: new URLSearchParams(o.form).toString() } : {}),
  });
  return { statusCode: res.statusCode, body: res.body, headers: res.headers, cookies: res.cookies as Res['cookies'] };
}

const csrfOf = (body: string): string => {
  const m = /name="_csrf" value="([^"]+)"/.exec(body);
  assert.ok(m, 'the page has a CSRF field');
  return m[1]!;
};

/** The login form's cookie and token. */
async function loginForm(remoteAddress?: string): Promise<{ cookie: string; csrf: string }> {
  const page = await req('GET', '/dashboard/login', { ...(remoteAddress ? { remoteAddress } : {}) });
  assert.equal(page.statusCode, 200);
  const c = page.cookies.find((x) => x.name === 'payrail_dashboard_login');
  assert.ok(c);
  return { cookie: `payrail_dashboard_login=${c.value}`, csrf: csrfOf(page.body) };
}

async function login(): Promise<{ cookie: string; csrf: string }> {
  const form = await loginForm();
  const res = await req('POST', '/dashboard/login', { cookie: form.cookie, form: { _csrf: form.csrf, token: h.runtime.adminToken } });
  assert.equal(res.statusCode, 303, res.body);
  const c = res.cookies.find((x) => x.name === 'payrail_dashboard')!;
  const cookie = `payrail_dashboard=${c.value}`;
  const home = await req('GET', '/dashboard', { cookie });
  assert.equal(home.statusCode, 200);
  return { cookie, csrf: csrfOf(home.body) };
}

describe('dashboard (inject)', () => {
  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.close());

  test('PAYRAIL_DASHBOARD_SESSION_TTL: whole seconds from 60 to 7 days, 8 hours by default', () => {
    assert.equal(loadConfig({}).dashboardSessionTtlSeconds, 28_800);
    assert.equal(loadConfig({ PAYRAIL_DASHBOARD_SESSION_TTL: '3600' }).dashboardSessionTtlSeconds, 3600);
    for (const bad of ['59', '604801', '1h', '-5', '1.5']) {
      assert.throws(() => loadConfig({ PAYRAIL_DASHBOARD_SESSION_TTL: bad }), (err: unknown) => err instanceof ConfigError && /PAYRAIL_DASHBOARD_SESSION_TTL must be/.test(err.message));
    }
  });

  test('without a login every page sends to the login form, and an action is refused', async () => {
    for (const path of ['/dashboard', '/dashboard/sessions', '/dashboard/sessions/ps_x', '/dashboard/projects/demo', '/dashboard/ledger', '/dashboard/requests', '/dashboard/sandbox']) {
      const res = await req('GET', path);
      assert.equal(res.statusCode, 303, path);
      assert.equal(res.headers['location'], '/dashboard/login');
    }
    const post = await req('POST', '/dashboard/sandbox/clock', { form: { amount: '1', unit: 'hours' } });
    assert.equal(post.statusCode, 401);
    assert.match(post.body, /authentication_error/);
    assert.equal(h.clock.offsetMs, 0);
  });

  test('the login page: strict policy, a form-bound cookie, no script', async () => {
    const page = await req('GET', '/dashboard/login');
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /script-src/);
    assert.match(csp, /form-action 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.doesNotMatch(page.body, /<script/);
    const c = page.cookies.find((x) => x.name === 'payrail_dashboard_login')!;
    assert.equal(c.httpOnly, true);
    assert.equal(c.sameSite, 'Strict');
    assert.equal(c.path, '/dashboard');
    assert.notEqual(c.secure, true);
  });

  test('a wrong token is a clear 401 page and sets no session', async () => {
    const form = await loginForm();
    const started = Date.now();
    const res = await req('POST', '/dashboard/login', { cookie: form.cookie, form: { _csrf: form.csrf, token: 'not-the-admin-token' } });
    assert.equal(res.statusCode, 401, res.body);
    assert.match(res.body, /That admin token is not right\./);
    assert.ok(Date.now() - started >= 250, 'a wrong token is answered after a pause');
    assert.equal(res.cookies.find((x) => x.name === 'payrail_dashboard'), undefined);
    const empty = await req('POST', '/dashboard/login', { cookie: form.cookie, form: { _csrf: form.csrf } });
    assert.equal(empty.statusCode, 401, empty.body);
  });

  test('a login without the form (no cookie, or a token of another form) is refused', async () => {
    const form = await loginForm();
    const bare = await req('POST', '/dashboard/login', { form: { _csrf: form.csrf, token: h.runtime.adminToken } });
    assert.equal(bare.statusCode, 403);
    assert.match(bare.body, /authorization_error/);
    const other = await loginForm();
    const mixed = await req('POST', '/dashboard/login', { cookie: form.cookie, form: { _csrf: other.csrf, token: h.runtime.adminToken } });
    assert.equal(mixed.statusCode, 403);
    const cross = await req('POST', '/dashboard/login', { cookie: form.cookie, form: { _csrf: form.csrf, token: h.runtime.adminToken }, headers: { origin: 'http://evil.example' } });
    assert.equal(cross.statusCode, 403);
  });

  test('the right token: an HttpOnly, SameSite=Strict session cookie without the token in it; Secure over https', async () => {
    const form = await loginForm();
    const res = await req('POST', '/dashboard/login', { cookie: form.cookie, form: { _csrf: form.csrf, token: h.runtime.adminToken } });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers['location'], '/dashboard');
    const c = res.cookies.find((x) => x.name === 'payrail_dashboard')!;
    assert.equal(c.httpOnly, true);
    assert.equal(c.sameSite, 'Strict');
    assert.equal(c.path, '/dashboard');
    assert.notEqual(c.secure, true);
    assert.equal(c.maxAge, 8 * 3600);
    assert.ok(!c.value.includes(h.runtime.adminToken) && !c.value.includes(Buffer.from(h.runtime.adminToken).toString('base64url')));
    assert.match(c.value, /^\d+\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);

    const tls = await req('POST', '/dashboard/login', { cookie: form.cookie, form: { _csrf: form.csrf, token: h.runtime.adminToken }, headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(tls.cookies.find((x) => x.name === 'payrail_dashboard')!.secure, true);
  });

  test('a tampered, expired or foreign cookie is no login', async () => {
    const { cookie } = await login();
    const value = cookie.split('=')[1]!;
    const flipped = value.slice(0, -1) + (value.endsWith('A') ? 'B' : 'A');
    const secret = h.runtime.domain.keyring.key('card_hash');
    const expired = new SessionSigner(h.runtime.adminToken, secret, 60).issue(Date.now() - 120_000).cookie;
    const foreign = new SessionSigner('another-admin-token-0123456789', secret, 3600).issue().cookie;
    const valid = new SessionSigner(h.runtime.adminToken, secret, 3600).issue().cookie;
    for (const bad of [flipped, expired, foreign, `${Number(value.split('.')[0]) + 1}.${value.split('.').slice(1).join('.')}`, 'garbage']) {
      const res = await req('GET', '/dashboard', { cookie: `payrail_dashboard=${bad}` });
      assert.equal(res.statusCode, 303, bad);
    }
    // Stateless: a cookie minted by any instance with the same token and database is a login.
    assert.equal((await req('GET', '/dashboard', { cookie: `payrail_dashboard=${valid}` })).statusCode, 200);
  });

  test('every action needs its session’s CSRF token and a same-site origin', async () => {
    const a = await login();
    const b = await login();
    assert.notEqual(a.csrf, b.csrf);
    const action = (o: { cookie?: string; csrf?: string; headers?: Record<string, string> }) =>
      req('POST', '/dashboard/sandbox/clock', { ...(o.cookie ? { cookie: o.cookie } : {}), form: { amount: '1', unit: 'hours', ...(o.csrf ? { _csrf: o.csrf } : {}) }, ...(o.headers ? { headers: o.headers } : {}) });
    const refusals = [
      [await action({ cookie: a.cookie }), 403],
      [await action({ cookie: a.cookie, csrf: 'x'.repeat(43) }), 403],
      [await action({ cookie: a.cookie, csrf: b.csrf }), 403],
      [await action({ cookie: a.cookie, csrf: a.csrf, headers: { origin: 'http://evil.example' } }), 403],
      [await action({ cookie: a.cookie, csrf: a.csrf, headers: { origin: 'null' } }), 403],
      [await action({ cookie: a.cookie, csrf: a.csrf, headers: { 'sec-fetch-site': 'cross-site' } }), 403],
      [await action({ csrf: a.csrf }), 401],
    ] as const;
    for (const [res, status] of refusals) {
      assert.equal(res.statusCode, status, res.body);
      assert.match(res.headers['content-type'] as string, /^text\/html/);
    }
    assert.equal(h.clock.offsetMs, 0, 'no refused action moved the clock');

    const ok = await action({ cookie: a.cookie, csrf: a.csrf, headers: { origin: 'http://localhost', host: 'localhost:80', 'sec-fetch-site': 'same-origin' } });
    assert.equal(ok.statusCode, 303, ok.body);
    assert.equal(ok.headers['location'], '/dashboard/sandbox?done=clock');
    assert.equal(Math.round(h.clock.offsetMs / 1000), 3600);
  });

  test('logout clears the cookie', async () => {
    const { cookie, csrf } = await login();
    const res = await req('POST', '/dashboard/logout', { cookie, form: { _csrf: csrf } });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers['location'], '/dashboard/login?out=1');
    const cleared = res.cookies.find((x) => x.name === 'payrail_dashboard')!;
    assert.equal(cleared.value, '');
    assert.ok(cleared.expires && cleared.expires.getTime() < Date.now());
    const page = await req('GET', '/dashboard/login?out=1');
    assert.match(page.body, /You are logged out\./);
    const forged = await req('POST', '/dashboard/logout', { cookie, form: {} });
    assert.equal(forged.statusCode, 403);
  });

  test('guessing is throttled per address: five wrong tokens lock it for a minute, right token or not', async () => {
    const address = '203.0.113.7';
    for (let i = 0; i < 5; i++) {
      const form = await loginForm(address);
      const res = await req('POST', '/dashboard/login', { cookie: form.cookie, form: { _csrf: form.csrf, token: `wrong-${i}` }, remoteAddress: address });
      assert.equal(res.statusCode, 401);
    }
    const form = await loginForm(address);
    const locked = await req('POST', '/dashboard/login', { cookie: form.cookie, form: { _csrf: form.csrf, token: h.runtime.adminToken }, remoteAddress: address });
    assert.equal(locked.statusCode, 429);
    assert.match(locked.body, /rate_limited/);
    assert.ok(Number(locked.headers['retry-after']) > 0 && Number(locked.headers['retry-after']) <= 60);
    await login(); // another address is not locked
  });

  test('hostile metadata is text on the list and the session page', async () => {
    const { cookie } = await login();
    const metadata = { note: '<script>alert(1)</script>', attr: '"><img src=x onerror=alert(2)>', order: 'hostile-777' };
    const created = await h.call('session/create', { amount_details: { amount: 500, currency: 'usd' }, metadata });
    assert.equal(created.statusCode, 200, created.body);
    const id: string = created.json().session.id;
    const list = await req('GET', '/dashboard/sessions?q=hostile-777', { cookie });
    const page = await req('GET', `/dashboard/sessions/${id}`, { cookie });
    for (const res of [list, page]) {
      assert.equal(res.statusCode, 200);
      assert.ok(res.body.includes(id));
      assert.doesNotMatch(res.body, /<script>alert|<img src=x/);
      assert.match(res.body, /&#60;script&#62;alert\(1\)&#60;&#47;script&#62;/);
      assert.match(res.body, /&#34;&#62;&#60;img src&#61;x onerror&#61;alert\(2\)&#62;/);
    }
  });

  test('the session search: filters, cursor pages, bad input named', async () => {
    const { cookie } = await login();
    const ids: string[] = [];
    for (let i = 0; i < 53; i++) {
      const res = await h.call('session/create', { amount_details: { amount: 100 + i, currency: 'eur' }, metadata: { batch: 'paging', n: i } });
      ids.push(res.json().session.id);
      h.clock.advance(1000);
    }
    const first = await req('GET', '/dashboard/sessions?q=paging&project=demo&status=created', { cookie });
    assert.equal(first.statusCode, 200);
    const shown = (body: string) => [...body.matchAll(/href="&#47;dashboard&#47;sessions&#47;([^"]+)"/g)].map((m) => m[1]!);
    const one = shown(first.body);
    assert.equal(one.length, 50);
    assert.deepEqual(one, ids.slice(-50).reverse());
    const next = /href="([^"]+)" data-testid="next-page"/.exec(first.body)![1]!.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c)));
    const second = await req('GET', next, { cookie });
    assert.deepEqual(shown(second.body), ids.slice(0, 3).reverse());
    assert.doesNotMatch(second.body, /data-testid="next-page"/);

    // Both ways of running a text search find the same sessions in the same order.
    const db = h.runtime.database.db;
    const byHits = (await sessionSearchQuery(db, { text: 'paging', limit: 60 }, 'hits').execute()).map((r) => r.id);
    const byOrder = (await sessionSearchQuery(db, { text: 'paging', limit: 60 }, 'ordered').execute()).map((r) => r.id);
    assert.deepEqual(byHits, ids.slice().reverse());
    assert.deepEqual(byOrder, byHits);
    assert.equal(await countTextHits(db, 'paging', 10), 11, 'the probe stops one past its cap');
    assert.equal(await countTextHits(db, 'paging'), 53);
    assert.deepEqual(shown((await req('GET', `/dashboard/sessions?q=${ids[7]}`, { cookie })).body), [ids[7]]);
    assert.match((await req('GET', '/dashboard/sessions?q=paging&kind=payment', { cookie })).body, /No session matches/);
    assert.match((await req('GET', '/dashboard/sessions?q=paging&status=accepted', { cookie })).body, /No session matches/);
    const today = h.clock.now().toISOString().slice(0, 10);
    assert.equal(shown((await req('GET', `/dashboard/sessions?q=paging&from=${today}&to=${today}`, { cookie })).body).length > 0, true);
    assert.match((await req('GET', '/dashboard/sessions?q=paging&from=2000-01-01&to=2000-01-02', { cookie })).body, /No session matches/);

    for (const [query, text] of [
      ['status=nope', /status: must be one of/],
      ['kind=nope', /kind: must be one of/],
      ['from=yesterday', /from: must be a date/],
      ['before=bm90LWEtY3Vyc29y', /before: not a cursor/],
      ['project=nobody', /project: &#34;nobody&#34; does not exist/],
    ] as const) {
      const res = await req('GET', `/dashboard/sessions?${query}`, { cookie });
      assert.ok(res.statusCode === 400 || res.statusCode === 404, query);
      assert.match(res.body, text);
    }
    assert.equal((await req('GET', '/dashboard/sessions/ps_nope', { cookie })).statusCode, 404);
  });

  test('an index serves every filter of the session search, and the overview and ledger lookups', async () => {
    const demo = (await h.runtime.database.db.selectFrom('projects').select('id').where('name', '=', 'demo').executeTakeFirstOrThrow()).id;
    const at = new Date();
    const before = { createdAt: at, id: 'ps_zzz' };
    const searches: Partial<SessionSearch>[] = [
      {},
      { before },
      { projectId: String(demo), before },
      { status: 'created', before },
      { projectId: String(demo), status: 'in_progress', before },
      { from: new Date(at.getTime() - 86_400_000), to: at, before },
      { kind: 'payment', before },
      { kind: 'payout' },
      { kind: 'refund' },
      { text: 'ps_abc' },
      { text: 'order 1234', projectId: String(demo), status: 'accepted', before },
    ];
    const plans: string[] = [];
    await h.runtime.database.db.transaction().execute(async (tx) => {
      await sql`SET LOCAL enable_seqscan = off`.execute(tx);
      const explain = async (what: string, q: { explain(): Promise<Record<string, unknown>[]> }) => {
        const plan = (await q.explain()).map((r) => String(Object.values(r)[0])).join('\n');
        plans.push(plan);
        assert.doesNotMatch(plan, /Seq Scan/, `${what}:\n${plan}`);
      };
      for (const f of searches) await explain(JSON.stringify(f), sessionSearchQuery(tx, { limit: 51, ...f }));
      // A common word is checked row by row along the other filters' index instead (still no table scan).
      for (const f of searches.filter((x) => x.text)) await explain(`ordered ${JSON.stringify(f)}`, sessionSearchQuery(tx, { limit: 51, ...f }, 'ordered'));
      // The shapes of the other pages' queries (overview, ledger, timeline).
      await explain('ledger', { explain: async () => (await sql`EXPLAIN SELECT * FROM ledger_entries WHERE reference IN ('pm_1', 'pm_2')`.execute(tx)).rows as Record<string, unknown>[] });
      await explain('payments 24h', { explain: async () => (await sql`EXPLAIN SELECT stage, count(*) FROM payments WHERE created_at >= now() - interval '1 day' GROUP BY stage`.execute(tx)).rows as Record<string, unknown>[] });
      await explain('payouts 24h', { explain: async () => (await sql`EXPLAIN SELECT stage, count(*) FROM payouts WHERE created_at >= now() - interval '1 day' GROUP BY stage`.execute(tx)).rows as Record<string, unknown>[] });
      await explain('attempts 24h', { explain: async () => (await sql`EXPLAIN SELECT count(*) FROM webhook_attempts WHERE attempted_at >= now() - interval '1 day'`.execute(tx)).rows as Record<string, unknown>[] });
      await explain('transitions', { explain: async () => (await sql`EXPLAIN SELECT * FROM operation_transitions WHERE session_id = 'ps_1' ORDER BY id`.execute(tx)).rows as Record<string, unknown>[] });
    });
    // The text search really goes through the GIN indexes (not a filter over another index's rows).
    assert.match(plans[9]!, /sessions_pkey|sessions_metadata_text/);
    assert.match(plans[10]!, /sessions_metadata_text/);
    assert.match(plans[10]!, /payments_metadata_text/);
    assert.match(plans[10]!, /payouts_metadata_text/);
    // And the functions behind them answer.
    assert.deepEqual(await ledgerEntriesFor(h.runtime.database.db, ['pm_none']), []);
    assert.equal((await webhookStats(h.runtime.database.db, new Date(0), new Date())).attempts >= 0, true);
    assert.ok(Array.isArray(await operationCountsSince(h.runtime.database.db, new Date(0))));
  });

  test('every page renders for a logged-in operator, with the strict policy', async () => {
    const { cookie } = await login();
    for (const path of ['/dashboard', '/dashboard/sessions', '/dashboard/projects', '/dashboard/projects/demo', '/dashboard/ledger', '/dashboard/requests', '/dashboard/requests?status=4xx', '/dashboard/sandbox']) {
      const res = await req('GET', path, { cookie });
      assert.equal(res.statusCode, 200, `${path}: ${res.body.slice(0, 300)}`);
      assert.match(String(res.headers['content-security-policy']), /^default-src 'none'; style-src 'sha256-[^']+'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.doesNotMatch(res.body, /<script|style="/);
    }
    assert.equal((await req('GET', '/dashboard/requests?status=3xx', { cookie })).statusCode, 400);
    assert.equal((await req('GET', '/dashboard/projects/nobody', { cookie })).statusCode, 404);
    assert.equal((await req('GET', '/dashboard/nothing-here', { cookie })).statusCode, 404);
  });

  test('actions go through the admin API: top-up, settings, keys (deleting the last one refused)', async () => {
    const { cookie, csrf } = await login();
    const rubWallet = async () => ((await h.admin('GET', '/projects/demo/wallet')).json().wallets as { amount_details: { amount: number; currency: string } }[]).find((w) => w.amount_details.currency === 'rub')?.amount_details.amount ?? 0;
    const was = await rubWallet();
    const topup = await req('POST', '/dashboard/ledger/topup', { cookie, form: { _csrf: csrf, project: 'demo', amount: '12345', currency: 'rub' } });
    assert.equal(topup.statusCode, 303, topup.body);
    assert.equal(await rubWallet(), was + 12345);
    const ledger = await req('GET', '/dashboard/ledger', { cookie });
    assert.ok(ledger.body.includes(money(was + 12345, 'rub')), 'the new balance is on the page');
    assert.equal((await req('POST', '/dashboard/ledger/topup', { cookie, form: { _csrf: csrf, project: 'demo', amount: '-5', currency: 'rub' } })).statusCode, 400);

    const settings = await req('POST', '/dashboard/projects/demo/settings', { cookie, form: { _csrf: csrf, settings: '{"auto_confirm": true}' } });
    assert.equal(settings.statusCode, 303, settings.body);
    assert.equal((await h.admin('GET', '/projects/demo')).json().project.settings.auto_confirm, true);
    const bad = await req('POST', '/dashboard/projects/demo/settings', { cookie, form: { _csrf: csrf, settings: '{"api_version": "v9"}' } });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /invalid_request/);
    assert.equal((await req('POST', '/dashboard/projects/demo/settings', { cookie, form: { _csrf: csrf, settings: 'nope' } })).statusCode, 400);

    // A key added through the dashboard, then deleted (the project keeps its first one).
    const added = await req('POST', '/dashboard/projects/demo/keys', { cookie, form: { _csrf: csrf, public_key: newKeyPair().publicPem } });
    assert.equal(added.statusCode, 303, added.body);
    const two = (await h.admin('GET', '/projects/demo')).json().project.keys as { id: string }[];
    assert.equal(two.length, 2);
    const gone = await req('POST', `/dashboard/projects/demo/keys/${two[1]!.id}/delete`, { cookie, form: { _csrf: csrf } });
    assert.equal(gone.statusCode, 303, gone.body);
    assert.equal(gone.headers['location'], '/dashboard/projects/demo?done=key_deleted');
    assert.equal((await req('POST', '/dashboard/projects/demo/keys', { cookie, form: { _csrf: csrf, public_key: 'not a key' } })).statusCode, 400);

    // A webhook triggered from the sandbox page: refused without a webhook_url, queued with one.
    const noUrl = await req('POST', '/dashboard/sandbox/trigger', { cookie, form: { _csrf: csrf, project: 'demo', type: 'payment_finished' } });
    assert.equal(noUrl.statusCode, 400);
    assert.match(noUrl.body, /has no webhook_url/);
    await h.admin('PATCH', '/projects/demo', { webhook_url: 'http://127.0.0.1:9/hooks' });
    const trig = await req('POST', '/dashboard/sandbox/trigger', { cookie, form: { _csrf: csrf, project: 'demo', type: 'payment_finished' } });
    assert.equal(trig.statusCode, 303, trig.body);
    const sessionPage = await req('GET', String(trig.headers['location']), { cookie });
    assert.match(sessionPage.body, /The webhook was queued/);
    assert.match(sessionPage.body, /<code>payment_finished<\/code>/);

    const keys = (await h.admin('GET', '/projects/demo')).json().project.keys as { id: string }[];
    assert.equal(keys.length, 1);
    const confirm = await req('GET', `/dashboard/projects/demo/keys/${keys[0]!.id}/delete`, { cookie });
    assert.match(confirm.body, /only key: add its replacement first/);
    const refused = await req('POST', `/dashboard/projects/demo/keys/${keys[0]!.id}/delete`, { cookie, form: { _csrf: csrf } });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /only active key/);
  });
});
