import { quote } from '../../quote.js';

/**
 * Splits a command line into words like Python's shlex.split (what Ansible's `command` does):
 * quotes and backslashes group words, nothing is expanded, no shell ever parses it.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated single quote');
      cur += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= line.length) throw new Error('unterminated double quote');
        const d = line[i]!;
        if (d === '"') break;
        // Inside double quotes a backslash escapes only these (POSIX).
        if (d === '\\' && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1]!)) {
          cur += line[i + 1];
          i += 2;
        } else {
          cur += d;
          i++;
        }
      }
      i++;
    } else if (c === '\\') {
      if (i + 1 < line.length) cur += line[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** A path pattern as shell text: `*` and `?` stay globs, everything else is quoted literally. */
export function quoteGlob(pattern: string): string {
  return pattern
    .split(/([*?]+)/)
    .map((part, i) => (i % 2 === 1 ? part : part === '' ? '' : `'${part.replace(/'/g, `'\\''`)}'`))
    .join('');
}

/** Shell text true when the (glob) path exists: `set --` expands it, no match leaves the pattern. */
export function existsTest(pattern: string): string {
  if (!/[*?]/.test(pattern)) return `[ -e ${quote(pattern)} ]`;
  return `( set -- ${quoteGlob(pattern)}; [ -e "$1" ] || [ -L "$1" ] )`;
}
