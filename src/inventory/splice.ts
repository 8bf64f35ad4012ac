import { isAlias, isMap, isScalar, isSeq, parseDocument, stringify, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { InputError } from '../errors.js';
import type { YamlPath } from './model.js';

/**
 * Minimal text edits of a YAML mapping tree, located through the yaml Document's node ranges, so
 * comments, blank lines, quoting and flow style everywhere else stay byte-for-byte. (String(doc)
 * re-renders the whole file: it moves comments and re-spaces flow maps.)
 */

const parse = (text: string): Document.Parsed => parseDocument(text, { schema: 'core', uniqueKeys: true });

const lineStart = (t: string, i: number): number => t.lastIndexOf('\n', i - 1) + 1;
function lineEnd(t: string, i: number): number {
  const n = t.indexOf('\n', i);
  return n < 0 ? t.length : n;
}
const column = (t: string, i: number): number => i - lineStart(t, i);

/** Offset just past the last character of a node's own content (not trailing comments/blank lines). */
function contentEnd(node: unknown): number | undefined {
  if (isMap(node) || isSeq(node)) {
    const n = node as YAMLMap | { flow?: boolean; items: unknown[]; range?: [number, number, number] };
    if (n.flow || !n.items.length) return n.range?.[1];
    const last = n.items[n.items.length - 1];
    if (isMap(node)) {
      const p = last as Pair<Node, Node | null>;
      return contentEnd(p.value) ?? (p.key as Node).range?.[1];
    }
    return contentEnd(last);
  }
  return (node as Node | null)?.range?.[1];
}

function endOfLineAfter(t: string, end: number): number {
  return lineEnd(t, end > 0 && t[end - 1] === '\n' ? end - 1 : end);
}

const isNullNode = (n: unknown): boolean => n === null || (isScalar(n) && n.value === null);

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const PLAIN_SAFE = /^[A-Za-z0-9_./][A-Za-z0-9_. /:-]*$/;

/** One-line YAML 1.2 core text for a value: nested values in flow style, strings quoted when needed. */
function inlineValue(v: unknown, flow = false): string {
  if (Array.isArray(v)) return `[${v.map((x) => inlineValue(x, true)).join(', ')}]`;
  if (isPlainObject(v)) return `{${Object.entries(v).map(([k, x]) => `${inlineValue(k, true)}: ${inlineValue(x, true)}`).join(', ')}}`;
  if (typeof v === 'string') {
    if (v.includes('\n')) return JSON.stringify(v);
    // In flow context `,` `{` `[` and friends end a plain scalar: quote unless clearly safe.
    if (flow && !(PLAIN_SAFE.test(v) && !v.endsWith(' ') && !v.includes(': ') && parse(v).toJS() === v)) return JSON.stringify(v);
  }
  if (v === null || v === undefined) return 'null';
  return stringify(v, { lineWidth: 0, schema: 'core' }).trimEnd();
}


/** `key: value` lines at indent; nested plain objects become block maps, lists stay flow. */
function blockEntry(key: string, v: unknown, indent: number, step: number): string {
  const pad = ' '.repeat(indent);
  if (v === null) return `${pad}${inlineValue(key)}:`;
  if (isPlainObject(v) && Object.keys(v).length) {
    return [`${pad}${inlineValue(key)}:`, ...Object.entries(v).map(([k, x]) => blockEntry(k, x, indent + step, step))].join('\n');
  }
  return `${pad}${inlineValue(key)}: ${inlineValue(v)}`;
}

function flowEntry(key: string, v: unknown): string {
  return v === null ? `${inlineValue(key, true)}: ` : `${inlineValue(key, true)}: ${inlineValue(v, true)}`;
}

/** The document's indentation step (first nested block map), 2 when there is none. */
function indentStep(doc: Document.Parsed, text: string): number {
  let step = 0;
  const walk = (n: unknown): void => {
    if (step || !isMap(n) || n.flow) return;
    for (const p of n.items) {
      if (isMap(p.value) && !p.value.flow && p.value.items.length && isScalar(p.key) && p.key.range) {
        const child = p.value.items[0]!.key as Node;
        step = column(text, child.range![0]) - column(text, p.key.range[0]);
        if (step > 0) return;
        step = 0;
      }
      walk(p.value);
    }
  };
  walk(doc.contents);
  return step || 2;
}

interface Located {
  node: unknown; // the node at path, or null when the value is empty
  pair?: Pair<Node, Node | null>; // the pair holding it (absent for the root)
  parent?: YAMLMap; // the map holding pair
}

/** Walks map keys; stops at the deepest existing node. Aliases are refused: editing one edits every use. */
function locate(doc: Document.Parsed, path: YamlPath): { at: Located; depth: number } {
  let at: Located = { node: doc.contents };
  let depth = 0;
  for (const k of path) {
    if (isAlias(at.node)) throw new InputError(`cannot edit inside a YAML alias at '${path.slice(0, depth).join('.')}'`);
    if (!isMap(at.node)) break;
    const pair = (at.node as YAMLMap<Node, Node | null>).items.find((p) => isScalar(p.key) && p.key.value === k);
    if (!pair) break;
    at = { node: pair.value, pair, parent: at.node as YAMLMap };
    depth++;
  }
  if (isAlias(at.node)) throw new InputError(`cannot edit a YAML alias at '${path.slice(0, depth).join('.')}'`);
  return { at, depth };
}

const nest = (keys: YamlPath, leafKey: string, value: unknown): [string, unknown] => {
  let v: unknown = { [leafKey]: value };
  for (let i = keys.length - 1; i >= 1; i--) v = { [String(keys[i])]: v };
  return keys.length ? [String(keys[0]), v] : [leafKey, value];
};

/** Sets key to value in the mapping at mapPath, creating missing mappings; returns the new text. */
export function setEntry(text: string, mapPath: YamlPath, key: string, value: unknown): string {
  const doc = parse(text);
  const step = indentStep(doc, text);
  const { at, depth } = locate(doc, [...mapPath, key]);
  if (depth === mapPath.length + 1) return replaceValue(text, at, value);
  const [k, v] = nest(mapPath.slice(depth), key, value);
  const { node, pair, parent } = at;
  if (isMap(node)) return appendEntry(text, node, k, v, step);
  if (isNullNode(node)) return fillEmpty(text, node as Node | null, pair, parent, k, v, step);
  throw new InputError(`cannot add '${key}' under '${mapPath.slice(0, depth).join('.')}': it is not a mapping`);
}

function replaceValue(text: string, at: Located, value: unknown): string {
  const key = at.pair!.key as Node;
  const colon = text.indexOf(':', key.range![1]);
  const old = at.node as Node | null;
  const flowCtx = at.parent?.flow === true;
  // An empty value has a zero-width range (at a following comment): keep the spacing before the comment.
  const end = old?.range && old.range[1] > old.range[0] ? contentEnd(old)! : colon + 1;
  const rendered = inlineValue(value, flowCtx);
  return `${text.slice(0, colon + 1)} ${rendered}${text.slice(end)}`;
}

function appendEntry(text: string, map: YAMLMap, key: string, value: unknown, step: number): string {
  if (map.flow) {
    const close = text.lastIndexOf('}', map.range![1] - 1);
    const before = text.slice(map.range![0] + 1, close).trimEnd();
    const sep = map.items.length && !before.endsWith(',') ? ', ' : before.endsWith(',') ? ' ' : '';
    const cut = map.range![0] + 1 + before.length;
    return `${text.slice(0, cut)}${sep}${flowEntry(key, value)}${text.slice(cut)}`;
  }
  if (!map.items.length) throw new InputError('cannot edit an empty block mapping');
  const indent = column(text, (map.items[0]!.key as Node).range![0]);
  const at = endOfLineAfter(text, contentEnd(map)!);
  return `${text.slice(0, at)}\n${blockEntry(key, value, indent, step)}${text.slice(at)}`;
}

/** Turns an empty value (`key:`, `key: ~`, an empty document) into a mapping holding key. */
function fillEmpty(text: string, node: Node | null, pair: Pair<Node, Node | null> | undefined, parent: YAMLMap | undefined, key: string, value: unknown, step: number): string {
  if (!pair) {
    const sep = text === '' || text.endsWith('\n') ? '' : '\n';
    return `${text}${sep}${blockEntry(key, value, 0, step)}\n`;
  }
  const keyNode = pair.key as Node;
  const colon = text.indexOf(':', keyNode.range![1]);
  let t = text;
  const r = node?.range;
  const hasToken = r && r[1] > r[0]; // `~` or `null` written out
  if (parent?.flow) {
    const from = hasToken ? r[0] : colon + 1;
    const to = hasToken ? r[1] : colon + 1;
    return `${t.slice(0, from)}${hasToken ? '' : ' '}{${flowEntry(key, value)}}${t.slice(to)}`;
  }
  let cut = colon + 1;
  if (hasToken) {
    t = t.slice(0, colon + 1) + t.slice(r[1]).replace(/^[ \t]+(?=\n|$)/, '');
    cut = colon + 1;
  }
  const at = lineEnd(t, cut);
  const indent = column(t, keyNode.range![0]) + step;
  return `${t.slice(0, at)}\n${blockEntry(key, value, indent, step)}${t.slice(at)}`;
}

/** Removes key (and its whole value) from the mapping at mapPath; returns the new text. */
export function deleteEntry(text: string, mapPath: YamlPath, key: string): string {
  const doc = parse(text);
  const { at, depth } = locate(doc, [...mapPath, key]);
  if (depth !== mapPath.length + 1) throw new Error(`internal: no '${[...mapPath, key].join('.')}' to delete`);
  const keyNode = at.pair!.key as Node;
  const end = contentEnd(at.node) ?? keyNode.range![1];
  if (at.parent!.flow) {
    const after = text.slice(end).match(/^\s*,\s*/);
    if (after) return text.slice(0, keyNode.range![0]) + text.slice(end + after[0].length);
    const before = text.slice(0, keyNode.range![0]).match(/,\s*$/);
    return text.slice(0, keyNode.range![0] - (before?.[0].length ?? 0)) + text.slice(end);
  }
  const from = lineStart(text, keyNode.range![0]);
  const to = Math.min(text.length, endOfLineAfter(text, end) + 1);
  return text.slice(0, from) + text.slice(to);
}
