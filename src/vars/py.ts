/** Python's way of printing values, where Ansible users see it: str(), json.dumps() and the kinds of value. */
import { isPlainObject } from './values.js';

/** Python's str() of a scalar (True/False/None); lists and mappings as JSON (fabric's choice, see README). */
export function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v);
}

/** What a mustache writes into text: str(), except that None writes nothing (Ansible's finalize). */
export function textOf(v: unknown): string {
  return v === null || v === undefined ? '' : str(v);
}

/** A string literal as json.dumps writes it (ensure_ascii: non-ASCII as \uXXXX). */
function jsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface DumpOptions {
  indent?: number;
  sortKeys?: boolean;
}

/**
 * Python's json.dumps: `{"a": 1, "b": [1, 2]}` (", " and ": " between items), or with indent the
 * layout of json.dumps(indent=N) (as Ansible's to_nice_json calls it: "," at line ends).
 */
export function jsonDumps(v: unknown, o: DumpOptions = {}): string {
  const nl = (depth: number) => (o.indent === undefined ? '' : '\n' + ' '.repeat(o.indent * depth));
  const sep = o.indent === undefined ? ', ' : ',';
  const dump = (x: unknown, depth: number): string => {
    if (x === null || x === undefined) return 'null';
    if (typeof x === 'boolean') return String(x);
    if (typeof x === 'number') {
      if (Number.isNaN(x)) return 'NaN';
      if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
      return String(x);
    }
    if (typeof x === 'string') return jsonString(x);
    if (Array.isArray(x)) {
      if (!x.length) return '[]';
      return `[${x.map((e) => nl(depth + 1) + dump(e, depth + 1)).join(sep)}${nl(depth)}]`;
    }
    if (isPlainObject(x)) {
      const keys = Object.keys(x);
      if (o.sortKeys) keys.sort();
      if (!keys.length) return '{}';
      return `{${keys.map((k) => `${nl(depth + 1)}${jsonString(k)}: ${dump(x[k], depth + 1)}`).join(sep)}${nl(depth)}}`;
    }
    throw new Error(`cannot write ${typeof x} as JSON`);
  };
  return dump(v, 0);
}
