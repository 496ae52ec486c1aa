import { Ajv, type ErrorObject, type SchemaValidateFunction, type ValidateFunction } from 'ajv';
import { isCurrency } from '../../kernel/currencies.js';
import { luhnValid } from '../../domain/tokens/card-number.js';
import { jsonLimitsProblem, type JsonLimits } from './json-limits.js';

/** C0 controls (NUL, TAB, CR, LF…) and DEL: never part of an id, a token, a hash or a URL. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL = /[\u0000-\u001f\u007f]/;
/** What a URL that goes into a Location header may hold: printable ASCII, no space (percent-encode the rest). */
const URL_CHARS = /^[\u0021-\u007e]+$/;
const URL_FORMATS = new Set(['absolute-url', 'http-url']);

/**
 * The one validator every request schema is compiled with, in the app and in tests.
 * - no type coercion: `"amount": "100"` is an error, as a partner's typo should be;
 * - unknown fields are left alone (the real service ignores them; mappers pick what they need);
 * - `discriminator` lets the `type`-keyed objects (PaymentDetails, PaymentMethod…) report errors of
 *   the one branch named by `type`, not of every branch;
 * - `errorMessage` is an annotation we put on schemas to say what a value must be in the words the
 *   error description should use ("must be a positive integer");
 * - formats `printable` (ids, tokens, hashes: no control character), `absolute-url` (any scheme,
 *   printable ASCII) and `http-url` (the same, http or https only);
 * - `jsonLimits: {maxDepth, maxBytes}` bounds free-form JSON (metadata): its nesting and its size.
 */
export const ajv = new Ajv({
  allErrors: false,
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
  discriminator: true,
  multipleOfPrecision: 9,
  verbose: true,
  strict: false,
  formats: {
    currency: { type: 'string', validate: isCurrency },
    'card-number': { type: 'string', validate: luhnValid },
    'date-time': {
      type: 'string',
      validate: (s: string) =>
        /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(s) && !Number.isNaN(Date.parse(s)),
    },
    date: { type: 'string', validate: (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)) },
    uri: { type: 'string', validate: (s: string) => URL.canParse(s) },
    printable: { type: 'string', validate: (s: string) => !CONTROL.test(s) },
    'absolute-url': { type: 'string', validate: (s: string) => URL_CHARS.test(s) && URL.canParse(s) },
    'http-url': { type: 'string', validate: (s: string) => URL_CHARS.test(s) && /^https?:\/\//i.test(s) && URL.canParse(s) },
  },
});
ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });

const checkJsonLimits: SchemaValidateFunction = (limits: JsonLimits, data: unknown) => {
  const problem = jsonLimitsProblem(data, limits);
  checkJsonLimits.errors = problem === undefined ? [] : [{ keyword: 'jsonLimits', message: problem, params: { ...limits } }];
  return problem === undefined;
};
ajv.addKeyword({ keyword: 'jsonLimits', schemaType: 'object', errors: true, validate: checkJsonLimits });

export function compile<T>(schema: object): ValidateFunction<T> {
  return ajv.compile<T>(schema);
}

/** `/amount_details/amount` → `amount_details.amount`, `/customer/contacts/0` → `customer.contacts[0]`. */
function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

const join = (path: string, field: string) => (path ? `${path}.${field}` : field);

/** One precise sentence naming the offending field, from the first validation error. */
export function describeValidationError(errors: readonly ErrorObject[] | null | undefined, root = 'body'): string {
  const err = errors?.[0];
  if (!err) return `${root} is invalid`;
  const path = fieldPath(err.instancePath);
  // A union (anyOf/oneOf) reports its first branch's error first; the union's own sentence is better.
  const union = errors.find((e) => (e.keyword === 'anyOf' || e.keyword === 'oneOf') && e.instancePath === err.instancePath);
  const unionMessage = (union?.parentSchema as { errorMessage?: string } | undefined)?.errorMessage;
  if (unionMessage) return `${path || root} ${unionMessage}`;
  const parent = err.parentSchema as { errorMessage?: string } | undefined;
  switch (err.keyword) {
    case 'required':
      return `${join(path, String(err.params['missingProperty']))} is required`;
    case 'discriminator': {
      const tag = join(path, String(err.params['tag']));
      return err.params['error'] === 'tag' ? `${tag} is required and must be a string` : `${tag} has an unsupported value`;
    }
    case 'enum':
      return `${path || root} must be one of: ${(err.params['allowedValues'] as unknown[]).join(', ')}`;
    case 'format': {
      const format = String(err.params['format']);
      if (format === 'currency') return `${path} must be an ISO 4217 currency code`;
      if (format === 'card-number') return `${path} is not a valid card number (Luhn check failed)`;
      const value = typeof err.data === 'string' ? err.data : '';
      if ((format === 'printable' || URL_FORMATS.has(format)) && CONTROL.test(value)) return `${path || root} must not contain control characters`;
      if (URL_FORMATS.has(format) && !URL_CHARS.test(value) && value !== '') {
        return `${path || root} must be an absolute ${format === 'http-url' ? 'http(s) ' : ''}URL of printable ASCII characters (percent-encode spaces and other characters)`;
      }
      break;
    }
    case 'jsonLimits':
      return `${path || root} ${err.message ?? 'is too large'}`;
    case 'const':
      return `${path || root} must be ${JSON.stringify(err.params['allowedValue'])}`;
    case 'maximum':
      // An errorMessage names the kind of value ("a positive integer"); a value of that kind that
      // is only too large (an amount past 2^53) needs the bound, not that sentence.
      return `${path || root} must be at most ${String(err.params['limit'])}`;
  }
  if (parent?.errorMessage) return `${path || root} ${parent.errorMessage}`;
  if (err.keyword === 'type') {
    const type = String(err.params['type']).split(',')[0] ?? 'object';
    const noun = type === 'object' ? 'a JSON object' : type === 'array' ? 'an array' : type === 'integer' ? 'an integer' : `a ${type}`;
    return `${path || root} must be ${noun}`;
  }
  return `${path || root} ${err.message ?? 'is invalid'}`;
}
