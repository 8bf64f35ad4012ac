import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type ScalarTag } from 'yaml';
import { InputError, InputErrors, type SourcePos } from '../errors.js';
import { registerSecret } from '../vars/secrets.js';
import { noteInput } from './inputs.js';
import { isVaultText } from '../vault/cipher.js';
import { openVault } from '../vault/keyring.js';

/** A parsed YAML file that can say where any of its values came from. */
export interface YamlFile {
  path: string; // as shown to the user (relative to cwd when inside it)
  text: string;
  doc: Document.Parsed;
  value: unknown;
  /** Position of the node at a path of keys/indices (the nearest existing ancestor if absent). */
  posAt(path: ReadonlyArray<string | number>): SourcePos;
  /** Position of the key (not the value) at path, for unknown-key errors. */
  keyPosAt(path: ReadonlyArray<string | number>): SourcePos;
  /**
   * The whole file is vault-encrypted: 'open' (text and positions are the plaintext's), or 'shut'
   * (no password, in `fabric check`: value is null and nothing in it was checked).
   */
  vaulted?: 'open' | 'shut';
}

/** Ansible's `!vault |` tag: the scalar is vault text, opened once the document is parsed (it needs positions). */
const VAULT_TAG: ScalarTag = { tag: '!vault', resolve: (text: string) => text };

export function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
}

/**
 * The parser notices an unclosed quote only at the end of the file; point at the line where the
 * unmatched quote opens instead (the last line before the error with an odd number of them).
 */
function syntaxErrorPos(text: string, message: string, at: SourcePos): SourcePos {
  const q = /Missing closing (["'])quote/.exec(message)?.[1];
  if (!q) return at;
  const lines = text.split('\n').slice(0, at.line);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.replace(/\s#.*$/, ''); // a comment's quotes do not count
    const count = line.split(q).length - 1;
    if (count % 2 === 1) return { file: at.file, line: i + 1, col: line.indexOf(q) + 1 };
  }
  return at;
}

/**
 * YAML 1.2 core schema: `yes`/`no` stay strings (Ansible's YAML 1.1 coercion is a top complaint).
 * Duplicate keys are errors. Every error carries file:line:col.
 */
export function parseYaml(path: string, fileText: string): YamlFile {
  const shown = displayPath(path);
  let text = fileText;
  let vaulted: YamlFile['vaulted'];
  if (isVaultText(fileText)) {
    const plain = openVault(fileText, { file: shown, line: 1, col: 1 }, shown, true);
    if (plain === undefined) return shutFile(shown, fileText);
    text = plain;
    vaulted = 'open';
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, schema: 'core', uniqueKeys: true, prettyErrors: false, customTags: [VAULT_TAG] });
  const toPos = (offset: number): SourcePos => {
    const { line, col } = lc.linePos(offset);
    return { file: shown, line, col };
  };
  if (doc.errors.length) {
    throw new InputErrors(
      doc.errors.map((e) => new InputError(`YAML syntax: ${e.message.split('\n')[0]}`, syntaxErrorPos(text, e.message, toPos(e.pos[0])))),
    );
  }
  const inlineSecrets = openInlineVaults(doc, toPos);
  const nodeAt = (path: ReadonlyArray<string | number>, wantKey: boolean): number => {
    let node: unknown = doc.contents;
    let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
    for (const k of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === k);
        if (!pair) break;
        const key = pair.key as Node | null;
        const val = pair.value as Node | null;
        offset = (wantKey && k === path[path.length - 1] ? key?.range?.[0] : val?.range?.[0] ?? key?.range?.[0]) ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof k === 'number') {
        const item = node.items[k] as Node | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else break;
    }
    return offset;
  };
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  // Every value that came out of a vault is a secret: output masks it (src/vars/secrets.ts).
  if (vaulted) registerSecret(value);
  inlineSecrets.forEach(registerSecret);
  return {
    path: shown,
    text,
    doc,
    value,
    posAt: (p) => toPos(nodeAt(p, false)),
    keyPosAt: (p) => toPos(nodeAt(p, true)),
    vaulted,
  };
}

/** Replaces each `!vault` scalar's text by its plaintext (left as vault text when it stays shut); returns the plaintexts. */
function openInlineVaults(doc: Document.Parsed, toPos: (offset: number) => SourcePos): string[] {
  const plaintexts: string[] = [];
  const refused: InputError[] = [];
  visit(doc, {
    Scalar(_, node) {
      if (node.tag !== '!vault') return;
      const pos = toPos(node.range?.[0] ?? 0);
      const vaultText = String(node.value);
      const plain = openVault(vaultText.trimStart(), pos, 'the !vault value');
      if (plain === undefined) return;
      node.value = plain;
      plaintexts.push(plain);
    },
    Map(_, node) {
      if (node.tag === '!vault') refused.push(new InputError('!vault tags a string (the block ansible-vault encrypt_string prints), not a mapping', toPos(node.range?.[0] ?? 0)));
    },
    Seq(_, node) {
      if (node.tag === '!vault') refused.push(new InputError('!vault tags a string (the block ansible-vault encrypt_string prints), not a list', toPos(node.range?.[0] ?? 0)));
    },
  });
  if (refused.length) throw new InputErrors(refused);
  return plaintexts;
}

/** A vault-encrypted file no password opened (`fabric check` without one): no value, positions at its start. */
function shutFile(shown: string, text: string): YamlFile {
  const doc = parseDocument('', { schema: 'core' }) as Document.Parsed;
  const start = (): SourcePos => ({ file: shown, line: 1, col: 1 });
  return { path: shown, text, doc, value: null, posAt: start, keyPosAt: start, vaulted: 'shut' };
}

export function readYamlFile(path: string, ref?: SourcePos): YamlFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
    noteInput(path, text);
  } catch (e) {
    throw new InputError(`cannot read ${displayPath(path)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, ref);
  }
  return parseYaml(path, text);
}

/** A few lines around pos with a caret under the column, printed under an error. */
export function codeFrame(file: YamlFile, pos: SourcePos): string {
  if (file.vaulted) return ''; // its lines are the vault's plaintext: not for an error message
  const lines = file.text.split('\n');
  const from = Math.max(0, pos.line - 3);
  const to = Math.min(lines.length, pos.line + 1);
  const out: string[] = [];
  for (let i = from; i < to; i++) {
    const n = String(i + 1).padStart(4);
    out.push(`${i + 1 === pos.line ? '>' : ' '}${n} | ${lines[i]}`);
    if (i + 1 === pos.line) out.push(`      | ${' '.repeat(Math.max(0, pos.col - 1))}^`);
  }
  return out.join('\n');
}
