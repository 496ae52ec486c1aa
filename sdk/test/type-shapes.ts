import path from 'node:path';
import ts from 'typescript';

/**
 * Checks JSON values against the SDK's own declared TypeScript types, read by the TypeScript
 * compiler from sdk/src (not from a second hand-kept list of fields), so a test can hold real
 * server answers to the types partners compile against. A value fails when it has a field its type
 * does not declare, lacks a required one, or carries a value of another kind (a string where the
 * type says number, a status outside the declared union, an object where a list is declared). A
 * field or a type that drifts on either side therefore fails the test that checks a real body.
 *
 * `types` maps a name to a type expression over the SDK's exports (`S`), e.g.
 * `{ SessionV1Answer: "S.SessionResponse<'v1'>" }`.
 */
export interface ShapeChecker {
  /** Every mismatch of `value` with the type named `name`, as `$.path: what is wrong`; [] when it fits. */
  problems(value: unknown, name: string): string[];
  /**
   * Every difference between the type named `name` and an OpenAPI (JSON Schema) schema, `$ref`s
   * resolved in `components`: a property on one side only, required on one side only, an enum with
   * other values, or kinds that cannot agree (string against integer, object against list). A type
   * narrower than its schema (a literal union where the schema says string, a typed field where
   * the schema allows any JSON) is not a difference.
   */
  schemaProblems(name: string, schema: JsonSchema, components: Readonly<Record<string, JsonSchema>>): string[];
  has(name: string): boolean;
  /** The type expression's text as the compiler prints it (for messages). */
  describe(name: string): string;
}

const MAX_ERRORS = 20;

export interface JsonSchema {
  readonly $ref?: string;
  readonly type?: string | readonly string[];
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly oneOf?: readonly JsonSchema[];
  readonly anyOf?: readonly JsonSchema[];
}

export function loadShapeChecker(sdkDir: string, types: Readonly<Record<string, string>>): ShapeChecker {
  const entry = path.join(sdkDir, 'src', '__shapes__.ts');
  const text = `import type * as S from './index.js';\nexport interface Shapes {\n${Object.entries(types)
    .map(([k, expr]) => `  ${k}: ${expr};`)
    .join('\n')}\n}\n`;
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [path.join(sdkDir, '..', 'node_modules', '@types')],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (file, lang, ...rest) => (path.resolve(file) === entry ? ts.createSourceFile(file, text, lang) : getSourceFile.call(host, file, lang, ...rest));
  host.fileExists = (file) => path.resolve(file) === entry || fileExists.call(host, file);
  host.readFile = (file) => (path.resolve(file) === entry ? text : readFile.call(host, file));
  const program = ts.createProgram([entry], options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (diagnostics.length > 0) throw new Error(`the SDK's types do not compile:\n${ts.formatDiagnostics(diagnostics, host)}`);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry)!;
  const shapes = source.statements.find(ts.isInterfaceDeclaration)!;
  const byName = new Map<string, ts.Type>();
  for (const member of shapes.members) {
    if (!ts.isPropertySignature(member) || !member.type) continue;
    byName.set((member.name as ts.Identifier).text, checker.getTypeFromTypeNode(member.type));
  }

  const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`);

  function check(t: ts.Type, v: unknown, at: string, out: string[]): void {
    if (out.length >= MAX_ERRORS) return;
    const f = t.flags;
    if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    if (t.isUnion()) {
      // An optional field's type is `T | undefined`; JSON has no undefined, so only T can match.
      const members = t.types.filter((m) => !(m.flags & ts.TypeFlags.Undefined));
      if (members.length === 1) return check(members[0]!, v, at, out);
      const tries = members.map((m) => {
        const o: string[] = [];
        check(m, v, at, o);
        return o;
      });
      if (tries.some((o) => o.length === 0)) return;
      if (members.every((m) => m.flags & (ts.TypeFlags.Literal | ts.TypeFlags.Null))) {
        out.push(`${at}: ${kindOf(v)} is none of ${checker.typeToString(t)}`);
        return;
      }
      // A tagged union: report against the member with the fewest mismatches (the one whose tag matched).
      out.push(...tries.sort((a, b) => a.length - b.length)[0]!);
      return;
    }
    if (t.isStringLiteral() || t.isNumberLiteral()) {
      if (v !== t.value) out.push(`${at}: ${kindOf(v)} is not ${JSON.stringify(t.value)}`);
      return;
    }
    if (f & ts.TypeFlags.BooleanLiteral) {
      if (v !== (checker.typeToString(t) === 'true')) out.push(`${at}: ${kindOf(v)} is not ${checker.typeToString(t)}`);
      return;
    }
    const simple: [ts.TypeFlags, string][] = [
      [ts.TypeFlags.String, 'string'],
      [ts.TypeFlags.Number, 'number'],
      [ts.TypeFlags.Boolean, 'boolean'],
    ];
    for (const [flag, js] of simple) {
      if (f & flag) {
        if (typeof v !== js) out.push(`${at}: ${kindOf(v)} is not a ${js}`);
        return;
      }
    }
    if (f & ts.TypeFlags.Null) {
      if (v !== null) out.push(`${at}: ${kindOf(v)} is not null`);
      return;
    }
    if (checker.isArrayType(t) || checker.isTupleType(t)) {
      if (!Array.isArray(v)) return void out.push(`${at}: ${kindOf(v)} is not a list`);
      const item = checker.getTypeArguments(t as ts.TypeReference)[0];
      if (item) v.forEach((x, i) => check(item, x, `${at}[${i}]`, out));
      return;
    }
    if (f & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return void out.push(`${at}: ${kindOf(v)} is not an object`);
      const record = v as Record<string, unknown>;
      const props = checker.getPropertiesOfType(t);
      const declared = new Set(props.map((p) => p.name));
      for (const p of props) {
        const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
        if (!(p.name in record)) {
          if (!optional) out.push(`${at}.${p.name}: missing (required by the SDK)`);
          continue;
        }
        check(checker.getTypeOfSymbol(p), record[p.name], `${at}.${p.name}`, out);
      }
      const index = checker.getIndexInfoOfType(t, ts.IndexKind.String);
      for (const [k, x] of Object.entries(record)) {
        if (declared.has(k)) continue;
        if (index) check(index.type, x, `${at}.${k}`, out);
        else out.push(`${at}.${k}: not declared by the SDK (${kindOf(x)})`);
      }
      return;
    }
    out.push(`${at}: the checker cannot read the type ${checker.typeToString(t)}`);
  }

  const withoutUndefined = (t: ts.Type): ts.Type[] => (t.isUnion() ? t.types.filter((m) => !(m.flags & ts.TypeFlags.Undefined)) : [t]);
  const literalOf = (t: ts.Type): { is: true; value: unknown } | { is: false } =>
    t.isStringLiteral() || t.isNumberLiteral()
      ? { is: true, value: t.value }
      : t.flags & ts.TypeFlags.BooleanLiteral
        ? { is: true, value: checker.typeToString(t) === 'true' }
        : t.flags & ts.TypeFlags.Null
          ? { is: true, value: null }
          : { is: false };

  function compare(t: ts.Type, schema: JsonSchema, at: string, components: Readonly<Record<string, JsonSchema>>, out: string[], seen: Set<string>, member = false, subset = false): void {
    if (out.length >= MAX_ERRORS) return;
    let sch = schema;
    for (let i = 0; sch.$ref !== undefined && i < 20; i++) {
      const name = sch.$ref.replace('#/components/schemas/', '');
      const next = components[name];
      if (!next) return void out.push(`${at}: unresolved ${sch.$ref}`);
      // A type met again with the same schema (a recursive shape) was compared already.
      const id = `${(t as { id?: number }).id ?? checker.typeToString(t)}→${name}`;
      if (seen.has(id)) return;
      seen.add(id);
      sch = next;
    }
    if (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) {
      const anyJson = sch.type === undefined && !sch.oneOf && !sch.anyOf && !sch.properties && sch.enum === undefined && sch.const === undefined;
      if (!anyJson) out.push(`${at}: the SDK allows any value; the schema does not`);
      return;
    }
    const variants = sch.oneOf ?? sch.anyOf;
    const members = withoutUndefined(t);
    if (variants) {
      // Each schema variant is some member of the SDK's union, and each member some variant.
      const fit = (m: ts.Type, v: JsonSchema) => {
        const o: string[] = [];
        compare(m, v, at, components, o, new Set(seen));
        return o;
      };
      const tries = variants.map((v) => members.map((m) => fit(m, v)));
      tries.forEach((row, i) => {
        if (row.some((o) => o.length === 0)) return;
        // Explain by the nearest member (its tag matched, so fewest differences).
        const nearest = [...row].sort((a, b) => a.length - b.length)[0]!;
        out.push(...(row.length === 1 ? nearest : nearest.map((x) => `${x} (variant ${variants[i]!.$ref?.replace('#/components/schemas/', '') ?? i})`)));
      });
      members.forEach((m, j) => {
        // A member no variant matches, where every variant found its member: one the schema lacks.
        const unexplained = tries.every((row) => row.some((o) => o.length === 0));
        if (members.length > 1 && unexplained && !tries.some((row) => row[j]!.length === 0)) out.push(`${at}: the SDK's ${checker.typeToString(m)} is no variant of the schema`);
      });
      return;
    }
    const literals = members.map(literalOf);
    const allowed = sch.const !== undefined ? [sch.const] : sch.enum;
    if (allowed && literals.every((l) => l.is)) {
      const sdk = literals.map((l) => (l as { value: unknown }).value);
      const missing = allowed.filter((v) => !sdk.includes(v));
      const extra = sdk.filter((v) => !allowed.includes(v));
      // A union member's tag is one of the schema's values: the union covers the rest.
      if ((missing.length && !subset) || extra.length) out.push(`${at}: the schema allows ${JSON.stringify(allowed)}, the SDK ${JSON.stringify(sdk)}`);
      return;
    }
    const types = sch.type === undefined ? [] : typeof sch.type === 'string' ? [sch.type] : sch.type;
    if (members.length > 1 && !literals.every((l) => l.is)) {
      // A union of kinds (string | number | null), or of objects against one object schema (the
      // SDK tells apart by `type` what the schema describes as one object with optional fields):
      // each member must agree with one of the schema's types, and every property of the schema
      // must be in some member.
      for (const m of members) {
        const tries = (types.length ? types : [undefined]).map((ty) => {
          const one: string[] = [];
          compare(m, ty === undefined ? sch : { ...sch, type: ty }, at, components, one, new Set(seen), true);
          return one;
        });
        if (!tries.some((o) => o.length === 0)) out.push(...tries.sort((a, b) => a.length - b.length)[0]!.map((x) => `${x} (in ${checker.typeToString(m)})`));
      }
      const inSome = new Set(members.flatMap((m) => (m.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection) ? checker.getPropertiesOfType(m).map((p) => p.name) : [])));
      for (const k of Object.keys(sch.properties ?? {})) if (!inSome.has(k)) out.push(`${at}.${k}: in the schema, not in the SDK`);
      return;
    }
    const m = members[0]!;
    const kind = checker.isArrayType(m)
      ? 'array'
      : m.flags & (ts.TypeFlags.String | ts.TypeFlags.StringLiteral)
        ? 'string'
        : m.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)
          ? 'number'
          : m.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)
            ? 'boolean'
            : m.flags & ts.TypeFlags.Null
              ? 'null'
              : 'object';
    const schemaKinds = types.map((x) => (x === 'integer' ? 'number' : x));
    if (schemaKinds.length && !schemaKinds.includes(kind)) return void out.push(`${at}: the SDK says ${checker.typeToString(m)}, the schema ${JSON.stringify(sch.type)}`);
    if (allowed && kind !== 'object' && kind !== 'array') return; // a plain string against an enum: wider, not wrong
    if (kind === 'array') {
      const item = checker.getTypeArguments(m as ts.TypeReference)[0];
      if (item && sch.items) compare(item, sch.items, `${at}[]`, components, out, seen);
      return;
    }
    if (kind !== 'object') return;
    const props = checker.getPropertiesOfType(m);
    const schemaProps = sch.properties ?? {};
    const required = new Set(sch.required ?? []);
    const index = checker.getIndexInfoOfType(m, ts.IndexKind.String);
    if (!sch.properties && typeof sch.additionalProperties === 'object') {
      if (!index) return void out.push(`${at}: the schema is a map, the SDK's ${checker.typeToString(m)} is not`);
      return compare(index.type, sch.additionalProperties, `${at}{}`, components, out, seen);
    }
    if (!sch.properties) return; // `{type: object}` alone: any object
    for (const p of props) {
      const ps = schemaProps[p.name];
      if (!ps) {
        out.push(`${at}.${p.name}: in the SDK, not in the schema`);
        continue;
      }
      const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
      // A member of a union may require what the one schema leaves optional (its variant has it).
      if (optional === required.has(p.name) && !(member && !optional)) out.push(`${at}.${p.name}: ${optional ? 'optional in the SDK, required by the schema' : 'required by the SDK, optional in the schema'}`);
      compare(checker.getTypeOfSymbol(p), ps, `${at}.${p.name}`, components, out, seen, false, member);
    }
    const names = new Set(props.map((p) => p.name));
    if (!member) for (const k of Object.keys(schemaProps)) if (!names.has(k)) out.push(`${at}.${k}: in the schema, not in the SDK`);
  }

  const typeOf = (name: string) => {
    const t = byName.get(name);
    if (!t) throw new Error(`no shape named ${name}`);
    return t;
  };
  return {
    problems(value, name) {
      const out: string[] = [];
      check(typeOf(name), value, '$', out);
      return out;
    },
    schemaProblems(name, schema, components) {
      const out: string[] = [];
      compare(typeOf(name), schema, '$', components, out, new Set());
      return out;
    },
    has: (name) => byName.has(name),
    describe: (name) => checker.typeToString(typeOf(name)),
  };
}
