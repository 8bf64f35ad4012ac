/**
 * lineinfile and blockinfile as pure functions over the file's text, following Ansible's
 * lib/ansible/modules/{lineinfile,blockinfile}.py step by step, so results match Ansible's.
 * The module fetches the text in its probe and writes back only when the result differs.
 */
import { expandTemplate, pyRegex, type PyRegex } from '../../vars/py-regex.js';

export { expandTemplate, pyRegex };

/** Python's readlines(): lines split after each \n, ends kept. */
export function readLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
    out.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/** Python's str.splitlines(True): \r\n, \r and \n all end a line. */
export function splitLinesKeepEnds(text: string): string[] {
  return text.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
}

const stripEol = (l: string) => l.replace(/[\r\n]+$/, '');

/** Python's `re.search` on a line read with its end: `$` also matches before a final \n. */
function searchLine(re: RegExp, line: string): RegExpExecArray | null {
  return re.exec(line) ?? (line.endsWith('\n') ? re.exec(line.slice(0, -1)) : null);
}

export interface LineInFileArgs {
  line?: string;
  regexp?: string;
  search_string?: string;
  state: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
  backrefs?: boolean;
  firstmatch?: boolean;
}

export interface EditResult {
  text: string;
  changed: boolean;
  msg: string;
  found?: number;
}

/** lineinfile on the file's text (null: the file does not exist yet). */
export function lineInFile(before: string | null, a: LineInFileArgs): EditResult {
  return a.state === 'absent' ? lineAbsent(before ?? '', a) : linePresent(before ?? '', a);
}

function lineAbsent(text: string, a: LineInFileArgs): EditResult {
  const re = a.regexp !== undefined ? pyRegex(a.regexp).re : undefined;
  let found = 0;
  const kept = readLines(text).filter((l) => {
    const hit = re ? !!searchLine(re, l) : a.search_string !== undefined ? l.includes(a.search_string) : stripEol(l) === a.line;
    if (hit) found++;
    return !hit;
  });
  return { text: kept.join(''), changed: found > 0, msg: found ? `${found} line(s) removed` : '', found };
}

function linePresent(text: string, a: LineInFileArgs): EditResult {
  const lines = readLines(text);
  const line = a.line ?? '';
  let insertafter = a.insertafter;
  const insertbefore = a.insertbefore;
  if (insertafter === undefined && insertbefore === undefined) insertafter = 'EOF';
  let ins: RegExp | undefined;
  if (insertafter !== undefined && insertafter !== 'BOF' && insertafter !== 'EOF') ins = pyRegex(insertafter).re;
  else if (insertbefore !== undefined && insertbefore !== 'BOF') ins = pyRegex(insertbefore).re;

  let idx0 = -1;
  let idx1 = -1;
  let match: RegExpExecArray | null = null;
  let searchHit = false;
  if (a.regexp !== undefined) {
    const re = pyRegex(a.regexp).re;
    for (let i = 0; i < lines.length; i++) {
      const m = searchLine(re, lines[i]!);
      if (m) {
        idx0 = i;
        match = m;
        if (a.firstmatch) break;
      }
    }
  }
  if (a.search_string !== undefined) {
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.includes(a.search_string)) {
        idx0 = i;
        searchHit = true;
        if (a.firstmatch) break;
      }
    }
  }
  if (!match && !searchHit) {
    for (let i = 0; i < lines.length; i++) {
      const cur = lines[i]!;
      if (line === stripEol(cur)) {
        idx0 = i;
      } else if (ins && searchLine(ins, cur)) {
        if (insertafter !== undefined) {
          idx1 = i + 1;
          if (a.firstmatch) break;
        }
        if (insertbefore !== undefined) {
          idx1 = i;
          if (a.firstmatch) break;
        }
      }
    }
  }

  const added = (t: string[]): EditResult => ({ text: t.join(''), changed: true, msg: 'line added' });
  const same: EditResult = { text, changed: false, msg: '' };
  const noEol = (t: string[]) => t.length > 0 && !/[\r\n]$/.test(t[t.length - 1]!);

  if (idx0 !== -1) {
    let newLine = a.backrefs && match ? expandTemplate(line, match) : line;
    if (!newLine.endsWith('\n')) newLine += '\n';
    if (lines[idx0] !== newLine) {
      lines[idx0] = newLine;
      return { text: lines.join(''), changed: true, msg: 'line replaced' };
    }
    return same;
  }
  if (a.backrefs) return same; // Ansible: never generate a line whose backrefs did not match
  if (insertbefore === 'BOF' || insertafter === 'BOF') return added([line + '\n', ...lines]);
  if (insertafter === 'EOF' || idx1 === -1) {
    if (noEol(lines)) lines.push('\n');
    lines.push(line + '\n');
    return added(lines);
  }
  if (insertafter !== undefined && idx1 !== -1) {
    if (lines.length === idx1) {
      if (stripEol(lines[idx1 - 1]!) === line) return same;
      lines.push(line + '\n');
      return added(lines);
    }
    if (line === stripEol(lines[idx1]!)) return same;
    lines.splice(idx1, 0, line + '\n');
    return added(lines);
  }
  lines.splice(idx1, 0, line + '\n');
  return added(lines);
}

export interface BlockInFileArgs {
  block: string;
  marker: string;
  marker_begin: string;
  marker_end: string;
  state: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
  append_newline?: boolean;
  prepend_newline?: boolean;
}

/** blockinfile on the file's text (null: the file does not exist yet). */
export function blockInFile(original: string | null, a: BlockInFileArgs): EditResult {
  const lines = original === null ? [] : splitLinesKeepEnds(original);
  const present = a.state === 'present';
  let insertafter = a.insertafter;
  const insertbefore = a.insertbefore;
  if (insertbefore === undefined && insertafter === undefined) insertafter = 'EOF';
  let insert: PyRegex | undefined;
  if (insertafter !== undefined && insertafter !== 'EOF') insert = pyRegex(insertafter);
  else if (insertbefore !== undefined && insertbefore !== 'BOF') insert = pyRegex(insertbefore);

  const marker0 = a.marker.split('{mark}').join(a.marker_begin) + '\n';
  const marker1 = a.marker.split('{mark}').join(a.marker_end) + '\n';
  let blocklines: string[] = [];
  if (present && a.block) {
    const block = a.block.endsWith('\n') ? a.block : a.block + '\n';
    blocklines = [marker0, ...splitLinesKeepEnds(block), marker1];
  }

  let n0: number | undefined;
  let n1: number | undefined;
  lines.forEach((l, i) => {
    if (l === marker0) n0 = i;
    if (l === marker1) n1 = i;
  });

  if (n0 === undefined || n1 === undefined) {
    n0 = undefined;
    if (insert) {
      if (insert.multiline) {
        const text = original ?? '';
        const m = insert.re.exec(text);
        if (m) {
          const at = insertafter !== undefined ? m.index + m[0].length : m.index;
          n0 = (text.slice(0, at).match(/\n/g) ?? []).length;
        }
      } else {
        lines.forEach((l, i) => {
          if (searchLine(insert!.re, l)) n0 = i;
        });
      }
      if (n0 === undefined) n0 = lines.length;
      else if (insertafter !== undefined) n0 += 1;
    } else if (insertbefore !== undefined) n0 = 0;
    else n0 = lines.length;
  } else if (n0 < n1) {
    lines.splice(n0, n1 - n0 + 1);
  } else {
    lines.splice(n1, n0 - n1 + 1);
    n0 = n1;
  }

  if (n0 > 0 && !lines[n0 - 1]!.endsWith('\n')) lines[n0 - 1] += '\n';
  if (a.prepend_newline && present && n0 !== 0 && lines[n0 - 1] !== '\n') {
    lines.splice(n0, 0, '\n');
    n0 += 1;
  }
  lines.splice(n0, 0, ...blocklines);
  if (a.append_newline && present) {
    const after = n0 + blocklines.length;
    if (after < lines.length && lines[after] !== '\n') lines.splice(after, 0, '\n');
  }
  const result = lines.join('');
  if (original === result) return { text: result, changed: false, msg: '' };
  if (original === null) return { text: result, changed: true, msg: 'File created' };
  return { text: result, changed: true, msg: blocklines.length ? 'Block inserted' : 'Block removed' };
}
