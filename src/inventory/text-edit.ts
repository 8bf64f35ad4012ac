import { isDeepStrictEqual } from 'node:util';
import { parseDocument } from 'yaml';
import { isMapping, type YamlPath } from './model.js';
import { deleteEntry, setEntry } from './splice.js';

export type EditOp =
  | { kind: 'set'; mapPath: YamlPath; key: string; value: unknown }
  | { kind: 'delete'; mapPath: YamlPath; key: string };

const toJS = (text: string): unknown => {
  const doc = parseDocument(text, { schema: 'core', uniqueKeys: true });
  if (doc.errors.length) throw new Error(doc.errors[0]!.message);
  return emptyAsNull(doc.toJS({ maxAliasCount: 100 }) ?? null);
};

/** `hosts:` emptied by a delete reads back as null where the data says {}: the same for an inventory. */
function emptyAsNull(v: unknown): unknown {
  if (!isMapping(v)) return v;
  const entries = Object.entries(v);
  return entries.length ? Object.fromEntries(entries.map(([k, x]) => [k, emptyAsNull(x)])) : null;
}

/** What the op means on plain data: the reference the text splice is checked against. */
function applyToData(data: unknown, op: EditOp): unknown {
  const root: Record<string, unknown> = isMapping(data) ? structuredClone(data) : {};
  let map = root;
  for (const k of op.mapPath) {
    const key = String(k);
    if (!isMapping(map[key])) {
      if (op.kind === 'delete') return root;
      map[key] = {};
    }
    map = map[key] as Record<string, unknown>;
  }
  if (op.kind === 'set') map[op.key] = op.value;
  else delete map[op.key];
  return root;
}

/**
 * Applies ops as byte-preserving splices. Each splice is re-parsed and compared with the op applied
 * to the parsed data, so a layout the splicer misjudges can never be written.
 */
export function applyEdits(text: string, ops: EditOp[]): string {
  // A CRLF file is edited as LF and converted back, so inserted lines match the rest.
  const crlf = text.includes('\r\n') && !/(^|[^\r])\n/.test(text);
  let cur = crlf ? text.replace(/\r\n/g, '\n') : text;
  for (const op of ops) {
    const want = applyToData(toJS(cur), op);
    const next = op.kind === 'set' ? setEntry(cur, op.mapPath, op.key, op.value) : deleteEntry(cur, op.mapPath, op.key);
    let got: unknown;
    try {
      got = toJS(next);
    } catch (e) {
      throw new Error(`internal: editing '${[...op.mapPath, op.key].join('.')}' produced invalid YAML (${(e as Error).message}); file left unchanged`);
    }
    if (!isDeepStrictEqual(got, emptyAsNull(want))) {
      throw new Error(`internal: editing '${[...op.mapPath, op.key].join('.')}' did not produce the intended structure; file left unchanged`);
    }
    cur = next;
  }
  return crlf ? cur.replace(/\n/g, '\r\n') : cur;
}
