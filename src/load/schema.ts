import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, Options, ValidateFunction } from 'ajv';
import { InputError, type SourcePos } from '../errors.js';

/** One set of ajv options, for the validators compiled at build time and at run time alike. */
export const AJV_OPTIONS: Options = { allErrors: true, verbose: true, strict: false, allowUnionTypes: true };

/** File the build writes next to this one (scripts/build-validators.mjs): key -> validator. */
export const PRECOMPILED_FILE = 'validators.generated.cjs';

const require = createRequire(import.meta.url);
const compiled = new WeakMap<object, ValidateFunction>();
let precompiled: Record<string, ValidateFunction> | null | undefined;
let ajv: Ajv | undefined;

/** A schema's identity across processes: the hash of its JSON text. */
export function schemaKey(schema: object): string {
  return `v${createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 24)}`;
}

/**
 * The schema's validator: precompiled by the build (no ajv at run time: loading ajv and compiling
 * the schemas cost more than 100 ms of every run), else compiled now (tests running the sources,
 * or a schema the build did not know).
 */
export function compileSchema(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    if (precompiled === undefined) {
      try {
        precompiled = require(`./${PRECOMPILED_FILE}`) as Record<string, ValidateFunction>;
      } catch {
        precompiled = null;
      }
    }
    v = precompiled?.[schemaKey(schema)];
    if (!v) {
      const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
      ajv ??= new AjvClass(AJV_OPTIONS);
      v = ajv.compile(schema);
    }
    compiled.set(schema, v);
  }
  return v;
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/** The closest candidate to a mistyped name, if it is close enough to be a typo. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dd = distance(name.toLowerCase(), c.toLowerCase());
    if (dd < bestD) [best, bestD] = [c, dd];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** Where a value lives, for errors: a position finder over the YAML file plus the base path. */
export interface Locator {
  posAt(path: ReadonlyArray<string | number>): SourcePos;
  keyPosAt(path: ReadonlyArray<string | number>): SourcePos;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `play[1].tasks`, `copy.dest`: where in the value a violation is. */
function describe(what: string, rel: ReadonlyArray<string | number>): string {
  return what + rel.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
}

/** One readable line per schema violation, placed at the key or value it concerns. */
function toInputError(e: ErrorObject, loc: Locator, base: ReadonlyArray<string | number>, what: string): InputError {
  const rel = pointerToPath(e.instancePath);
  const path = [...base, ...rel];
  const at = describe(what, rel);
  switch (e.keyword) {
    case 'anyOf':
    case 'oneOf':
      return new InputError(`${at} must be ${(e.parentSchema as { expected: string }).expected}, not ${JSON.stringify(e.data)}`, loc.posAt(path));
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = didYouMean(key, allowed);
      return new InputError(
        `unknown key '${key}' in ${at}`,
        loc.keyPosAt([...path, key]),
        guess ? `did you mean '${guess}'?` : allowed.length ? `allowed: ${allowed.join(', ')}` : undefined,
      );
    }
    case 'required':
      return new InputError(`${at} is missing required key '${(e.params as { missingProperty: string }).missingProperty}'`, path.length ? loc.keyPosAt(path) : loc.posAt(path));
    case 'enum':
      return new InputError(
        `${at} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}, not ${JSON.stringify(e.data)}`,
        loc.posAt(path),
      );
    case 'type':
      return new InputError(`${at} must be ${(e.params as { type: string }).type}, not ${JSON.stringify(e.data)}`, loc.posAt(path));
    default:
      return new InputError(`${at} ${e.message ?? 'is invalid'}`, loc.posAt(path));
  }
}

/**
 * Validates value against schema; returns InputErrors (empty when valid). `oneOf`/`anyOf` noise is
 * dropped in favour of the most specific messages.
 */
/**
 * A choice (anyOf/oneOf) one of whose branches failed only on deferred values (a list of
 * templated package names against `array of pattern`) may hold after rendering: it and
 * everything under it are dropped, to be judged then.
 */
function withoutDeferredChoices(errors: ErrorObject[], deferValue: ((v: unknown) => boolean) | undefined): ErrorObject[] {
  if (!deferValue) return errors;
  const dropped = new Set<string>();
  for (const c of errors) {
    if (c.keyword !== 'anyOf' && c.keyword !== 'oneOf') continue;
    const byBranch = new Map<string, ErrorObject[]>();
    for (const e of errors) {
      const m = e.schemaPath.startsWith(`${c.schemaPath}/`) ? /^(\d+)\//.exec(e.schemaPath.slice(c.schemaPath.length + 1)) : null;
      if (m) byBranch.set(m[1]!, [...(byBranch.get(m[1]!) ?? []), e]);
    }
    if ([...byBranch.values()].some((es) => es.every((e) => deferValue(e.data)))) dropped.add(c.schemaPath);
  }
  return errors.filter((e) => ![...dropped].some((d) => e.schemaPath === d || e.schemaPath.startsWith(`${d}/`)));
}

export function schemaErrors(
  schema: object,
  value: unknown,
  loc: Locator,
  base: ReadonlyArray<string | number> = [],
  what = 'value',
  /** Values this predicate accepts are not judged (templates, known only per host at run time). */
  deferValue?: (v: unknown) => boolean,
): InputError[] {
  const validate = compileSchema(schema);
  if (validate(value)) return [];
  const all = withoutDeferredChoices(validate.errors ?? [], deferValue);
  if (!all.length) return [];
  // A choice that says in words what it expects (`expected`) is one error, not one per branch.
  const said = all.filter((e) => (e.keyword === 'anyOf' || e.keyword === 'oneOf') && typeof (e.parentSchema as { expected?: unknown } | undefined)?.expected === 'string');
  const under = (e: ErrorObject, c: ErrorObject) => e !== c && e.schemaPath.startsWith(c.schemaPath.replace(/\/(anyOf|oneOf)$/, '/'));
  const errs = all.filter(
    (e) =>
      (said.includes(e) || (e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if')) &&
      !said.some((c) => under(e, c)) &&
      !(deferValue && e.keyword !== 'additionalProperties' && e.keyword !== 'required' && deferValue(e.data)),
  );
  if (!errs.length && deferValue) return [];
  const seen = new Set<string>();
  const out: InputError[] = [];
  for (const e of errs.length ? errs : all) {
    const ie = toInputError(e, loc, base, what);
    if (!seen.has(ie.located)) {
      seen.add(ie.located);
      out.push(ie);
    }
  }
  return out;
}
