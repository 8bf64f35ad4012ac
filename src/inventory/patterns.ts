import { isIP } from 'node:net';
import { InputError, type SourcePos } from '../errors.js';
import { didYouMean } from '../load/schema.js';
import type { Inventory } from './index.js';

interface Term {
  op: 'union' | 'and' | 'not';
  text: string; // without its & / ! prefix
}

/** `a,b` splits on commas; otherwise on colons, except inside `[...]` subscripts and whole IPv6 names. */
function splitPattern(pattern: string): string[] {
  if (pattern.includes(',')) return pattern.split(',').map((s) => s.trim());
  if (isIP(pattern.trim()) === 6) return [pattern.trim()];
  const out: string[] = [];
  let cur = '';
  let bracket = 0;
  for (const ch of pattern) {
    if (ch === '[') bracket++;
    if (ch === ']') bracket = Math.max(0, bracket - 1);
    if (ch === ':' && bracket === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** Ansible's order: unions first, then intersections, then exclusions; only &/! terms start from `all`. */
function orderTerms(parts: string[]): Term[] {
  const terms = parts.filter((p) => p !== '').map((p): Term => {
    if (p.startsWith('&')) return { op: 'and', text: p.slice(1).trim() };
    if (p.startsWith('!')) return { op: 'not', text: p.slice(1).trim() };
    return { op: 'union', text: p };
  });
  const unions = terms.filter((t) => t.op === 'union');
  return [
    ...(unions.length ? unions : [{ op: 'union' as const, text: 'all' }]),
    ...terms.filter((t) => t.op === 'and'),
    ...terms.filter((t) => t.op === 'not'),
  ];
}

/** fnmatch-style: `*` any run, `?` one character, everything else literal. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^(?:${body})$`);
}

/** `name[i]`, `name[i:j]` (inclusive, like Ansible), `name[i:]`, `name[:j]`, `name[-1]`. */
function splitSubscript(text: string): { name: string; pick?: (hosts: string[]) => string[] } {
  const m = /^(.+?)\[(?:(-?\d+)|(\d*)[:-](\d*))\]$/.exec(text);
  if (!m || text.startsWith('~')) return { name: text };
  const [, name, single, from, to] = m;
  if (single !== undefined) {
    const i = Number(single);
    return { name: name!, pick: (hs) => { const h = hs.at(i); return h === undefined ? [] : [h]; } };
  }
  const start = from ? Number(from) : 0;
  return { name: name!, pick: (hs) => hs.slice(start, to ? Number(to) + 1 : undefined) };
}

function matchTerm(inv: Inventory, groups: Record<string, string[]>, text: string, pattern: string, where?: SourcePos): string[] {
  const { name, pick } = splitSubscript(text);
  let re: RegExp | undefined;
  if (name.startsWith('~')) {
    try {
      re = new RegExp(`^(?:${name.slice(1)})`); // Python's re.match: anchored at the start only
    } catch (e) {
      throw new InputError(`invalid regular expression '${name}' in pattern '${pattern}': ${(e as Error).message}`, where);
    }
  } else if (/[*?]/.test(name)) re = globToRegExp(name);
  const matchedGroups = re ? inv.groupNames.filter((g) => re.test(g)) : inv.hasGroup(name) ? [name] : [];
  const found = new Set<string>();
  for (const g of matchedGroups) groups[g]!.forEach((h) => found.add(h));
  // Like Ansible: host names are tried when no group matched, or always for a regex/wildcard.
  let matchedHosts = 0;
  if (re || !matchedGroups.length) {
    for (const h of inv.hostNames) {
      if (re ? re.test(h) : h === name) {
        found.add(h);
        matchedHosts++;
      }
    }
  }
  if (!matchedGroups.length && !matchedHosts) {
    const guess = didYouMean(name, [...inv.groupNames, ...inv.hostNames]);
    throw new InputError(`unknown host or group '${name}' in pattern '${pattern}'`, where, guess ? `did you mean '${guess}'?` : undefined);
  }
  const ordered = inv.hostNames.filter((h) => found.has(h));
  return pick ? pick(ordered) : ordered;
}

/**
 * Ansible host patterns: names, groups, `all`/`*`, `a:b`/`a,b` union, `a:&b` intersection, `a:!b`
 * exclusion, `*`/`?` wildcards, `~regex`, `a[0]`/`a[1:2]` subscripts. Result in inventory order.
 */
export function resolvePattern(inv: Inventory, pattern: string, where?: SourcePos): string[] {
  const terms = orderTerms(splitPattern(pattern));
  if (!pattern.trim() || terms.some((t) => t.text === '')) {
    throw new InputError(`empty host pattern${pattern.trim() ? ` term in '${pattern}'` : ''}`, where);
  }
  const groups = inv.groups();
  let hosts = new Set<string>();
  for (const t of terms) {
    const matched = new Set(matchTerm(inv, groups, t.text, pattern, where));
    if (t.op === 'union') matched.forEach((h) => hosts.add(h));
    else if (t.op === 'and') hosts = new Set([...hosts].filter((h) => matched.has(h)));
    else hosts = new Set([...hosts].filter((h) => !matched.has(h)));
  }
  return inv.hostNames.filter((h) => hosts.has(h));
}
