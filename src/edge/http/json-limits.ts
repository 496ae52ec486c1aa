/**
 * Limits on the shape of JSON the API accepts. JSON.parse is iterative and takes any depth, but
 * JSON.stringify (storing a value, rendering a webhook) and every other walk recurse: a body nested
 * some thousands of levels deep would overflow the stack there. These checks walk iteratively.
 */

/** The whole body: far above anything the API defines (its deepest objects, plus free-form JSON at 64 levels). */
export const BODY_MAX_DEPTH = 128;

/**
 * The `jsonLimits` annotation of a schema (src/edge/wire/objects.schema.ts `FreeJson`: `metadata`
 * and the other free-form JSON the API stores and echoes back), checked by src/edge/http/validation.ts.
 */
export interface JsonLimits {
  /** Objects and arrays nested in each other: `{}` is 1 level, `{"a":[{}]}` 3, a string or number 0. */
  readonly maxDepth: number;
  /** Bytes of the value serialised as JSON (UTF-8). */
  readonly maxBytes: number;
}

/** Whether `value` has objects or arrays nested more than `max` levels deep. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<readonly [object, number]> = [];
  if (value !== null && typeof value === 'object') stack.push([value, 1]);
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child as object, depth + 1]);
    }
  }
  return false;
}

/** What is wrong with a free-form JSON value, in the words that follow its field path; undefined when nothing is. */
export function jsonLimitsProblem(value: unknown, limits: JsonLimits): string | undefined {
  if (nestedDeeperThan(value, limits.maxDepth)) return `must not be nested more than ${limits.maxDepth} levels deep`;
  // Safe now: the depth is bounded.
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  if (bytes > limits.maxBytes) return `must be at most ${limits.maxBytes} bytes as JSON (it is ${bytes})`;
  return undefined;
}
