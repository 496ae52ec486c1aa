import type { JsonSchema } from './type-shapes.js';

/**
 * Each partner operation of the OpenAPI document (its operationId without the `v2` prefix and the
 * `Get` of a GET twin) and the SDK method that calls it. test/sdk.test.ts holds this table to
 * the document and to the client both ways, and compares each method's parameter and answer types
 * with the operation's request and 200 schemas.
 */
export const METHODS: Readonly<Record<string, string>> = {
  sessionCreate: 'session.create',
  sessionStatus: 'session.status',
  sessionInitPayment: 'session.initPayment',
  sessionStartPayment: 'session.startPayment',
  sessionInitPayout: 'session.initPayout',
  sessionStartPayout: 'session.startPayout',
  sessionInitPayoutFiscalization: 'session.initPayoutWithFiscalization',
  sessionStartPayoutFiscalization: 'session.startPayoutWithFiscalization',
  sessionMultiInit: 'session.initMulti',
  sessionInitSession: 'session.initSession',
  sessionConfirm: 'session.confirm',
  sessionCancel: 'session.cancel',
  sessionCapture: 'session.capture',
  sessionRefund: 'session.refund',
  sessionChargeback: 'session.chargeback',
  token: 'token.create',
  tokenInfo: 'token.info',
  tokenizeCard: 'token.tokenizeCard',
  recurrentStatus: 'recurrent.status',
  recurrentDisable: 'recurrent.disable',
  subscriptionCancel: 'subscription.cancel',
  subscriptionRestore: 'subscription.restore',
  walletBalance: 'wallet.balance',
  fpsCustomerVerification: 'fps.customerVerification',
  fpsBanks: 'fps.banks',
  sberpayPush: 'sberpay.push',
  payrailRequests: 'requests.list',
  payrailEvents: 'events.stream',
  publicKey: 'fetchServerPublicKey',
};

export interface OpenApiOperation {
  readonly operationId: string;
  readonly requestBody?: { content: Record<string, { schema: JsonSchema }> };
  readonly responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>;
}
export interface OpenApiDocument {
  readonly paths: Record<string, Record<string, OpenApiOperation>>;
  readonly components: { schemas: Record<string, JsonSchema> };
  readonly webhooks: Record<string, { post: { requestBody: { content: Record<string, { schema: JsonSchema }> } } }>;
}
export interface PartnerOperation {
  readonly id: string;
  readonly version: 'v1' | 'v2';
  readonly method: string;
  readonly op: OpenApiOperation;
}

/** The document's partner operations (under /api/ and /cds/), each with its SDK method (`? (id)`: none). */
export function partnerOperations(doc: OpenApiDocument): PartnerOperation[] {
  return Object.entries(doc.paths)
    .filter(([p]) => p.startsWith('/api/') || p.startsWith('/cds/'))
    .flatMap(([p, ops]) =>
      Object.values(ops).map((op) => {
        const id = op.operationId.replace(/^v2(.)/, (_, c: string) => c.toLowerCase()).replace(/Get$/, '');
        return { id: op.operationId, version: p.startsWith('/api/v2/') ? ('v2' as const) : ('v1' as const), method: METHODS[id] ?? `? (${id})`, op };
      }),
    );
}

/** `session.create` → the type expression of its body parameter and of its answer, on Payrail<version>. */
export function methodTypes(o: PartnerOperation): { body?: string; answer: string } {
  const [resource, name] = o.method.split('.');
  const fn = `S.Payrail<'${o.version}'>['${resource}']['${name}']`;
  const bodyIndex = o.method === 'token.tokenizeCard' ? 1 : 0;
  return {
    ...(o.method === 'fps.banks' ? {} : { body: `NonNullable<Parameters<${fn}>[${bodyIndex}]>` }),
    answer: `Awaited<ReturnType<${fn}>>`,
  };
}

/**
 * The document's request schemas are shared by v1 and v2 and list both names of the payout
 * destination; each version's route reads only its own (edge/wire/payout.schema.ts). The SDK is
 * typed per version, so each version is compared with the schemas without the other's name.
 */
export function componentsFor(doc: OpenApiDocument, version: 'v1' | 'v2'): Record<string, JsonSchema> {
  const other = version === 'v1' ? 'payout_details' : 'payment_method';
  return Object.fromEntries(
    Object.entries(doc.components.schemas).map(([name, schema]) => {
      if (!name.endsWith('Request') || !schema.properties?.[other]) return [name, schema];
      const { [other]: _, ...properties } = schema.properties;
      return [name, { ...schema, properties, required: (schema.required ?? []).filter((r) => r !== other) }];
    }),
  );
}
