import { Type, type SchemaOptions } from '@sinclair/typebox';

/**
 * Field builders shared by the request schemas (objects.schema.ts and the method schemas): the
 * one definition of what an id, a URL and free-form JSON may hold, so that every field of a kind
 * refuses the same values with the same words.
 */

/**
 * Ids, tokens and hashes: opaque, but never with a control character (C0 such as NUL, CR, LF, TAB,
 * or DEL); the description then says so, naming the field. One format (`printable`) for all of them.
 */
export const Identifier = (maxLength: number, options: SchemaOptions = {}) =>
  Type.String({
    errorMessage: `must be a non-empty string of at most ${maxLength} characters`,
    ...options,
    minLength: 1,
    maxLength,
    format: 'printable',
  });

/** Tokens and hashes are opaque and of unknown length; the cap only stops absurd payloads. */
export const TOKEN_MAX = 1024;

/**
 * A URL the payer's browser is sent to (a Location header, a link): absolute, printable ASCII only
 * (no control character, no space: percent-encoded), at most 2048 characters. `http: true` allows
 * only http and https; otherwise any scheme (an app's deep link, the spec's `dummy:/url`).
 */
export const Url = (options: SchemaOptions & { http?: boolean } = {}) => {
  const { http, ...rest } = options;
  return Type.String({
    ...rest,
    maxLength: 2048,
    format: http ? 'http-url' : 'absolute-url',
    errorMessage: http ? 'must be an absolute http(s) URL' : 'must be an absolute URL',
  });
};

/**
 * Free-form JSON the partner chooses and payrail stores and echoes back: any value, at most 64
 * levels of objects and arrays and 8 KiB serialised (the `jsonLimits` keyword of
 * src/edge/http/validation.ts). The spec states no limit; these keep storing and rendering it safe.
 */
export const FREE_JSON_LIMITS = { maxDepth: 64, maxBytes: 8192 } as const;
export const FreeJson = (options: SchemaOptions = {}) =>
  Type.Unknown({
    ...options,
    description: `${options.description ?? 'Any JSON value'} (at most ${FREE_JSON_LIMITS.maxDepth} levels deep and ${FREE_JSON_LIMITS.maxBytes} bytes as JSON)`,
    jsonLimits: FREE_JSON_LIMITS,
  });
