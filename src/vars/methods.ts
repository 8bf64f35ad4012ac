/** The Python methods Ansible users call on values (`x.split(',')`, `d.get('k', 1)`, `s.startswith('k8s')`): data only. */
import { wantList, wantNumber, wantString } from './callable.js';
import { pySplit } from './filters.js';
import { str } from './py.js';
import { equals, getOwn, isPlainObject, typeName } from './values.js';

type Method = (self: never, args: unknown[]) => unknown;

function strip(s: string, chars: unknown, left: boolean, right: boolean): string {
  if (chars === undefined || chars === null) return left && right ? s.trim() : left ? s.trimStart() : s.trimEnd();
  const set = wantString(chars, 'strip chars');
  let i = 0;
  let j = s.length;
  while (left && i < j && set.includes(s[i]!)) i++;
  while (right && j > i && set.includes(s[j - 1]!)) j--;
  return s.slice(i, j);
}

const prefixes = (p: unknown): string[] => (Array.isArray(p) ? p.map((x) => wantString(x, 'startswith/endswith')) : [wantString(p, 'startswith/endswith')]);

const STRING: Record<string, Method> = {
  split: (s: string, [sep, max]) => pySplit(s, sep, max),
  rsplit: (s: string, [sep, max]) => pySplit(s, sep, max, true),
  splitlines: (s: string) => s.split(/\r\n|\r|\n/).filter((l, i, all) => i < all.length - 1 || l !== ''),
  startswith: (s: string, [p]) => prefixes(p).some((x) => s.startsWith(x)),
  endswith: (s: string, [p]) => prefixes(p).some((x) => s.endsWith(x)),
  strip: (s: string, [c]) => strip(s, c, true, true),
  lstrip: (s: string, [c]) => strip(s, c, true, false),
  rstrip: (s: string, [c]) => strip(s, c, false, true),
  lower: (s: string) => s.toLowerCase(),
  upper: (s: string) => s.toUpperCase(),
  replace: (s: string, [a, b]) => s.split(wantString(a, 'replace')).join(wantString(b, 'replace')),
  find: (s: string, [x]) => s.indexOf(wantString(x, 'find')),
  count: (s: string, [x]) => s.split(wantString(x, 'count')).length - 1,
  join: (s: string, [l]) => wantList(l, 'join').map((x) => wantString(x, 'join item')).join(s),
  isdigit: (s: string) => /^\d+$/.test(s),
  isalpha: (s: string) => /^[A-Za-z]+$/.test(s),
  zfill: (s: string, [n]) => s.padStart(wantNumber(n, 'zfill'), '0'),
};

const MAPPING: Record<string, Method> = {
  keys: (d: Record<string, unknown>) => Object.keys(d),
  values: (d: Record<string, unknown>) => Object.values(d),
  items: (d: Record<string, unknown>) => Object.entries(d),
  get: (d: Record<string, unknown>, [k, fallback = null]) => getOwn(d, str(k)) ?? fallback,
};

const LIST: Record<string, Method> = {
  index: (l: unknown[], [x]) => {
    const i = l.findIndex((y) => equals(x, y));
    if (i < 0) throw new Error(`${str(x)} is not in the list`);
    return i;
  },
  count: (l: unknown[], [x]) => l.filter((y) => equals(x, y)).length,
};

export const METHOD_NAMES = new Set([...Object.keys(STRING), ...Object.keys(MAPPING), ...Object.keys(LIST)]);

export function callMethod(self: unknown, name: string, args: unknown[]): unknown {
  const table = typeof self === 'string' ? STRING : isPlainObject(self) ? MAPPING : Array.isArray(self) ? LIST : undefined;
  const m = table && Object.hasOwn(table, name) ? table[name] : undefined;
  if (!m) throw new Error(`${typeName(self)} has no method '${name}'`);
  return m(self as never, args);
}

/** Functions an expression may call by name. */
export const GLOBALS: Record<string, (args: unknown[]) => unknown> = {
  range: (args) => {
    const [a, b, step = 1] = args.map((x) => wantNumber(x, 'range'));
    const [start, stop] = b === undefined ? [0, a!] : [a!, b];
    if (step === 0) throw new Error('range step must not be zero');
    const out: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
      out.push(i);
      if (out.length > 100_000) throw new Error('range is too long (over 100000 items)');
    }
    return out;
  },
};
