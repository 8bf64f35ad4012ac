/** Jinja's and Ansible's tests (`x is defined`, `r is failed`, `v is version('1.30', '>=')`). */
import { existsSync, lstatSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { def, regexArg, wantString, type Callable } from './callable.js';
import { str } from './py.js';
import { compare, equals, isPlainObject, truthy, typeName, Undef } from './values.js';

/** Ordered membership in the Python sense: item of a list, substring of a string, key of a mapping. */
export function contains(container: unknown, item: unknown): boolean {
  if (Array.isArray(container)) return container.some((x) => equals(x, item));
  if (typeof container === 'string') return container.includes(wantString(item, "'in' on a string"));
  if (isPlainObject(container)) return typeof item === 'string' && Object.hasOwn(container, item);
  throw new Error(`'in' needs a list, string or mapping on the right, got ${typeName(container)}`);
}

/** Version comparison as Ansible's default (loose): numeric parts compare as numbers ("1.10" > "1.9"). */
function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.match(/\d+|[a-z]+/gi) ?? [];
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    const c = nx && ny ? Number(x) - Number(y) : nx ? 1 : ny ? -1 : x < y ? -1 : x > y ? 1 : 0;
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

/** A task result (registered): Ansible's result tests need a mapping. */
function result(v: unknown, test: string): Record<string, unknown> {
  if (!isPlainObject(v)) throw new Error(`the '${test}' test needs a task result (a mapping), got ${typeName(v)}`);
  return v;
}

const failed = (v: unknown) => truthy(result(v, 'failed').failed);
const changed = (v: unknown): boolean => {
  const r = result(v, 'changed');
  if (Object.hasOwn(r, 'changed')) return truthy(r.changed);
  return Array.isArray(r.results) && r.results.some((x) => isPlainObject(x) && truthy(x.changed));
};
const skipped = (v: unknown) => truthy(result(v, 'skipped').skipped);

type Test = Callable<boolean>;
const t = (min: number, max: number, fn: Test['fn'], more: Parameters<typeof def<boolean>>[3] = {}): Test => def(min, max, fn, more);
const path = (v: unknown, what: string) => wantString(v, `the '${what}' test`);
const stat = (p: string) => {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
};

export const TESTS: Record<string, Test> = {
  defined: t(0, 0, (v) => !(v instanceof Undef), { acceptsUndefined: true }),
  undefined: t(0, 0, (v) => v instanceof Undef, { acceptsUndefined: true }),
  none: t(0, 0, (v) => v === null),
  true: t(0, 0, (v) => v === true),
  false: t(0, 0, (v) => v === false),
  boolean: t(0, 0, (v) => typeof v === 'boolean'),
  string: t(0, 0, (v) => typeof v === 'string'),
  number: t(0, 0, (v) => typeof v === 'number'),
  integer: t(0, 0, (v) => Number.isInteger(v)),
  float: t(0, 0, (v) => typeof v === 'number' && !Number.isInteger(v)),
  mapping: t(0, 0, (v) => isPlainObject(v)),
  sequence: t(0, 0, (v) => Array.isArray(v) || typeof v === 'string' || isPlainObject(v)),
  iterable: t(0, 0, (v) => Array.isArray(v) || typeof v === 'string' || isPlainObject(v)),
  lower: t(0, 0, (v) => typeof v === 'string' && v === v.toLowerCase()),
  upper: t(0, 0, (v) => typeof v === 'string' && v === v.toUpperCase()),
  truthy: t(0, 0, (v) => truthy(v)),
  falsy: t(0, 0, (v) => !truthy(v)),
  even: t(0, 0, (v) => Number.isInteger(v) && (v as number) % 2 === 0),
  odd: t(0, 0, (v) => Number.isInteger(v) && Math.abs(v as number) % 2 === 1),
  divisibleby: t(1, 1, (v, [n]) => typeof v === 'number' && typeof n === 'number' && n !== 0 && v % n === 0),
  eq: t(1, 1, (v, [x]) => equals(v, x)),
  equalto: t(1, 1, (v, [x]) => equals(v, x)),
  '==': t(1, 1, (v, [x]) => equals(v, x)),
  ne: t(1, 1, (v, [x]) => !equals(v, x)),
  '!=': t(1, 1, (v, [x]) => !equals(v, x)),
  lt: t(1, 1, (v, [x]) => compare(v, x) < 0),
  '<': t(1, 1, (v, [x]) => compare(v, x) < 0),
  '<=': t(1, 1, (v, [x]) => compare(v, x) <= 0),
  '>': t(1, 1, (v, [x]) => compare(v, x) > 0),
  '>=': t(1, 1, (v, [x]) => compare(v, x) >= 0),
  lessthan: t(1, 1, (v, [x]) => compare(v, x) < 0),
  le: t(1, 1, (v, [x]) => compare(v, x) <= 0),
  gt: t(1, 1, (v, [x]) => compare(v, x) > 0),
  greaterthan: t(1, 1, (v, [x]) => compare(v, x) > 0),
  ge: t(1, 1, (v, [x]) => compare(v, x) >= 0),
  in: t(1, 1, (v, [seq]) => contains(seq, v)),
  contains: t(1, 1, (v, [x]) => contains(v, x)),
  subset: t(1, 1, (v, [big]) => Array.isArray(v) && Array.isArray(big) && v.every((x) => contains(big, x))),
  superset: t(1, 1, (v, [small]) => Array.isArray(v) && Array.isArray(small) && small.every((x) => contains(v, x))),
  match: t(1, 3, (v, [re, ignorecase, multiline]) => regexArg(re, { anchored: true, ignorecase, multiline }).test(wantString(v, "'match'")), { names: ['pattern', 'ignorecase', 'multiline'] }),
  search: t(1, 3, (v, [re, ignorecase, multiline]) => regexArg(re, { ignorecase, multiline }).test(wantString(v, "'search'")), { names: ['pattern', 'ignorecase', 'multiline'] }),
  regex: t(1, 4, (v, [re, ignorecase, multiline, type = 'search']) => regexArg(re, { anchored: type === 'match', ignorecase, multiline }).test(wantString(v, "'regex'")), { names: ['pattern', 'ignorecase', 'multiline', 'match_type'] }),
  version: t(
    1,
    3,
    (v, [other, op = '==']) => {
      const check = VERSION_OPS[wantString(op, 'version operator')];
      if (!check) throw new Error(`unknown version operator '${String(op)}'`);
      return check(compareVersions(str(v), str(other)));
    },
    { names: ['version', 'operator', 'strict'], keywords: ['version_type'] },
  ),
  failed: t(0, 0, failed),
  failure: t(0, 0, failed),
  succeeded: t(0, 0, (v) => !failed(v)),
  success: t(0, 0, (v) => !failed(v)),
  successful: t(0, 0, (v) => !failed(v)),
  changed: t(0, 0, changed),
  change: t(0, 0, changed),
  skipped: t(0, 0, skipped),
  skip: t(0, 0, skipped),
  // Paths on the machine fabric runs on, as Ansible's (they never look at a managed host).
  exists: t(0, 0, (v) => existsSync(path(v, 'exists'))),
  file: t(0, 0, (v) => stat(path(v, 'file'))?.isFile() ?? false),
  directory: t(0, 0, (v) => stat(path(v, 'directory'))?.isDirectory() ?? false),
  link: t(0, 0, (v) => {
    try {
      return lstatSync(path(v, 'link')).isSymbolicLink();
    } catch {
      return false;
    }
  }),
  abs: t(0, 0, (v) => isAbsolute(path(v, 'abs'))),
};
