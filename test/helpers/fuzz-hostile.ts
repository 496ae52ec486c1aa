import fc from 'fast-check';
import type { Schema } from './fuzz-schema.js';
import { typeOf } from './fuzz-schema.js';

/**
 * Hostile values for the fuzz test, each with a label ("string:nul", "deep:array-5000") that names
 * its shape in failure reports, and the serialiser that turns a body with `Raw` pieces in it into
 * the exact bytes sent: a Raw is JSON text (or bytes) that JavaScript values cannot express — 1e309,
 * -0, NaN, a depth-20000 array without building it, duplicate or `__proto__` keys, invalid UTF-8.
 */

export class Raw {
  constructor(
    readonly bytes: Buffer,
    readonly label: string,
  ) {}
  static text(text: string, label: string): Raw {
    return new Raw(Buffer.from(text, 'utf8'), label);
  }
}

export interface Hostile {
  readonly value: unknown;
  readonly label: string;
}

const h = (label: string, value: unknown): Hostile => ({ label, value });
const raw = (label: string, text: string): Hostile => ({ label, value: Raw.text(text, label) });
const fixed = (list: Hostile[]) => fc.constantFrom(...list);

const TOKEN = '__fz_raw_q7Zx_';

/** The bytes of `value` as JSON, with every Raw inside spliced in as it is. */
export function serialize(value: unknown): Buffer {
  if (value instanceof Raw) return value.bytes;
  const raws: Raw[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Raw) {
      raws.push(v);
      return `${TOKEN}${raws.length - 1}__`;
    }
    return v;
  });
  if (text === undefined) return Buffer.alloc(0);
  if (raws.length === 0) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  const re = new RegExp(`"${TOKEN}(\\d+)__"`, 'g');
  let last = 0;
  for (const m of text.matchAll(re)) {
    parts.push(Buffer.from(text.slice(last, m.index), 'utf8'), raws[Number(m[1])]!.bytes);
    last = m.index + m[0].length;
  }
  parts.push(Buffer.from(text.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

/** `{<member>, ...the object's own members}` (or after them): how a `__proto__` or duplicate key gets in. */
export function withRawMember(obj: unknown, member: string, label: string, atEnd: boolean): Raw {
  const body = serialize(obj === null || typeof obj !== 'object' || Array.isArray(obj) ? {} : obj).toString('utf8');
  const inner = body.slice(1, -1);
  const text = atEnd ? `{${inner}${inner ? ',' : ''}${member}}` : `{${member}${inner ? ',' : ''}${inner}}`;
  return Raw.text(text, label);
}

// ---- strings ----------------------------------------------------------------------------------

const CONTROL = [...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)), '\u007f', '\u0085', '\u009b', '\u2028', '\u2029'];

export const hostileString: fc.Arbitrary<Hostile> = fc.oneof(
  fixed([
    h('string:nul', 'a\u0000b'),
    h('string:nul', '\u0000'),
    h('string:nul-escaped-text', '\\u0000'),
    h('string:crlf', 'line1\r\nX-Injected: 1\r\n\r\nbody'),
    h('string:crlf', '\r'),
    h('string:crlf', '\n'),
    h('string:lone-surrogate', '\ud800'),
    h('string:lone-surrogate', 'a\udfffb'),
    h('string:lone-surrogate', '\udc00\ud800'),
    h('string:noncharacter', '\ufffe\uffff'),
    h('string:bom', '\ufeffusd'),
    h('string:bidi', '\u202eevil\u202c'),
    h('string:emoji', '😀👩‍👩‍👧‍👦🏳️‍🌈'),
    h('string:combining', 'e\u0301\u0301\u0301\u0301\u0301'),
    h('string:fullwidth', 'ｕｓｄ４２４２'),
    h('string:empty', ''),
    h('string:whitespace', ' \t '),
    h('string:injection', "' OR '1'='1"),
    h('string:injection', "'); DROP TABLE sessions;--"),
    h('string:injection', '$1 $$ %s %n %x'),
    h('string:injection', '{{7*7}} ${7*7} <%= 7*7 %>'),
    h('string:injection', '<script>alert(1)</script>'),
    h('string:injection', '../../../../etc/passwd'),
    h('string:injection', '\\'),
    h('string:injection', '"'),
    h('string:proto-name', '__proto__'),
    h('string:proto-name', 'constructor'),
    h('string:proto-name', 'hasOwnProperty'),
    h('string:number-like', '100'),
    h('string:number-like', '-1'),
    h('string:number-like', '1e309'),
    h('string:number-like', 'NaN'),
    h('string:number-like', 'Infinity'),
    h('string:number-like', '0x10'),
    h('string:number-like', '9007199254740993'),
    h('string:number-like', ' 1 '),
    h('string:date-like', '0000-00-00T00:00:00Z'),
    h('string:date-like', '2026-02-30T25:61:61Z'),
    h('string:date-like', '+275760-09-13T00:00:00.001Z'),
    h('string:date-like', '-271821-04-20T00:00:00Z'),
    h('string:date-like', '9999-12-31T23:59:59.999999999Z'),
    h('string:date-like', '2026-01-01T00:00:00+99:99'),
    h('string:date-like', '99999-01-01T00:00:00Z'),
    h('string:currency-like', 'XXX'),
    h('string:currency-like', 'usd\u0000'),
    h('string:currency-like', 'ÜSD'),
    h('string:currency-like', 'US'),
    h('string:url-like', 'javascript:alert(1)'),
    h('string:url-like', 'file:///etc/passwd'),
    h('string:url-like', 'http://127.0.0.1:99999/'),
    h('string:url-like', 'http://user:pw@127.0.0.1:9/'),
    h('string:url-like', 'http://[::1]:9/%00'),
    h('string:url-like', `http://127.0.0.1:9/${'a'.repeat(3000)}`),
    h('string:id-like', 'ps_0'),
    h('string:id-like', `ps_${'9'.repeat(19)}`),
    h('string:id-like', `ps_${'9'.repeat(40)}`),
    h('string:id-like', `ps_${'1'.repeat(64)}`),
    h('string:id-like', 'ps_-1'),
    h('string:id-like', 'ps_1\u0000'),
    h('string:id-like', 'PS_1795240123569608125'),
    h('string:id-like', 'key_1'),
  ]),
  fc.array(fc.constantFrom(...CONTROL), { minLength: 1, maxLength: 12 }).map((cs) => h('string:control', `x${cs.join('')}y`)),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => h('string:random-unicode', s)),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((s) => h('string:random-ascii', s)),
  fc
    .tuple(fc.constantFrom(256, 1025, 5_000, 20_000, 60_000, 100_000), fc.constantFrom(['a', 'a'], ['é', 'e-acute'], ['😀', 'emoji'], ['\u0000', 'nul'], ['\ud800', 'lone-surrogate'], ['\n', 'lf']))
    .map(([n, [c, cname]]) => h(`string:long-${n}-${cname}`, c.repeat(c.length === 2 ? n / 2 : n))),
);

// ---- numbers ----------------------------------------------------------------------------------

export const hostileNumber: fc.Arbitrary<Hostile> = fc.oneof(
  fixed([
    h('number:zero', 0),
    h('number:negative', -1),
    h('number:negative', -2147483648),
    h('number:fraction', 1.5),
    h('number:fraction', 0.1),
    h('number:fraction', 0.001),
    h('number:int32-overflow', 2147483648),
    h('number:uint32-overflow', 4294967296),
    h('number:2^53', 9007199254740992),
    h('number:2^53+2', 9007199254740994),
    h('number:2^63', 9223372036854775808),
    h('number:1e21', 1e21),
    h('number:max-double', Number.MAX_VALUE),
    h('number:min-double', Number.MIN_VALUE),
    h('number:negative-huge', -Number.MAX_VALUE),
  ]),
  fc.constantFrom(
    raw('number:-0', '-0'),
    raw('number:1e309', '1e309'),
    raw('number:-1e309', '-1e309'),
    raw('number:1e-400', '1e-400'),
    raw('number:30-digits', '123456789012345678901234567890'),
    raw('number:1.0', '1.0'),
    raw('number:1E2', '1E2'),
    raw('number:100.000000000000000001', '100.000000000000000001'),
    raw('number:NaN (not JSON)', 'NaN'),
    raw('number:Infinity (not JSON)', 'Infinity'),
    raw('number:hex (not JSON)', '0x10'),
    raw('number:leading-zero (not JSON)', '010'),
    raw('number:plus (not JSON)', '+1'),
    raw('number:bare-dot (not JSON)', '.5'),
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => h('number:random-double', d)),
  fc.integer().map((i) => h('number:random-int', i)),
  fc.constantFrom('100', '-1', '1e309', 'NaN', '0', '10000').map((s) => h('number:as-string', s)),
);

// ---- wrong types, nesting, prototype keys ----------------------------------------------------

export const wrongType: fc.Arbitrary<Hostile> = fixed([
  h('type:null', null),
  h('type:true', true),
  h('type:false', false),
  h('type:number', 0),
  h('type:number', 42),
  h('type:string', 'x'),
  h('type:empty-array', []),
  h('type:empty-object', {}),
  h('type:array', [null, 1, 'a', {}]),
  h('type:nested-array', [[[]]]),
  h('type:object', { '': '', a: { b: null } }),
]);

const deepArray = (d: number) => raw(`deep:array-${d}`, `${'['.repeat(d)}${']'.repeat(d)}`);
const deepObject = (d: number) => raw(`deep:object-${d}`, `${'{"a":'.repeat(d)}{}${'}'.repeat(d)}`);

export const deepValue: fc.Arbitrary<Hostile> = fc.constantFrom(
  deepArray(100),
  deepArray(1000),
  deepArray(5000),
  deepArray(20000),
  deepObject(100),
  deepObject(1000),
  deepObject(5000),
  raw('deep:mixed-5000', `${'[{"a":'.repeat(2500)}1${'}]'.repeat(2500)}`),
  raw('deep:nul-leaf-5000', `${'['.repeat(5000)}"\\u0000"${']'.repeat(5000)}`),
  raw('wide:array-10000', `[${Array.from({ length: 10000 }, () => '0').join(',')}]`),
  raw('wide:object-3000', `{${Array.from({ length: 3000 }, (_, i) => `"k${i}":1`).join(',')}}`),
  raw('wide:nul-strings-2000', `[${Array.from({ length: 2000 }, () => '"\\u0000"').join(',')}]`),
);

export const protoValue: fc.Arbitrary<Hostile> = fc.constantFrom(
  raw('proto:__proto__', '{"__proto__":{"polluted":true,"toString":1,"length":5}}'),
  raw('proto:constructor', '{"constructor":{"prototype":{"polluted":true}}}'),
  raw('proto:method-names', '{"toString":"x","valueOf":1,"hasOwnProperty":2,"toJSON":3,"then":4}'),
);

/** Any hostile value, weighted towards the kind the field's schema expects. */
export function hostileFor(schema: Schema | undefined): fc.Arbitrary<Hostile> {
  const t = schema ? typeOf(schema) : undefined;
  const w = (kind: string, on: number, off: number) => (t === kind ? on : off);
  return fc.oneof(
    { weight: w('string', 10, 4), arbitrary: hostileString },
    { weight: t === 'integer' || t === 'number' ? 10 : 3, arbitrary: hostileNumber },
    { weight: 4, arbitrary: wrongType },
    { weight: 2, arbitrary: deepValue },
    { weight: 1, arbitrary: protoValue },
  );
}

// ---- whole bodies -----------------------------------------------------------------------------

const bytes = (label: string, b: number[] | Buffer): Hostile => ({ label, value: new Raw(Buffer.isBuffer(b) ? b : Buffer.from(b), label) });

/** A body that replaces the whole request: not JSON, not an object, empty, over the size limit… */
export function hostileRootBody(valid: Buffer, bodyLimit: number): fc.Arbitrary<Hostile> {
  const pad = (n: number) => Buffer.concat([Buffer.from('{"pad":"'), Buffer.alloc(Math.max(0, n - 10), 'a'), Buffer.from('"}')]);
  return fc.oneof(
    fixed([
      bytes('root:empty', []),
      raw('root:whitespace', ' \r\n\t'),
      raw('root:null', 'null'),
      raw('root:true', 'true'),
      raw('root:number', '1'),
      raw('root:string', '"session"'),
      raw('root:empty-array', '[]'),
      raw('root:array', '[{"session_id":"ps_1"}]'),
      raw('root:empty-object', '{}'),
      raw('root:truncated', '{"session_id":'),
      raw('root:unclosed', '{'),
      raw('root:garbage', 'hello'),
      raw('root:single-quotes', "{'a':1}"),
      raw('root:comment', '/* c */ {}'),
      raw('root:trailing-comma', '{"a":1,}'),
      raw('root:nan', '{"a":NaN}'),
      raw('root:form-encoded', 'session_id=ps_1&amount=1'),
      raw('root:xml', '<?xml version="1.0"?><a/>'),
      bytes('root:bom+json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), valid])),
      bytes('root:json+trailing-garbage', Buffer.concat([valid, Buffer.from(' x')])),
      bytes('root:json+nul-byte', Buffer.concat([valid, Buffer.from([0])])),
      bytes('root:two-json-values', Buffer.concat([valid, valid])),
      bytes('root:invalid-utf8', Buffer.concat([Buffer.from('{"metadata":"'), Buffer.from([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80]), Buffer.from('"}')])),
      bytes('root:utf16le', Buffer.from(valid.toString('utf8'), 'utf16le')),
      bytes('root:binary', Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37) % 256))),
      raw('root:deep-array-5000', `${'['.repeat(5000)}${']'.repeat(5000)}`),
      raw('root:deep-array-30000', `${'['.repeat(30000)}${']'.repeat(30000)}`),
      raw('root:deep-object-5000', `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`),
      raw('root:duplicate-keys', '{"a":1,"a":2,"a":{"b":[]}}'),
      raw('root:__proto__', '{"__proto__":{"polluted":true}}'),
      bytes('root:exactly-limit', pad(bodyLimit)),
      bytes('root:limit+1', pad(bodyLimit + 1)),
      bytes('root:1MiB', pad(1 << 20)),
    ]),
  );
}
