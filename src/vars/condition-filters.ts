/** Filters (`x | length`) and tests (`x is defined`) of condition expressions, Jinja/Ansible-like. */
import { compare, equals, isPlainObject, truthy, typeName } from './values.js';

/** A variable (or key) that does not exist; only `is defined`, `default` and friends accept one. */
export class Undef {
  /** `name` is the variable as written (a.b); message says why it is undefined. */
  constructor(
    readonly name: string,
    readonly message = `undefined variable '${name}'`,
  ) {}
}

const emptyUndef = (what: string): Undef => new Undef(what, `${what} of an empty list is undefined`);

export interface Callable<R> {
  min: number; // argument counts, not counting the piped/tested value
  max: number;
  acceptsUndefined?: boolean;
  fn(v: unknown, args: unknown[]): R;
}

/** Python's str(): True/False/None, lists and mappings as JSON. */
export function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null) return 'None';
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v);
}

function wantString(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what} needs a string, got ${typeName(v)}`);
  return v;
}

function wantList(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what} needs a list, got ${typeName(v)}`);
  return v;
}

function lengthOf(v: unknown): number {
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (isPlainObject(v)) return Object.keys(v).length;
  throw new Error(`length of ${typeName(v)} is not defined`);
}

/** Ansible's bool: true for true, 1 and the strings yes/on/1/true (any case); false otherwise. */
export function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1;
  if (typeof v === 'string') return ['yes', 'on', '1', 'true'].includes(v.trim().toLowerCase());
  return false;
}

function toNumber(v: unknown, integer: boolean, fallback: unknown): unknown {
  let n = NaN;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'boolean') n = v ? 1 : 0;
  else if (typeof v === 'string' && v.trim() !== '') n = Number(v.trim());
  if (!Number.isFinite(n)) return fallback;
  return integer ? Math.trunc(n) : n;
}

/** Ordered membership in the Python sense: item of a list, substring of a string, key of a mapping. */
export function contains(container: unknown, item: unknown): boolean {
  if (Array.isArray(container)) return container.some((x) => equals(x, item));
  if (typeof container === 'string') return container.includes(wantString(item, "'in' on a string"));
  if (isPlainObject(container)) return typeof item === 'string' && Object.hasOwn(container, item);
  throw new Error(`'in' needs a list, string or mapping on the right, got ${typeName(container)}`);
}

function regex(pattern: unknown, anchored: boolean): RegExp {
  const p = wantString(pattern, 'a regular expression');
  try {
    return new RegExp(anchored ? `^(?:${p})` : p);
  } catch (e) {
    throw new Error(`invalid regular expression '${p}': ${(e as Error).message}`);
  }
}

/** Dotted version comparison: numeric parts compare as numbers ("1.10" > "1.9"). */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.\-+_]/);
  const pb = b.split(/[.\-+_]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const c = /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return 0;
}

const VERSION_OPS: Record<string, (c: number) => boolean> = {
  '<': (c) => c < 0, lt: (c) => c < 0, '<=': (c) => c <= 0, le: (c) => c <= 0,
  '>': (c) => c > 0, gt: (c) => c > 0, '>=': (c) => c >= 0, ge: (c) => c >= 0,
  '==': (c) => c === 0, '=': (c) => c === 0, eq: (c) => c === 0,
  '!=': (c) => c !== 0, '<>': (c) => c !== 0, ne: (c) => c !== 0,
};

const test = (min: number, max: number, fn: (v: unknown, args: unknown[]) => boolean, acceptsUndefined = false): Callable<boolean> => ({ min, max, fn, acceptsUndefined });

export const TESTS: Record<string, Callable<boolean>> = {
  defined: test(0, 0, (v) => !(v instanceof Undef), true),
  undefined: test(0, 0, (v) => v instanceof Undef, true),
  none: test(0, 0, (v) => v === null),
  true: test(0, 0, (v) => v === true),
  false: test(0, 0, (v) => v === false),
  boolean: test(0, 0, (v) => typeof v === 'boolean'),
  string: test(0, 0, (v) => typeof v === 'string'),
  number: test(0, 0, (v) => typeof v === 'number'),
  integer: test(0, 0, (v) => Number.isInteger(v)),
  float: test(0, 0, (v) => typeof v === 'number' && !Number.isInteger(v)),
  mapping: test(0, 0, (v) => isPlainObject(v)),
  sequence: test(0, 0, (v) => Array.isArray(v) || typeof v === 'string'),
  iterable: test(0, 0, (v) => Array.isArray(v) || typeof v === 'string' || isPlainObject(v)),
  truthy: test(0, 0, (v) => truthy(v)),
  falsy: test(0, 0, (v) => !truthy(v)),
  even: test(0, 0, (v) => Number.isInteger(v) && (v as number) % 2 === 0),
  odd: test(0, 0, (v) => Number.isInteger(v) && Math.abs(v as number) % 2 === 1),
  divisibleby: test(1, 1, (v, [n]) => typeof v === 'number' && typeof n === 'number' && n !== 0 && v % n === 0),
  eq: test(1, 1, (v, [x]) => equals(v, x)),
  equalto: test(1, 1, (v, [x]) => equals(v, x)),
  ne: test(1, 1, (v, [x]) => !equals(v, x)),
  in: test(1, 1, (v, [seq]) => contains(seq, v)),
  contains: test(1, 1, (v, [x]) => contains(v, x)),
  match: test(1, 1, (v, [re]) => regex(re, true).test(wantString(v, "'match'"))),
  search: test(1, 1, (v, [re]) => regex(re, false).test(wantString(v, "'search'"))),
  regex: test(1, 1, (v, [re]) => regex(re, false).test(wantString(v, "'regex'"))),
  version: test(1, 2, (v, [other, op = '==']) => {
    const check = VERSION_OPS[wantString(op, 'version operator')];
    if (!check) throw new Error(`unknown version operator '${String(op)}'`);
    return check(compareVersions(str(v), str(other)));
  }),
};

function selectBy(keep: boolean) {
  return (v: unknown, [name, ...args]: unknown[]): unknown[] => {
    const t = TESTS[wantString(name, 'select/reject test name')];
    if (!t || t.acceptsUndefined) throw new Error(`unknown test '${String(name)}'`);
    return wantList(v, 'select/reject').filter((x) => t.fn(x, args) === keep);
  };
}

const filter = (min: number, max: number, fn: (v: unknown, args: unknown[]) => unknown, acceptsUndefined = false): Callable<unknown> => ({ min, max, fn, acceptsUndefined });

const defaultFilter = filter(0, 2, (v, [fallback = '', onFalsy = false]) => (v instanceof Undef || (onFalsy === true && !truthy(v)) ? fallback : v), true);

export const FILTERS: Record<string, Callable<unknown>> = {
  length: filter(0, 0, lengthOf),
  count: filter(0, 0, lengthOf),
  default: defaultFilter,
  d: defaultFilter,
  bool: filter(0, 0, toBool),
  int: filter(0, 1, (v, [fallback = 0]) => toNumber(v, true, fallback)),
  float: filter(0, 1, (v, [fallback = 0]) => toNumber(v, false, fallback)),
  string: filter(0, 0, str),
  lower: filter(0, 0, (v) => str(v).toLowerCase()),
  upper: filter(0, 0, (v) => str(v).toUpperCase()),
  trim: filter(0, 0, (v) => str(v).trim()),
  from_json: filter(0, 0, (v) => {
    try {
      return JSON.parse(wantString(v, 'from_json')) as unknown;
    } catch (e) {
      throw new Error(`from_json: ${(e as Error).message}`);
    }
  }),
  to_json: filter(0, 0, (v) => JSON.stringify(v)),
  first: filter(0, 0, (v) => {
    const s = typeof v === 'string' ? v : wantList(v, 'first');
    return s.length ? s[0] : emptyUndef('first');
  }),
  last: filter(0, 0, (v) => {
    const s = typeof v === 'string' ? v : wantList(v, 'last');
    return s.length ? s[s.length - 1] : emptyUndef('last');
  }),
  keys: filter(0, 0, (v) => {
    if (!isPlainObject(v)) throw new Error(`keys needs a mapping, got ${typeName(v)}`);
    return Object.keys(v);
  }),
  list: filter(0, 0, (v) => (isPlainObject(v) ? Object.keys(v) : typeof v === 'string' ? [...v] : [...wantList(v, 'list')])),
  split: filter(0, 1, (v, [sep]) => {
    const s = wantString(v, 'split');
    return sep === undefined ? s.split(/\s+/).filter(Boolean) : s.split(wantString(sep, 'split separator'));
  }),
  join: filter(0, 1, (v, [sep = '']) => wantList(v, 'join').map(str).join(wantString(sep, 'join separator'))),
  unique: filter(0, 0, (v) => wantList(v, 'unique').filter((x, i, all) => all.findIndex((y) => equals(x, y)) === i)),
  min: filter(0, 0, (v) => {
    const l = wantList(v, 'min');
    return l.length ? [...l].sort(compare)[0] : emptyUndef('min');
  }),
  max: filter(0, 0, (v) => {
    const l = wantList(v, 'max');
    return l.length ? [...l].sort(compare)[l.length - 1] : emptyUndef('max');
  }),
  abs: filter(0, 0, (v) => {
    if (typeof v !== 'number') throw new Error(`abs needs a number, got ${typeName(v)}`);
    return Math.abs(v);
  }),
  replace: filter(2, 2, (v, [a, b]) => wantString(v, 'replace').split(wantString(a, 'replace')).join(wantString(b, 'replace'))),
  select: filter(1, 3, selectBy(true)),
  reject: filter(1, 3, selectBy(false)),
};
