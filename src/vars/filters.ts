/** Jinja's and Ansible's filters (`x | length`, `l | map(attribute='name') | join(',')`), by Ansible's rules. */
import { createHash, randomInt } from 'node:crypto';
import { homedir } from 'node:os';
import { encrypt as cryptHash } from 'unixcrypt';
import { parseAllDocuments, parse as yamlParse, stringify as yamlStringify } from 'yaml';
import { quote } from '../quote.js';
import { def, regexArg, wantList, wantNumber, wantString, type Callable } from './callable.js';
import { jsonDumps, str } from './py.js';
import { pySub } from './py-regex.js';
import { TESTS } from './tests.js';
import { compare, equals, getOwn, isPlainObject, truthy, typeName, Undef } from './values.js';

type Filter = Callable<unknown>;
const f = (min: number, max: number, fn: Filter['fn'], more: Parameters<typeof def>[3] = {}): Filter => def(min, max, fn, more);

const emptyUndef = (what: string): Undef => new Undef(what, `${what} of an empty list is undefined`);

function lengthOf(v: unknown): number {
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (isPlainObject(v)) return Object.keys(v).length;
  throw new Error(`length of ${typeName(v)} is not defined`);
}

/** Ansible's bool: None and booleans as they are; yes/on/1/true (any case) and 1 are true; the rest false. */
export function toBool(v: unknown): boolean | null {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1;
  if (typeof v === 'string') return ['yes', 'on', '1', 'true'].includes(v.toLowerCase());
  return false;
}

/** Jinja's int/float: the fallback when the value does not read as a number. */
function toNumber(v: unknown, integer: boolean, fallback: unknown, base = 10): unknown {
  let n = NaN;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'boolean') n = v ? 1 : 0;
  else if (typeof v === 'string' && v.trim() !== '') {
    const s = v.trim().replace(/_/g, '');
    if (integer && base !== 10) n = /^[+-]?[0-9a-z]+$/i.test(s) ? parseInt(s.replace(/^([+-]?)0[xob]/i, '$1'), base) : NaN;
    else n = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s) || /^[+-]?(inf|infinity|nan)$/i.test(s) ? Number(s.replace(/inf(inity)?/i, 'Infinity').replace(/nan/i, 'NaN')) : NaN;
  }
  if (Number.isNaN(n)) return fallback;
  return integer ? Math.trunc(n) : n;
}

/** An item's attribute by a dotted path ("a.b", "0"), as Jinja's attribute= arguments read it. */
function attribute(item: unknown, path: unknown): unknown {
  let cur = item;
  for (const k of String(path).split('.')) {
    cur = /^\d+$/.test(k) && Array.isArray(cur) ? getOwn(cur, Number(k)) : getOwn(cur, k);
    if (cur === undefined) return new Undef(String(path), `the item has no attribute '${String(path)}'`);
  }
  return cur;
}

/** Jinja sorts and compares strings case-insensitively unless told otherwise. */
const sortKey = (caseSensitive: unknown, attr: unknown) => (x: unknown) => {
  const v = attr === undefined || attr === null ? x : attribute(x, attr);
  if (v instanceof Undef) throw new Error(v.message);
  return typeof v === 'string' && caseSensitive !== true ? v.toLowerCase() : v;
};

function uniqueBy(l: unknown[], key: (x: unknown) => unknown): unknown[] {
  const seen: unknown[] = [];
  const out: unknown[] = [];
  for (const x of l) {
    const k = key(x);
    if (seen.some((s) => equals(s, k))) continue;
    seen.push(k);
    out.push(x);
  }
  return out;
}

function extreme(which: 'min' | 'max') {
  return (v: unknown, _a: unknown[], kw: Record<string, unknown>) => {
    const l = wantList(v, which);
    if (!l.length) return emptyUndef(which);
    const key = sortKey(kw.case_sensitive, kw.attribute);
    return l.reduce((best, x) => {
      const c = compare(key(x), key(best));
      return (which === 'min' ? c < 0 : c > 0) ? x : best;
    });
  };
}

function flatten(l: unknown[], levels: number | undefined, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const x of l) {
    if (skipNulls && (x === null || x === 'None')) continue;
    if (Array.isArray(x) && (levels === undefined || levels > 0)) out.push(...flatten(x, levels === undefined ? undefined : levels - 1, skipNulls));
    else out.push(x);
  }
  return out;
}

function combine(a: Record<string, unknown>, b: Record<string, unknown>, recursive: boolean, listMerge: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const old = out[k];
    if (recursive && isPlainObject(old) && isPlainObject(v)) out[k] = combine(old, v, true, listMerge);
    else if (Array.isArray(old) && Array.isArray(v) && listMerge !== 'replace') {
      const merged: Record<string, unknown[]> = {
        keep: old,
        append: [...old, ...v],
        prepend: [...v, ...old],
        append_rp: [...old.filter((x) => !v.some((y) => equals(x, y))), ...v],
        prepend_rp: [...v, ...old.filter((x) => !v.some((y) => equals(x, y)))],
      };
      if (!merged[listMerge]) throw new Error(`combine: list_merge must be one of replace, keep, append, prepend, append_rp, prepend_rp`);
      out[k] = merged[listMerge];
    } else out[k] = v;
  }
  return out;
}

/** Python's str.split(sep, maxsplit): no sep splits on runs of whitespace. */
export function pySplit(s: string, sep: unknown, maxsplit: unknown = -1, fromRight = false): string[] {
  const max = maxsplit === undefined || maxsplit === null ? -1 : wantNumber(maxsplit, 'split maxsplit');
  if (sep === undefined || sep === null) {
    const words = s.trim().split(/\s+/).filter(Boolean);
    if (max < 0 || words.length <= max + 1) return words;
    if (fromRight) {
      const rest = s.trimEnd().match(new RegExp(`^(.*?)((?:\\s+\\S+){${max}})$`, 's'));
      return [rest![1]!.trimEnd(), ...rest![2]!.trim().split(/\s+/)];
    }
    const head = s.trimStart().match(new RegExp(`^((?:\\S+\\s+){${max}})(.*)$`, 's'));
    return [...head![1]!.trim().split(/\s+/), head![2]!];
  }
  const d = wantString(sep, 'split separator');
  if (d === '') throw new Error('empty separator');
  const all = s.split(d);
  if (max < 0 || all.length <= max + 1) return all;
  return fromRight ? [all.slice(0, all.length - max).join(d), ...all.slice(all.length - max)] : [...all.slice(0, max), all.slice(max).join(d)];
}

function regexSearch(v: unknown, args: unknown[], kw: Record<string, unknown>): unknown {
  const [re, ...groups] = args;
  const m = regexArg(re, { ignorecase: kw.ignorecase, multiline: kw.multiline }).exec(wantString(v, 'regex_search'));
  if (!m) return null;
  if (!groups.length) return m[0];
  return groups.map((g) => {
    const s = wantString(g, 'regex_search group');
    const n = /^\\(\d+)$/.exec(s);
    const named = /^\\g<(\w+)>$/.exec(s);
    if (n) return m[Number(n[1])] ?? null;
    if (named) return m.groups?.[named[1]!] ?? null;
    throw new Error(`regex_search: a group is '\\\\1' or '\\\\g<name>', not '${s}'`);
  });
}

function regexFindall(v: unknown, [re, multiline, ignorecase]: unknown[]): unknown[] {
  const rx = regexArg(re, { global: true, ignorecase, multiline });
  return [...wantString(v, 'regex_findall').matchAll(rx)].map((m) => (m.length === 1 ? m[0] : m.length === 2 ? (m[1] ?? '') : m.slice(1).map((g) => g ?? '')));
}

function mapFilter(v: unknown, args: unknown[], kw: Record<string, unknown>): unknown[] {
  const l = isPlainObject(v) ? Object.keys(v) : wantList(v, 'map');
  if (kw.attribute !== undefined) {
    return l.map((x) => {
      const a = attribute(x, kw.attribute);
      if (!(a instanceof Undef)) return a;
      if (kw.default !== undefined) return kw.default;
      throw new Error(`map: ${a.message}`);
    });
  }
  const [name, ...rest] = args;
  const filter = FILTERS[wantString(name, 'map filter name')];
  if (!filter || name === 'map') throw new Error(`map: unknown filter '${String(name)}'`);
  return l.map((x) => filter.fn(x, rest, {}));
}

function selectBy(keep: boolean, byAttr: boolean) {
  return (v: unknown, args: unknown[]): unknown[] => {
    const [attr, ...rest] = byAttr ? args : [undefined, ...args];
    const [name, ...testArgs] = rest;
    const l = isPlainObject(v) ? Object.keys(v) : wantList(v, 'select');
    const test = name === undefined ? undefined : TESTS[wantString(name, 'test name')];
    if (name !== undefined && !test) throw new Error(`unknown test '${String(name)}'`);
    return l.filter((x) => {
      const value = byAttr ? attribute(x, attr) : x;
      const ok = test ? (value instanceof Undef && !test.acceptsUndefined ? false : test.fn(value, testArgs, {})) : !(value instanceof Undef) && truthy(value);
      return ok === keep;
    });
  };
}

function setOp(v: unknown, other: unknown, what: string, keepIn: boolean | 'union' | 'xor'): unknown[] {
  const a = wantList(v, what);
  const b = wantList(other, what);
  const same = (x: unknown) => x;
  if (keepIn === 'union') return uniqueBy([...a, ...b], same);
  if (keepIn === 'xor') return uniqueBy([...a.filter((x) => !b.some((y) => equals(x, y))), ...b.filter((x) => !a.some((y) => equals(x, y)))], same);
  return uniqueBy(a.filter((x) => b.some((y) => equals(x, y)) === keepIn), same);
}

function digest(algorithm: string, v: unknown): string {
  try {
    return createHash(algorithm).update(str(v)).digest('hex');
  } catch {
    throw new Error(`unknown hash type '${algorithm}'`);
  }
}

const CRYPT_SALT = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CRYPT_IDS: Record<string, string> = { sha512: '6', sha512_crypt: '6', sha256: '5', sha256_crypt: '5' };

/** Ansible's password_hash: crypt(3) SHA-512 or SHA-256 (unixcrypt), a random 16-character salt unless given. */
function passwordHash(v: unknown, [type = 'sha512', salt, , rounds]: unknown[]): string {
  const id = CRYPT_IDS[wantString(type, 'password_hash type')];
  if (!id) throw new Error(`password_hash: unsupported hash type '${String(type)}' (fabric has sha512 and sha256)`);
  const s = salt === undefined || salt === null ? Array.from({ length: 16 }, () => CRYPT_SALT[randomInt(CRYPT_SALT.length)]).join('') : wantString(salt, 'password_hash salt');
  const r = rounds === undefined || rounds === null ? '' : `rounds=${wantNumber(rounds, 'password_hash rounds')}$`;
  return cryptHash(str(v), `$${id}$${r}${s}`);
}

/** Python's os.path.basename/dirname (posix). */
const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);
function dirname(p: string): string {
  const head = p.slice(0, p.lastIndexOf('/') + 1);
  return head && !/^\/+$/.test(head) ? head.replace(/\/+$/, '') : head;
}

const defaultFilter = f(0, 2, (v, [fallback = '', onFalsy = false]) => (v instanceof Undef || (onFalsy === true && !truthy(v)) ? fallback : v), {
  acceptsUndefined: true,
  names: ['default_value', 'boolean'],
});

export const FILTERS: Record<string, Filter> = {
  default: defaultFilter,
  d: defaultFilter,
  mandatory: f(
    0,
    1,
    (v, [msg]) => {
      if (v instanceof Undef) throw new Error(msg === undefined ? `Mandatory variable '${v.name}' not defined.` : str(msg));
      return v;
    },
    { acceptsUndefined: true, names: ['msg'] },
  ),
  length: f(0, 0, lengthOf),
  count: f(0, 0, lengthOf),
  bool: f(0, 0, toBool),
  int: f(0, 2, (v, [fallback = 0, base = 10]) => toNumber(v, true, fallback, wantNumber(base, 'int base')), { names: ['default', 'base'] }),
  float: f(0, 1, (v, [fallback = 0]) => toNumber(v, false, fallback), { names: ['default'] }),
  string: f(0, 0, str),
  list: f(0, 0, (v) => (isPlainObject(v) ? Object.keys(v) : typeof v === 'string' ? [...v] : [...wantList(v, 'list')])),
  lower: f(0, 0, (v) => str(v).toLowerCase()),
  upper: f(0, 0, (v) => str(v).toUpperCase()),
  capitalize: f(0, 0, (v) => {
    const s = str(v);
    return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
  }),
  title: f(0, 0, (v) => str(v).toLowerCase().replace(/(^|[^A-Za-z0-9'])([a-z])/g, (_m, a: string, b: string) => a + b.toUpperCase())),
  trim: f(0, 1, (v, [chars]) => {
    const s = str(v);
    if (chars === undefined) return s.trim();
    const set = wantString(chars, 'trim chars');
    let i = 0;
    let j = s.length;
    while (i < j && set.includes(s[i]!)) i++;
    while (j > i && set.includes(s[j - 1]!)) j--;
    return s.slice(i, j);
  }, { names: ['chars'] }),
  replace: f(2, 3, (v, [a, b, count]) => {
    const s = str(v);
    const from = wantString(a, 'replace');
    const to = wantString(b, 'replace');
    if (count === undefined || count === null) return s.split(from).join(to);
    const parts = s.split(from);
    const n = wantNumber(count, 'replace count');
    return parts.slice(0, n + 1).join(to) + (parts.length > n + 1 ? from + parts.slice(n + 1).join(from) : '');
  }, { names: ['old', 'new', 'count'] }),
  split: f(0, 2, (v, [sep, maxsplit]) => pySplit(wantString(v, 'split'), sep, maxsplit), { names: ['sep', 'maxsplit'] }),
  join: f(0, 1, (v, [sep = ''], kw) => wantList(typeof v === 'string' ? [...v] : v, 'join').map((x) => str(kw.attribute === undefined ? x : attribute(x, kw.attribute))).join(str(sep)), { names: ['d'], keywords: ['attribute'] }),
  regex_replace: f(
    0,
    4,
    (v, [re = '', replacement = '', ignorecase, multiline]) => pySub(regexArg(re, { global: true, ignorecase, multiline }), wantString(replacement, 'regex_replace replacement'), str(v)).text,
    { names: ['pattern', 'replacement', 'ignorecase', 'multiline'] },
  ),
  regex_search: f(1, Infinity, regexSearch, { keywords: ['ignorecase', 'multiline'] }),
  regex_findall: f(1, 3, regexFindall, { names: ['regex', 'multiline', 'ignorecase'] }),
  // Python 3.7+'s re.escape: only the characters special in a pattern
  regex_escape: f(0, 0, (v) => str(v).replace(/[()[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]/g, '\\$&')),
  first: f(0, 0, (v) => {
    const s = typeof v === 'string' ? v : wantList(v, 'first');
    return s.length ? s[0] : emptyUndef('first');
  }),
  last: f(0, 0, (v) => {
    const s = typeof v === 'string' ? v : wantList(v, 'last');
    return s.length ? s[s.length - 1] : emptyUndef('last');
  }),
  min: f(0, 0, extreme('min'), { keywords: ['attribute', 'case_sensitive'] }),
  max: f(0, 0, extreme('max'), { keywords: ['attribute', 'case_sensitive'] }),
  sum: f(0, 2, (v, [attr, start = 0]) => wantList(v, 'sum').reduce((acc: unknown, x) => {
    const n = attr === undefined || attr === null ? x : attribute(x, attr);
    if (Array.isArray(acc) && Array.isArray(n)) return [...acc, ...n];
    return wantNumber(acc, 'sum') + wantNumber(n, 'sum');
  }, start), { names: ['attribute', 'start'] }),
  abs: f(0, 0, (v) => Math.abs(wantNumber(v, 'abs'))),
  round: f(0, 2, (v, [precision = 0, method = 'common']) => {
    const p = 10 ** wantNumber(precision, 'round precision');
    const x = wantNumber(v, 'round') * p;
    // Python's round(): halves go to the even neighbour (2.5 -> 2, 3.5 -> 4)
    const even = Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x);
    const r = method === 'ceil' ? Math.ceil(x) : method === 'floor' ? Math.floor(x) : even;
    return r / p;
  }, { names: ['precision', 'method'] }),
  unique: f(0, 0, (v, _a, kw) => uniqueBy(wantList(v, 'unique'), sortKey(kw.case_sensitive, kw.attribute)), { keywords: ['case_sensitive', 'attribute'] }),
  sort: f(0, 2, (v, [reverse = false, caseSensitive = false], kw) => {
    const key = sortKey(caseSensitive, kw.attribute);
    const sorted = [...wantList(v, 'sort')].sort((a, b) => compare(key(a), key(b)));
    return reverse === true ? sorted.reverse() : sorted;
  }, { names: ['reverse', 'case_sensitive'], keywords: ['attribute'] }),
  reverse: f(0, 0, (v) => (typeof v === 'string' ? [...v].reverse().join('') : [...wantList(v, 'reverse')].reverse())),
  flatten: f(0, 2, (v, [levels, skipNulls = true]) => flatten(wantList(v, 'flatten'), levels === undefined || levels === null ? undefined : wantNumber(levels, 'flatten levels'), skipNulls !== false), { names: ['levels', 'skip_nulls'] }),
  difference: f(1, 1, (v, [b]) => setOp(v, b, 'difference', false)),
  intersect: f(1, 1, (v, [b]) => setOp(v, b, 'intersect', true)),
  union: f(1, 1, (v, [b]) => setOp(v, b, 'union', 'union')),
  symmetric_difference: f(1, 1, (v, [b]) => setOp(v, b, 'symmetric_difference', 'xor')),
  zip: f(1, Infinity, (v, others) => {
    const lists = [wantList(v, 'zip'), ...others.map((o) => wantList(o, 'zip'))];
    return Array.from({ length: Math.min(...lists.map((l) => l.length)) }, (_x, i) => lists.map((l) => l[i]));
  }),
  map: f(0, Infinity, mapFilter, { keywords: ['attribute', 'default'] }),
  select: f(0, Infinity, selectBy(true, false)),
  reject: f(0, Infinity, selectBy(false, false)),
  selectattr: f(1, Infinity, selectBy(true, true)),
  rejectattr: f(1, Infinity, selectBy(false, true)),
  dict2items: f(0, 2, (v, [key = 'key', value = 'value']) => {
    if (!isPlainObject(v)) throw new Error(`dict2items needs a mapping, got ${typeName(v)}`);
    return Object.entries(v).map(([k, x]) => ({ [str(key)]: k, [str(value)]: x }));
  }, { names: ['key_name', 'value_name'] }),
  items2dict: f(0, 2, (v, [key = 'key', value = 'value']) =>
    Object.fromEntries(
      wantList(v, 'items2dict').map((x) => {
        const k = getOwn(x, str(key));
        if (k === undefined) throw new Error(`items2dict: an item has no '${str(key)}'`);
        return [str(k), getOwn(x, str(value)) ?? null];
      }),
    ), { names: ['key_name', 'value_name'] }),
  items: f(0, 0, (v) => {
    if (!isPlainObject(v)) throw new Error(`items needs a mapping, got ${typeName(v)}`);
    return Object.entries(v);
  }),
  combine: f(0, Infinity, (v, others, kw) => {
    const all = [v, ...flatten(others, undefined, false)];
    for (const d of all) if (!isPlainObject(d)) throw new Error(`combine needs mappings, got ${typeName(d)}`);
    return (all as Array<Record<string, unknown>>).reduce((a, b) => combine(a, b, kw.recursive === true, str(kw.list_merge ?? 'replace')));
  }, { keywords: ['recursive', 'list_merge'] }),
  to_json: f(0, 0, (v, _a, kw) => jsonDumps(v, { indent: kw.indent as number | undefined, sortKeys: kw.sort_keys === true }), { keywords: ['indent', 'sort_keys'] }),
  to_nice_json: f(0, 0, (v, _a, kw) => jsonDumps(v, { indent: (kw.indent as number | undefined) ?? 4, sortKeys: kw.sort_keys !== false }), { keywords: ['indent', 'sort_keys'] }),
  from_json: f(0, 0, (v) => {
    try {
      return JSON.parse(wantString(v, 'from_json')) as unknown;
    } catch (e) {
      throw new Error(`from_json: ${(e as Error).message}`);
    }
  }),
  to_yaml: f(0, 0, (v, _a, kw) => yamlStringify(v ?? null, { indent: (kw.indent as number | undefined) ?? 2 }), { keywords: ['indent'] }),
  to_nice_yaml: f(0, 0, (v, _a, kw) => yamlStringify(v ?? null, { indent: (kw.indent as number | undefined) ?? 4 }), { keywords: ['indent'] }),
  from_yaml: f(0, 0, (v) => yamlParse(wantString(v, 'from_yaml')) as unknown),
  from_yaml_all: f(0, 0, (v) => parseAllDocuments(wantString(v, 'from_yaml_all')).map((d) => d.toJS() as unknown)),
  b64encode: f(0, 1, (v, [encoding = 'utf-8']) => Buffer.from(str(v), encodingOf(encoding)).toString('base64'), { names: ['encoding'] }),
  b64decode: f(0, 1, (v, [encoding = 'utf-8']) => Buffer.from(wantString(v, 'b64decode'), 'base64').toString(encodingOf(encoding)), { names: ['encoding'] }),
  hash: f(0, 1, (v, [type = 'sha1']) => digest(wantString(type, 'hash type'), v), { names: ['hashtype'] }),
  checksum: f(0, 0, (v) => digest('sha1', v)),
  sha1: f(0, 0, (v) => digest('sha1', v)),
  md5: f(0, 0, (v) => digest('md5', v)),
  password_hash: f(0, 4, passwordHash, { names: ['hashtype', 'salt', 'salt_size', 'rounds'] }),
  basename: f(0, 0, (v) => basename(wantString(v, 'basename'))),
  dirname: f(0, 0, (v) => dirname(wantString(v, 'dirname'))),
  expanduser: f(0, 0, (v) => wantString(v, 'expanduser').replace(/^~(?=\/|$)/, homedir())),
  quote: f(0, 0, (v) => quote(str(v))),
  ternary: f(2, 3, (v, [yes, no, none]) => (v === null && none !== undefined ? none : truthy(v) ? yes : no), { names: ['true_val', 'false_val', 'none_val'] }),
  type_debug: f(0, 0, (v) => ({ string: 'str', int: 'int', float: 'float', bool: 'bool', none: 'NoneType', list: 'list', mapping: 'dict' })[typeName(v)] ?? typeName(v)),
  keys: f(0, 0, (v) => {
    if (!isPlainObject(v)) throw new Error(`keys needs a mapping, got ${typeName(v)}`);
    return Object.keys(v);
  }),
};

function encodingOf(e: unknown): BufferEncoding {
  const map: Record<string, BufferEncoding> = { 'utf-8': 'utf8', utf8: 'utf8', 'utf-16-le': 'utf16le', 'utf-16le': 'utf16le', ascii: 'ascii', latin1: 'latin1', 'latin-1': 'latin1' };
  const enc = map[wantString(e, 'encoding').toLowerCase()];
  if (!enc) throw new Error(`unsupported encoding '${String(e)}'`);
  return enc;
}
