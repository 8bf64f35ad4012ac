/** Python's `re` as JavaScript runs it: one translation for modules (lineinfile, replace) and expressions (regex_*). */

export interface PyRegex {
  re: RegExp;
  multiline: boolean;
}

export interface PyRegexFlags {
  ignorecase?: boolean;
  multiline?: boolean;
  /** Every match (re.sub, re.findall), not the first. */
  global?: boolean;
  /** Only at the start (re.match). */
  anchored?: boolean;
  /** `.` matches a newline too (re.DOTALL). */
  dotall?: boolean;
  /** Match indices (for a named group's start and end). */
  indices?: boolean;
}

/**
 * A Python `re` pattern as a JS RegExp: named groups `(?P<n>…)`, `(?P=n)`, `\A`, `\Z` and
 * leading inline flags `(?im)` are translated; the rest of the syntax is shared.
 */
export function pyRegex(pattern: string, o: PyRegexFlags = {}): PyRegex {
  let p = pattern;
  let flags = `${o.global ? 'g' : ''}${o.ignorecase ? 'i' : ''}${o.multiline ? 'm' : ''}${o.dotall ? 's' : ''}${o.indices ? 'd' : ''}`;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(p);
  if (inline) {
    p = p.slice(inline[0].length);
    for (const f of inline[1]!) if ('ims'.includes(f) && !flags.includes(f)) flags += f;
  }
  p = p
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$(?![\\s\\S])');
  return { re: new RegExp(o.anchored ? `^(?:${p})` : p, flags), multiline: flags.includes('m') };
}

/** Python's match.expand(template): \1, \g<1>, \g<name> and the usual escapes. */
export function expandTemplate(template: string, m: RegExpExecArray | RegExpMatchArray): string {
  return template.replace(/\\(?:g<([^>]+)>|(\d{1,2})|([ntr\\]))/g, (_all, g: string | undefined, d: string | undefined, esc: string | undefined) => {
    if (esc) return esc === 'n' ? '\n' : esc === 't' ? '\t' : esc === 'r' ? '\r' : '\\';
    const key = g ?? d!;
    const v = /^\d+$/.test(key) ? m[Number(key)] : m.groups?.[key];
    return v ?? '';
  });
}

/** Python's re.sub(pattern, repl, text, count): repl's backreferences expanded per match. */
export function pySub(re: RegExp, repl: string, text: string, count = 0): { text: string; n: number } {
  let n = 0;
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
  const out = text.replace(g, (...args: unknown[]) => {
    if (count > 0 && n >= count) return args[0] as string;
    n++;
    const hasGroups = typeof args[args.length - 1] === 'object' && args[args.length - 1] !== null;
    const groups = hasGroups ? (args[args.length - 1] as Record<string, string>) : undefined;
    const captures = args.slice(0, hasGroups ? -3 : -2) as string[];
    const m = Object.assign([...captures], { groups }) as unknown as RegExpMatchArray;
    return expandTemplate(repl, m);
  });
  return { text: out, n };
}
