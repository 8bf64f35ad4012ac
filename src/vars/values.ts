/** Value semantics shared by templates and conditions: Python-like truth, equality, safe lookup. */

/** Keys that lead to prototypes or constructors: never readable, even when an own property. */
const BLOCKED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * `obj[key]` restricted to data: own properties of plain objects, indices (and length) of arrays
 * and strings. Anything else, including everything inherited, reads as undefined.
 */
export function getOwn(obj: unknown, key: string | number): unknown {
  const k = String(key);
  if (BLOCKED_KEYS.has(k)) return undefined;
  if (Array.isArray(obj) || typeof obj === 'string') {
    if (k === 'length') return obj.length;
    if (!/^(0|[1-9]\d*)$/.test(k)) return undefined;
    const i = Number(k);
    return i < obj.length ? obj[i] : undefined;
  }
  if (isPlainObject(obj) && Object.hasOwn(obj, k)) return obj[k];
  return undefined;
}

/** Python/Jinja truthiness: empty containers, 0, '', null and undefined are false; 'false' is not. */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false) return false;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'string' || Array.isArray(v)) return v.length > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

/** Deep structural equality of data values (Python `==` on JSON-like values). */
export function equals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equals(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && equals(a[k], b[k]));
  }
  return false;
}

/** Python-ish type names for error messages. */
export function typeName(v: unknown): string {
  if (v === null) return 'none';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (isPlainObject(v)) return 'mapping';
  return typeof v;
}

/** Ordering for `<`/`>`: numbers with numbers, strings with strings; anything else is an error. */
export function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new Error(`cannot compare ${typeName(a)} with ${typeName(b)}`);
}

/** A variable (or key) that does not exist; only `is defined`, `default` and friends accept one. */
export class Undef {
  /** `name` is the variable as written (a.b); message says why it is undefined. */
  constructor(
    readonly name: string,
    readonly message = `undefined variable '${name}'`,
  ) {}
}
