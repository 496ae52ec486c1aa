import fc from 'fast-check';

/**
 * The fuzz test's view of the server's own OpenAPI document (GET /openapi.json): the list of
 * operations it serves, and fast-check arbitraries that build request values which satisfy an
 * operation's request schema ("valid-ish": they pass the schema, not necessarily the business
 * rules), so that a single mutated field is judged past the schema's first error.
 *
 * Nothing here knows payrail's operations by name: a new route with a schema is covered as soon as
 * it is in the document. The few hints (which pools real ids come from, URLs kept on loopback) are
 * keyed by field name and are all in `SchemaHints`.
 */

export type Schema = Record<string, unknown>;
type Doc = { paths?: Record<string, Record<string, unknown>>; components?: { schemas?: Record<string, Schema> }; security?: Record<string, unknown>[] };

export type Auth = 'partner' | 'admin' | 'public';

export interface OperationParam {
  readonly name: string;
  /** Header parameters other than the credentials (X-PARTNER-SIGN/-PROJECT are the auth cases' business). */
  readonly in: 'path' | 'query' | 'header';
  readonly required: boolean;
  readonly schema: Schema;
}

export interface Operation {
  /** `POST /api/v1/session/create`, `GET /admin/projects/{name}`: how failures are reported. */
  readonly id: string;
  readonly method: string;
  /** The path as the document writes it, with `{param}` placeholders. */
  readonly template: string;
  /**
   * partner: declares the X-PARTNER-SIGN header (signed with the demo project's key); admin: under
   * /admin (bearer token); public: anything else (no credentials; an X-PUBLIC-TOKEN is offered).
   */
  readonly auth: Auth;
  readonly body: Schema | undefined;
  readonly params: readonly OperationParam[];
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const CREDENTIAL_HEADERS = new Set(['x-partner-sign', 'x-partner-project', 'authorization', 'x-public-token']);

export function operationsOf(doc: Doc): Operation[] {
  const ops: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths ?? {})) {
    for (const [m, raw] of Object.entries(item)) {
      if (!HTTP_METHODS.includes(m)) continue;
      const o = raw as { parameters?: { in: string; name: string; required?: boolean; schema?: Schema }[]; requestBody?: { content?: Record<string, { schema?: Schema }> } };
      const params = o.parameters ?? [];
      // The signature is the document's partnerSignature security scheme (src/edge/openapi/document.ts).
      const security = (raw as { security?: Record<string, unknown>[] }).security ?? doc.security ?? [];
      const signed = security.some((s) => 'partnerSignature' in s) || params.some((p) => p.in === 'header' && p.name.toLowerCase() === 'x-partner-sign');
      const auth: Auth = signed ? 'partner' : template.startsWith('/admin/') ? 'admin' : 'public';
      const content = o.requestBody?.content ?? {};
      const body = (content['application/json'] ?? Object.values(content)[0])?.schema;
      ops.push({
        id: `${m.toUpperCase()} ${template}`,
        method: m.toUpperCase(),
        template,
        auth,
        body,
        params: params
          .filter(
            (p): p is { in: 'path' | 'query' | 'header'; name: string; required?: boolean; schema?: Schema } =>
              p.in === 'path' || p.in === 'query' || (p.in === 'header' && !CREDENTIAL_HEADERS.has(p.name.toLowerCase())),
          )
          .map((p) => ({ name: p.name, in: p.in, required: p.required ?? p.in === 'path', schema: p.schema ?? { type: 'string' } })),
      });
    }
  }
  return ops;
}

/** Follows `$ref`s into components. */
export function deref(doc: Doc, s: unknown): Schema {
  let cur = (s ?? {}) as Schema;
  for (let i = 0; i < 32 && typeof cur['$ref'] === 'string'; i++) {
    const ref = cur['$ref'] as string;
    const name = ref.replace(/^#\/components\/schemas\//, '');
    cur = doc.components?.schemas?.[name] ?? {};
  }
  return cur;
}

function mergeSchemas(a: Schema, b: Schema): Schema {
  const props = { ...((a['properties'] as Schema | undefined) ?? {}), ...((b['properties'] as Schema | undefined) ?? {}) };
  const required = [...new Set([...((a['required'] as string[] | undefined) ?? []), ...((b['required'] as string[] | undefined) ?? [])])];
  return { ...a, ...b, properties: props, required };
}

/** The union branches of a schema (oneOf/anyOf), each merged with the schema's own keywords. */
export function branchesOf(doc: Doc, s: Schema): Schema[] | undefined {
  const list = (s['oneOf'] ?? s['anyOf']) as unknown[] | undefined;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const { oneOf: _o, anyOf: _a, discriminator: _d, ...rest } = s;
  return list.map((b) => mergeSchemas(rest, flatten(doc, b)));
}

/** deref + allOf merged into one schema. */
export function flatten(doc: Doc, s0: unknown): Schema {
  const s = deref(doc, s0);
  const all = s['allOf'] as unknown[] | undefined;
  if (!Array.isArray(all)) return s;
  const { allOf: _all, ...rest } = s;
  return all.reduce<Schema>((acc, part) => mergeSchemas(acc, flatten(doc, part)), rest);
}

/** The schema's JSON type (the first non-null one), guessed from its keywords when it names none. */
export function typeOf(s: Schema): string | undefined {
  const t = s['type'];
  if (Array.isArray(t)) return (t as string[]).find((x) => x !== 'null') ?? 'null';
  if (typeof t === 'string') return t;
  if (s['properties']) return 'object';
  if (s['items']) return 'array';
  return undefined;
}

/**
 * Real values the generator should prefer for some fields, by field name (`session_id` → the ids of
 * sessions the test made), plus a guard: every URL it builds points at loopback.
 */
export interface SchemaHints {
  readonly byName: Readonly<Record<string, fc.Arbitrary<unknown>>>;
  /** Known-good values for some fields, offered half the time instead of a generated one. */
  readonly examplesByName?: Readonly<Record<string, readonly unknown[]>>;
  /** Fields whose name matches this get loopback URLs (e.g. /url$/). */
  readonly urlField: RegExp;
  readonly loopbackUrl: fc.Arbitrary<string>;
}

const FORMATS: Record<string, () => fc.Arbitrary<string>> = {
  currency: () => fc.constantFrom('usd', 'eur', 'rub', 'USD', 'gbp'),
  'card-number': () => fc.constantFrom('4242424242424242', '5555555555554444', '4000000000003220', '4000000000000002', '2200000000000004'),
  'date-time': () =>
    fc.constantFrom('2026-01-01T00:00:00Z', '2026-11-21T12:00:00.000000Z', '2030-06-30T23:59:59+03:00', new Date(Date.now() - 86_400_000).toISOString(), new Date().toISOString()),
  date: () => fc.constantFrom('2026-01-01', '1990-05-17', '2030-12-31'),
  uri: () => fc.constantFrom('http://127.0.0.1:9/return', 'https://localhost:9/ok'),
};

const PLAIN = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.'.split(''));

function stringArb(s: Schema, name: string | undefined, hints: SchemaHints): fc.Arbitrary<string> {
  const minL = Number(s['minLength'] ?? 0);
  const maxL = Number(s['maxLength'] ?? 64);
  const examples = [...((s['examples'] as unknown[] | undefined) ?? []), ...(s['example'] !== undefined ? [s['example']] : [])].filter(
    (x): x is string => typeof x === 'string',
  );
  const format = typeof s['format'] === 'string' ? FORMATS[s['format']] : undefined;
  const pattern = typeof s['pattern'] === 'string' ? (s['pattern'] as string) : undefined;
  if (format) return examples.length > 0 ? fc.oneof(fc.constantFrom(...examples), format()) : format();
  if ((name && hints.urlField.test(name)) || (pattern && /t\]\[Tt\]\[Pp|http/i.test(pattern))) return hints.loopbackUrl;
  let base: fc.Arbitrary<string>;
  if (pattern) {
    base = fc.stringMatching(new RegExp(pattern), { size: 'xsmall' }).map((x) => (x.length > maxL ? x.slice(0, maxL) : x.length < minL ? x.padEnd(minL, '0') : x));
  } else {
    base = fc.string({ unit: PLAIN, minLength: minL, maxLength: Math.max(minL, Math.min(maxL, 24)) });
  }
  return examples.length > 0 ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...examples) }, { weight: 1, arbitrary: base }) : base;
}

function numberArb(s: Schema, integer: boolean): fc.Arbitrary<number> {
  const exMin = typeof s['exclusiveMinimum'] === 'number' ? (s['exclusiveMinimum'] as number) : undefined;
  const exMax = typeof s['exclusiveMaximum'] === 'number' ? (s['exclusiveMaximum'] as number) : undefined;
  const min = typeof s['minimum'] === 'number' ? (s['minimum'] as number) : exMin !== undefined ? exMin + 1 : 0;
  const max = typeof s['maximum'] === 'number' ? (s['maximum'] as number) : exMax !== undefined ? exMax - 1 : 1_000_000;
  const step = typeof s['multipleOf'] === 'number' ? (s['multipleOf'] as number) : integer ? 1 : 0;
  if (step > 0) {
    const decimals = (String(step).split('.')[1] ?? '').length;
    const lo = Math.ceil(min / step);
    const hi = Math.floor(max / step);
    const small = fc.integer({ min: lo, max: Math.min(hi, lo + 5_000) });
    return fc.oneof({ weight: 8, arbitrary: small }, { weight: 1, arbitrary: fc.constant(lo) }, { weight: 1, arbitrary: fc.constant(hi) }).map((k) => Number((k * step).toFixed(decimals)));
  }
  return fc.oneof({ weight: 8, arbitrary: fc.double({ min, max: Math.min(max, min + 1000), noNaN: true }) }, { weight: 1, arbitrary: fc.constant(min) }, { weight: 1, arbitrary: fc.constant(max) });
}

/** An arbitrary of values that satisfy `schema` (as far as keywords go; business rules are the server's). */
export function validArb(doc: Doc, schema: unknown, hints: SchemaHints, name?: string, depth = 0): fc.Arbitrary<unknown> {
  const s = flatten(doc, schema);
  if (name && hints.byName[name] && depth > 0) return hints.byName[name];
  const examples = name ? hints.examplesByName?.[name] : undefined;
  if (examples && examples.length > 0) {
    return fc.oneof(fc.constantFrom(...examples), validArb(doc, schema, { ...hints, examplesByName: { ...hints.examplesByName, [name!]: [] } }, name, depth));
  }
  if ('const' in s) return fc.constant(s['const']);
  if (Array.isArray(s['enum']) && s['enum'].length > 0) return fc.constantFrom(...(s['enum'] as unknown[]));
  const branches = branchesOf(doc, s);
  if (branches) return fc.oneof(...branches.map((b) => validArb(doc, b, hints, name, depth + 1)));
  if (depth > 16) return fc.constant(null);
  switch (typeOf(s)) {
    case 'string':
      return stringArb(s, name, hints);
    case 'integer':
      return numberArb(s, true);
    case 'number':
      return numberArb(s, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const item = validArb(doc, s['items'] ?? {}, hints, undefined, depth + 1);
      const minLength = Number(s['minItems'] ?? 0);
      const maxLength = Math.max(minLength, Math.min(Number(s['maxItems'] ?? 3), minLength + 3));
      return s['uniqueItems'] ? fc.uniqueArray(item, { minLength: Math.min(minLength, 1), maxLength, selector: (x) => JSON.stringify(x) }) : fc.array(item, { minLength, maxLength });
    }
    case 'object': {
      const props = (s['properties'] as Record<string, unknown> | undefined) ?? {};
      const required = new Set((s['required'] as string[] | undefined) ?? []);
      const optional = Object.keys(props).filter((k) => !required.has(k));
      const fields = (keys: string[]) =>
        fc.record(Object.fromEntries(keys.map((k) => [k, props[k] === undefined ? fc.string({ unit: PLAIN, maxLength: 8 }) : validArb(doc, props[k], hints, k, depth + 1)])));
      // Half the time only the required fields: a body with fewer optional parts is more often accepted,
      // so that a mutation elsewhere in it reaches the method instead of an unrelated refusal.
      return fc.oneof(fc.constant([] as string[]), fc.subarray(optional)).chain((opt) => fields([...required, ...opt]));
    }
    default:
      // No type (e.g. metadata: "any JSON value").
      return fc.jsonValue({ maxDepth: 2 });
  }
}

export type PathPart = string | number;

/** A place in a body that a mutation may overwrite, and the schema that place has (if known). */
export interface FieldPlace {
  readonly path: readonly PathPart[];
  readonly schema: Schema | undefined;
  /** The place is in the schema but absent from this body (setting it adds the field). */
  readonly absent: boolean;
}

/** The branch of a union that a value is in: by discriminator, else the first whose required fields it has. */
function branchFor(doc: Doc, s: Schema, value: unknown): Schema {
  const branches = branchesOf(doc, s);
  if (!branches) return s;
  const disc = (s['discriminator'] as { propertyName?: string } | undefined)?.propertyName;
  const obj = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  if (disc && obj && typeof obj[disc] === 'string') {
    const hit = branches.find((b) => {
      const p = flatten(doc, (b['properties'] as Schema | undefined)?.[disc]);
      return Array.isArray(p['enum']) ? (p['enum'] as unknown[]).includes(obj[disc]) : p['const'] === obj[disc];
    });
    if (hit) return hit;
  }
  if (obj) {
    const hit = branches.find((b) => ((b['required'] as string[] | undefined) ?? []).every((k) => k in obj));
    if (hit) return hit;
  }
  return branches[0]!;
}

/** Every place in `value` (and every schema property it lacks), depth first, the root excluded. */
export function fieldPlaces(doc: Doc, value: unknown, schema: unknown, path: PathPart[] = [], out: FieldPlace[] = []): FieldPlace[] {
  const s = schema === undefined ? undefined : branchFor(doc, flatten(doc, schema), value);
  if (Array.isArray(value)) {
    const items = s?.['items'];
    value.forEach((v, i) => {
      out.push({ path: [...path, i], schema: items === undefined ? undefined : flatten(doc, items), absent: false });
      fieldPlaces(doc, v, items, [...path, i], out);
    });
  } else if (value !== null && typeof value === 'object') {
    const props = (s?.['properties'] as Record<string, unknown> | undefined) ?? {};
    for (const [k, v] of Object.entries(value)) {
      out.push({ path: [...path, k], schema: props[k] === undefined ? undefined : flatten(doc, props[k]), absent: false });
      fieldPlaces(doc, v, props[k], [...path, k], out);
    }
    for (const k of Object.keys(props)) {
      if (!Object.hasOwn(value, k)) out.push({ path: [...path, k], schema: flatten(doc, props[k]), absent: true });
    }
  }
  return out;
}

/** A deep copy of `value` with the place at `path` set to `replacement` (or deleted when `remove`). */
export function setAt(value: unknown, path: readonly PathPart[], replacement: unknown, remove = false): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path as [PathPart, ...PathPart[]];
  if (Array.isArray(value)) {
    const copy = [...value];
    if (rest.length === 0 && remove) copy.splice(Number(head), 1);
    else copy[Number(head)] = setAt(copy[Number(head)], rest, replacement, remove);
    return copy;
  }
  const plain = value !== null && typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value));
  const obj: Record<string, unknown> = {};
  if (plain) for (const [k, v] of Object.entries(value)) Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
  if (rest.length === 0 && remove) delete obj[String(head)];
  else Object.defineProperty(obj, String(head), { value: setAt(obj[String(head)], rest, replacement, remove), enumerable: true, writable: true, configurable: true });
  return obj;
}

export const pathText = (path: readonly PathPart[]) =>
  path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') || '(root)';
