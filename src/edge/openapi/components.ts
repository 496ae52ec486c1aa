/**
 * Turns the inline JSON Schemas fastify-swagger writes into the document into named components: the
 * request schemas are the validator's own (src/edge/wire/*.schema.ts), which carry keywords only
 * our ajv knows and a `title` on every object worth naming. Done on a copy at document time, so
 * validation and its error messages never change.
 */

type Json = Record<string, unknown>;

/** Keywords of src/edge/http/validation.ts's ajv that mean nothing to OpenAPI (and fail its linters). */
const VALIDATOR_ONLY = new Set(['errorMessage', 'jsonLimits']);

/** Keywords whose value is one schema, an array of schemas, or a map of schemas (JSON Schema 2020-12). */
const ONE = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems'];
const MANY = ['oneOf', 'anyOf', 'allOf', 'prefixItems'];
const MAP = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export const REF_PREFIX = '#/components/schemas/';

export class ComponentRegistry {
  readonly schemas: Record<string, Json> = {};
  /** Titles seen with two different bodies: kept apart as Title_2, …; the test demands none. */
  readonly conflicts: string[] = [];

  /** The schema, cleaned, with every titled subschema (itself included) replaced by a $ref. */
  hoist(schema: unknown): unknown {
    if (!isObject(schema)) return schema;
    if (typeof schema['$ref'] === 'string') return { $ref: schema['$ref'] };
    const out: Json = {};
    for (const [key, value] of Object.entries(schema)) {
      if (VALIDATOR_ONLY.has(key)) continue;
      if (ONE.includes(key) && isObject(value)) out[key] = this.hoist(value);
      else if (MANY.includes(key) && Array.isArray(value)) out[key] = value.map((v) => this.hoist(v));
      else if (MAP.includes(key) && isObject(value)) out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.hoist(v)]));
      else out[key] = value;
    }
    addDiscriminatorMapping(out, this.schemas);
    const title = out['title'];
    return typeof title === 'string' ? { $ref: REF_PREFIX + this.name(title, out) } : out;
  }

  private name(title: string, schema: Json): string {
    const body = JSON.stringify(schema);
    for (let n = 1; ; n++) {
      const name = n === 1 ? title : `${title}_${n}`;
      const known = this.schemas[name];
      if (known === undefined) {
        if (n > 1) this.conflicts.push(title);
        this.schemas[name] = schema;
        return name;
      }
      if (JSON.stringify(known) === body) return name;
    }
  }
}

/**
 * OpenAPI's discriminator maps tag values to component names; without `mapping` a reader guesses the
 * component name from the value (`card` → #/components/schemas/card), which is wrong for us.
 */
function addDiscriminatorMapping(schema: Json, components: Record<string, Json>): void {
  const discriminator = schema['discriminator'];
  const branches = schema['oneOf'];
  if (!isObject(discriminator) || !Array.isArray(branches)) return;
  const tag = String(discriminator['propertyName']);
  const mapping: Record<string, string> = {};
  for (const branch of branches) {
    const ref = isObject(branch) ? branch['$ref'] : undefined;
    if (typeof ref !== 'string') return;
    const target = components[ref.slice(REF_PREFIX.length)];
    const props = isObject(target?.['properties']) ? target['properties'] : {};
    const tagSchema = props[tag];
    const value = isObject(tagSchema) ? (tagSchema['const'] ?? (Array.isArray(tagSchema['enum']) ? tagSchema['enum'][0] : undefined)) : undefined;
    if (typeof value !== 'string') return;
    mapping[value] = ref;
  }
  schema['discriminator'] = { propertyName: tag, mapping };
}

/** Every Schema Object of an operation (request body, parameters, responses), hoisted in place. */
export function hoistOperation(op: Json, registry: ComponentRegistry): void {
  const body = op['requestBody'];
  if (isObject(body)) hoistContent(body['content'], registry);
  if (Array.isArray(op['parameters'])) for (const p of op['parameters']) if (isObject(p)) p['schema'] = registry.hoist(p['schema']);
  const responses = op['responses'];
  if (isObject(responses)) for (const r of Object.values(responses)) if (isObject(r)) hoistContent(r['content'], registry);
}

function hoistContent(content: unknown, registry: ComponentRegistry): void {
  if (!isObject(content)) return;
  for (const media of Object.values(content)) if (isObject(media)) media['schema'] = registry.hoist(media['schema']);
}
