import { PayrailSignatureError } from './errors.js';
import { streamEvents } from './events.js';
import { request, type RequestOptions, type Transport } from './request.js';
import { privateKeyOf, publicKeyOf, type Body, type PrivateKeyInput, type PublicKeyInput } from './signing.js';
import type { ApiVersion } from './types/common.js';
import type * as Req from './types/requests.js';
import type * as Res from './types/responses.js';
import { signWebhook, verifyWebhook, type SignatureHeader } from './webhooks.js';

export interface PayrailOptions<V extends ApiVersion = 'v1'> {
  /** The server, e.g. http://127.0.0.1:8131 */
  url: string;
  /** The project's name (X-PARTNER-PROJECT). */
  project: string;
  /** The project's private key: PEM or a KeyObject. */
  privateKey: PrivateKeyInput;
  /** The server's public key, to verify webhooks (GET /api/v1/public-key; see fetchServerPublicKey()). */
  serverPublicKey?: PublicKeyInput;
  /** v1 (default) or v2: paths, and the names of lists and payout destinations. */
  apiVersion?: V;
  /** Per attempt; default 30 000. */
  timeoutMs?: number;
  /** Retries after the first attempt, on network errors and 5xx only; default 2. */
  maxRetries?: number;
  /** First retry waits about this long (jittered, doubling); default 500. */
  retryBaseDelayMs?: number;
  /** No retry waits longer; default 8 000. */
  retryMaxDelayMs?: number;
  /** For a project with the replay guard (signature_max_age_seconds): send and sign X-PARTNER-TIMESTAMP. */
  signTimestamp?: boolean;
}

const VERSION = '0.1.0';

/**
 * The client. One resource object per area of the API, one method per API method; each takes the
 * method's request body and optional RequestOptions (idempotencyKey, timeoutMs, maxRetries, signal)
 * and resolves to the server's whole `status: "ok"` answer. Methods the server has only under v1
 * (token, token/info, recurrent/*, subscription/*, wallet/balance, sberpay/push) always call
 * /api/v1, whatever apiVersion says: their bodies and answers do not depend on it.
 */
export class Payrail<V extends ApiVersion = 'v1'> {
  /** Sign and verify webhooks without a client (partners' own tests). */
  static readonly webhooks = { sign: signWebhook, verify: verifyWebhook } as const;

  readonly apiVersion: V;
  readonly #transport: Transport;
  #serverKey: PublicKeyInput | undefined;

  constructor(options: PayrailOptions<V>) {
    if (!options.url) throw new TypeError('Payrail: url is required');
    if (!options.project) throw new TypeError('Payrail: project is required');
    this.apiVersion = options.apiVersion ?? ('v1' as V);
    if (this.apiVersion !== 'v1' && this.apiVersion !== 'v2') throw new TypeError(`Payrail: apiVersion must be v1 or v2, not ${String(this.apiVersion)}`);
    this.#transport = {
      url: options.url,
      project: options.project,
      privateKey: privateKeyOf(options.privateKey),
      timeoutMs: options.timeoutMs ?? 30_000,
      maxRetries: options.maxRetries ?? 2,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 500,
      retryMaxDelayMs: options.retryMaxDelayMs ?? 8_000,
      signTimestamp: options.signTimestamp ?? false,
      userAgent: `payrail-sdk/${VERSION} node/${process.versions.node}`,
    };
    this.#serverKey = options.serverPublicKey && publicKeyOf(options.serverPublicKey);
  }

  #call<T>(path: string, body: unknown, opts: RequestOptions | undefined, how: { read?: boolean; v1Only?: boolean } = {}): Promise<T> {
    return request<T>(this.#transport, { path, version: how.v1Only ? 'v1' : this.apiVersion, mutating: !how.read }, body, opts);
  }

  readonly session = {
    create: (body?: Req.CreateSessionRequest<V>, opts?: RequestOptions) => this.#call<Res.SessionResponse<V>>('session/create', body ?? {}, opts),
    status: (body: Req.StatusRequest, opts?: RequestOptions) => this.#call<Res.SessionResponse<V>>('session/status', body, opts, { read: true }),
    initPayment: (body: Req.InitPaymentRequest, opts?: RequestOptions) => this.#call<Res.SessionResponse<V>>('session/init/payment', body, opts),
    startPayment: (body: Req.StartPaymentRequest, opts?: RequestOptions) => this.#call<Res.SessionResponse<V>>('session/start/payment', body, opts),
    initPayout: (body: Req.InitPayoutRequest<V>, opts?: RequestOptions) => this.#call<Res.SessionResponse<V>>('session/init/payout', body, opts),
    startPayout: (body: Req.StartPayoutRequest<V>, opts?: RequestOptions) => this.#call<Res.SessionResponse<V>>('session/start/payout', body, opts),
    initPayoutWithFiscalization: (body: Req.InitPayoutFiscalizationRequest<V>, opts?: RequestOptions) =>
      this.#call<Res.SessionResponse<V>>('session/init/payout/fiscalization', body, opts),
    startPayoutWithFiscalization: (body: Req.StartPayoutFiscalizationRequest<V>, opts?: RequestOptions) =>
      this.#call<Res.SessionResponse<V>>('session/start/payout/fiscalization', body, opts),
    /** session/multi/init: payments and payouts in one new session, all or nothing. */
    initMulti: (body: Req.MultiInitRequest<V>, opts?: RequestOptions) => this.#call<Res.SessionResponse<V>>('session/multi/init', body, opts),
    /** The same as initMulti, under the Bank 131 SDK's path session/init/session. */
    initSession: (body: Req.MultiInitRequest<V>, opts?: RequestOptions) => this.#call<Res.SessionResponse<V>>('session/init/session', body, opts),
    confirm: (body: Req.ConfirmRequest, opts?: RequestOptions) => this.#call<Res.SessionResponse<V>>('session/confirm', body, opts),
    cancel: (body: Req.CancelRequest, opts?: RequestOptions) => this.#call<Res.SessionResponse<V>>('session/cancel', body, opts),
    capture: (body: Req.CaptureRequest, opts?: RequestOptions) => this.#call<Res.SessionResponse<V>>('session/capture', body, opts),
    refund: (body: Req.RefundRequest, opts?: RequestOptions) => this.#call<Res.SessionResponse<V>>('session/refund', body, opts),
    /** Sandbox: the issuer charges back what is left of the succeeded payment. */
    chargeback: (body: Req.ChargebackRequest, opts?: RequestOptions) => this.#call<Res.SessionResponse<V>>('session/chargeback', body, opts),
  };

  readonly token = {
    /** token: one public token for widgets (tokenize, acquiring, FPS, self-employed). */
    create: (body: Req.PublicTokenRequest, opts?: RequestOptions) => this.#call<Res.PublicTokenResponse>('token', body, opts, { v1Only: true }),
    info: (body: Req.TokenInfoRequest, opts?: RequestOptions) => this.#call<Res.TokenInfoResponse>('token/info', body, opts, { read: true, v1Only: true }),
    /**
     * POST /cds/v1/tokenize/card, the call a payer's browser makes with a tokenize_widget public
     * token (X-PUBLIC-TOKEN, not signed); here for server-side flows and tests. Its answer is
     * `{data: {token, info}}`: pay with `encrypted_card: { number_hash: data.token }`.
     */
    tokenizeCard: (publicToken: string, body: Req.TokenizeCardRequest, opts?: RequestOptions) =>
      request<Res.TokenizeCardResponse>(this.#transport, { path: 'tokenize/card', version: 'v1', mutating: false, publicToken }, body, opts),
  };

  readonly recurrent = {
    status: (body: Req.RecurrentRequest, opts?: RequestOptions) => this.#call<Res.RecurrentResponse>('recurrent/status', body, opts, { read: true, v1Only: true }),
    disable: (body: Req.RecurrentRequest, opts?: RequestOptions) => this.#call<Res.RecurrentResponse>('recurrent/disable', body, opts, { v1Only: true }),
  };

  readonly subscription = {
    cancel: (body: Req.SubscriptionRequest, opts?: RequestOptions) => this.#call<Res.SubscriptionResponse>('subscription/cancel', body, opts, { v1Only: true }),
    restore: (body: Req.SubscriptionRequest, opts?: RequestOptions) => this.#call<Res.SubscriptionResponse>('subscription/restore', body, opts, { v1Only: true }),
  };

  readonly wallet = {
    balance: (body: Req.WalletBalanceRequest = { request_datetime: new Date().toISOString() }, opts?: RequestOptions) =>
      this.#call<Res.WalletBalanceResponse>('wallet/balance', body, opts, { read: true, v1Only: true }),
  };

  readonly fps = {
    customerVerification: (body: Req.FpsCustomerVerificationRequest<V>, opts?: RequestOptions) =>
      this.#call<Res.SessionResponse<V>>('fps/customer_verification', body, opts),
    banks: (opts?: RequestOptions) => this.#call<Res.FpsBanksResponse>('fps/banks', {}, opts, { read: true }),
  };

  readonly sberpay = {
    push: (body: Req.SberPayPushRequest, opts?: RequestOptions) => this.#call<Res.OkResponse>('sberpay/push', body, opts, { v1Only: true }),
  };

  /** payrail extensions: the project's request log and its webhook stream. */
  readonly requests = {
    list: (body: Req.RequestLogRequest = {}, opts?: RequestOptions) => this.#call<Res.RequestLogResponse>('payrail/requests', body, opts, { read: true }),
  };

  readonly events = {
    stream: (body: Req.EventStreamRequest = {}, opts: { signal?: AbortSignal } = {}) => streamEvents(this.#transport, this.apiVersion, body, opts.signal),
  };

  readonly webhooks = {
    /** The typed event of a webhook whose X-PARTNER-SIGN verifies with the server's key; throws otherwise. */
    verify: (rawBody: Body, signatureHeader: SignatureHeader): Res.WebhookEvent<V> => {
      if (!this.#serverKey) throw new PayrailSignatureError('no serverPublicKey: pass it to new Payrail() or call fetchServerPublicKey() first');
      return verifyWebhook<V>(rawBody, signatureHeader, this.#serverKey);
    },
    sign: signWebhook,
  };

  /** Reads the server's webhook key (GET /api/v1/public-key) and keeps it for webhooks.verify. */
  async fetchServerPublicKey(opts: { timeoutMs?: number } = {}): Promise<string> {
    const res = await fetch(`${this.#transport.url.replace(/\/+$/, '')}/api/v1/public-key`, { signal: AbortSignal.timeout(opts.timeoutMs ?? this.#transport.timeoutMs) });
    const pem = await res.text();
    if (!res.ok || !pem.includes('PUBLIC KEY')) throw new PayrailSignatureError(`GET /api/v1/public-key answered HTTP ${res.status}, not a public key`);
    this.#serverKey = publicKeyOf(pem);
    return pem;
  }
}
