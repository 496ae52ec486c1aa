import { signedCall } from './call.js';
import { request } from './http.js';
import { adminRequest, baseUrl, UsageError } from './shared.js';

/**
 * What a `payrail trigger` flow drives: signed partner calls, the payer's hosted pages over plain
 * HTTP (as a browser would post the form), the sandbox clock, and the session's webhook list from
 * the admin API, which shows every webhook the moment it is queued (delivered or not).
 */
export class FlowError extends Error {}

export interface Webhook {
  readonly id: string;
  readonly type: string;
  readonly state: string;
  readonly body: unknown;
}

export interface RunnerOptions {
  readonly project: string;
  readonly key?: string | undefined;
  readonly url?: string | undefined;
  readonly timeoutMs: number;
  /** Called once per webhook, in the order they were queued. */
  readonly onWebhook: (w: Webhook) => void;
  readonly onStep: (text: string) => void;
}

/** Every value stored under `key` anywhere in `value`, depth first. */
export function findDeep(value: unknown, key: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(value)) for (const v of value) findDeep(v, key, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === key) out.push(v);
      findDeep(v, key, out);
    }
  }
  return out;
}

export class FlowRunner {
  sessionId: string | undefined;
  readonly seen: Webhook[] = [];
  #autoConfirm: boolean | undefined;

  constructor(readonly o: RunnerOptions) {}

  /** A signed call; the answer's JSON, or a FlowError naming the method and the server's error. */
  async api(method: string, body: unknown): Promise<Record<string, unknown>> {
    this.o.onStep(`POST /api/v1/${method}`);
    const res = await signedCall(method, JSON.stringify(body), { project: this.o.project, key: this.o.key, url: this.o.url, api: 'v1' });
    const answer = (await res.json()) as Record<string, unknown>;
    if (!res.ok || answer['status'] !== 'ok') throw new FlowError(`${method} answered ${res.status}: ${JSON.stringify(answer['error'] ?? answer)}`);
    const session = answer['session'] as { id?: string } | undefined;
    if (session?.id && !this.sessionId) this.sessionId = session.id;
    return answer;
  }

  async admin(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const res = await adminRequest(method, path, body, { url: this.o.url });
    const answer = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new FlowError(`${method} /admin${path} answered ${res.status}: ${JSON.stringify(answer['error'] ?? answer)}`);
    return answer;
  }

  /** With the project's auto_confirm on, no ready_to_confirm comes and no confirm is needed. */
  async autoConfirm(): Promise<boolean> {
    if (this.#autoConfirm === undefined) {
      const answer = await this.admin('GET', `/projects/${encodeURIComponent(this.o.project)}`);
      this.#autoConfirm = (answer['project'] as { settings?: { auto_confirm?: boolean } }).settings?.auto_confirm === true;
    }
    return this.#autoConfirm;
  }

  /** Polls the session's webhooks (reporting new ones) until one of `types` passes `accept`; that webhook. */
  async waitFor(types: readonly string[], accept: (w: Webhook) => boolean = () => true): Promise<Webhook> {
    if (!this.sessionId) throw new FlowError('no session yet');
    this.o.onStep(`waiting for ${types.join(' or ')}`);
    const deadline = Date.now() + this.o.timeoutMs;
    for (;;) {
      const list = (await this.admin('GET', `/sessions/${encodeURIComponent(this.sessionId)}/webhooks`))['webhooks'] as Webhook[];
      for (const w of list.slice(this.seen.length)) {
        this.seen.push(w);
        this.o.onWebhook(w);
      }
      const hit = this.seen.find((w) => types.includes(w.type) && accept(w) && !this.#used.has(w.id));
      if (hit) {
        this.#used.add(hit.id);
        return hit;
      }
      if (Date.now() > deadline) throw new FlowError(`no ${types.join(' or ')} webhook for ${this.sessionId} within ${this.o.timeoutMs / 1000} s (got: ${this.seen.map((w) => w.type).join(', ') || 'none'})`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  readonly #used = new Set<string>();

  /** ready_to_confirm → session/confirm, unless the project confirms by itself. Returns the webhook that ended the wait early, if any. */
  async confirmWhenReady(orFinal: readonly string[] = ['payment_finished']): Promise<Webhook | undefined> {
    if (await this.autoConfirm()) return undefined;
    const w = await this.waitFor(['ready_to_confirm', ...orFinal]);
    if (w.type !== 'ready_to_confirm') return w;
    await this.api('session/confirm', { session_id: this.sessionId });
    return undefined;
  }

  /** The payer answers a hosted page (3-D Secure, FPS bank app, provider page) by posting its form. */
  async answerPage(pageUrl: string, result: string): Promise<void> {
    const target = `${baseUrl(this.o.url)}${new URL(pageUrl).pathname}`;
    this.o.onStep(`GET ${new URL(target).pathname} (the payer opens the page)`);
    const page = await request('GET', target, {});
    const html = await page.text();
    if (!page.ok || !html.includes(`value="${result}"`)) throw new FlowError(`the page ${target} answered ${page.status} without a "${result}" button`);
    this.o.onStep(`POST ${new URL(target).pathname} result=${result} (the payer presses the button)`);
    // node:http follows no redirect: a 303 to the return_url is the page's normal answer.
    const res = await request('POST', target, { 'content-type': 'application/x-www-form-urlencoded' }, `result=${encodeURIComponent(result)}`);
    if (res.status >= 400) throw new FlowError(`posting the page answered ${res.status}: ${await res.text()}`);
  }

  async advanceClock(seconds: number): Promise<void> {
    this.o.onStep(`POST /admin/clock/advance ${seconds} s (the sandbox clock moves for everyone)`);
    await this.admin('POST', '/clock/advance', { seconds });
  }
}

/** The URL the payer is sent to in an action_required webhook (redirect or QR content). */
export function payerUrlOf(w: Webhook): string {
  const ci = findDeep(w.body, 'customer_interaction').find((v) => v && typeof v === 'object') as
    | { redirect?: { url?: string }; inform?: { qr?: { content?: string } } }
    | undefined;
  const url = ci?.redirect?.url ?? ci?.inform?.qr?.content;
  if (!url) throw new FlowError(`action_required carries no customer_interaction URL: ${JSON.stringify(w.body)}`);
  return url;
}

/** Whether the webhook shows a refund in a final state (accepted, declined, error). */
export function refundSettled(w: Webhook): boolean {
  return findDeep(w.body, 'refunds').some((list) => Array.isArray(list) && list.some((r: { status?: string }) => r.status === 'accepted' || r.status === 'declined' || r.status === 'error'));
}

/** `a.b.c=value`: value read as JSON when it parses (numbers, true, null, objects), else as a string. */
export function applyOverride(target: Record<string, unknown>, spec: string): void {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new UsageError(`--override must look like field.path=value, got "${spec}"`);
  const keys = spec.slice(0, eq).split('.');
  const raw = spec.slice(eq + 1);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  let node = target;
  for (const k of keys.slice(0, -1)) {
    const next = node[k];
    if (!next || typeof next !== 'object' || Array.isArray(next)) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

/** A fixture's JSON merged over the default body: objects merge key by key, anything else replaces. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!over || typeof over !== 'object' || Array.isArray(over) || !base || typeof base !== 'object' || Array.isArray(base)) return over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(out[k], v);
  return out;
}
