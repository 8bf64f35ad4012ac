import { quote } from '../../quote.js';
import type { ExecResult } from '../../connection/types.js';
import { C_LOCALE, DEFAULT_MAX_CONTENT, trimSlashes } from './file-state.js';
import type { FileProbe, ProbeSpec, SysctlProbe } from './probe-spec.js';

/**
 * Many probes of one host as one script that starts as few programs as it can: one `stat` for
 * every path that exists, one checksum program per algorithm for every file, one `grep` for every
 * sysctl's live value, one `base64` per distinct file whose text is wanted. Everything else runs
 * in shell builtins. Starting a program is what a probe costs (4-10 ms each on the lab's hosts,
 * more under load); run one by one, a bench host's probes start 9 programs, merged 5.
 *
 * splitMerged turns the output back into, for each spec, exactly the output probeScript(spec)
 * would have printed (test/unit/probe-merge.test.ts compares the two on a real shell). Should
 * anything in the merged run fail (a file vanishing between its test and its stat, say), it gives
 * up and the probes run one by one, live.
 */
const US = '\x1f';
const MARK = `\\037`; // US as printf writes it: no base64, stat or /proc/sys line contains it

/** The per-spec shell variables: _fp<i> path, _ft<i> type, _fb<i> base64 of a followed path, _fc<i> content sent. */
const v = (name: 'p' | 't' | 'b' | 'c', i: number) => `_f${name}${i}`;

export function mergedProbeScript(specs: ProbeSpec[]): string {
  const files = specs.map((s, i) => [s, i] as const).filter((e): e is [FileProbe, number] => e[0].kind === 'file');
  const sysctls = specs.filter((s): s is SysctlProbe => s.kind === 'sysctl');
  const L: string[] = ['_fm() {'];
  for (const [s, i] of files) L.push(...fileTypeLines(s, i));
  // One stat for every path that exists, in spec order; the content pass reads its sizes.
  L.push('set --');
  for (const [, i] of files) L.push(`case $${v('t', i)} in absent|no-parent) ;; *) set -- "$@" "$${v('p', i)}";; esac`);
  L.push(
    'if [ $# -gt 0 ]; then',
    `_fs=$(${C_LOCALE} stat -c '%a|%U|%G|%u|%g|%s|%Y' -- "$@") || { printf '${MARK}X|stat\\n'; return 0; }`,
    `printf '${MARK}S\\n%s\\n' "$_fs"`,
  );
  const withContent = files.filter(([s]) => s.opts.content);
  if (withContent.length) {
    // "$1" walks the stat operands in step with stat's lines: the size decides, as alone.
    L.push("while IFS='|' read -r _fx _fx _fx _fx _fx _fz _fx; do");
    for (const [s, i] of withContent) {
      const max = s.opts.maxContentBytes ?? DEFAULT_MAX_CONTENT;
      L.push(
        // _fc<i>: read once, even when its path is another spec's too (stat then lists it twice).
        `if [ -z "$${v('c', i)}" ] && [ "$${v('t', i)}" = file ] && [ "$1" = "$${v('p', i)}" ] && [ "$_fz" -le ${max} ]; then ${v('c', i)}=1; printf '${MARK}C|${i}\\n'; ${C_LOCALE} base64 < "$1" || { printf '${MARK}X|read\\n'; return 0; }; fi`,
      );
    }
    L.push('shift', 'done <<_FAB_STAT_', '$_fs', '_FAB_STAT_');
  }
  L.push('fi');
  for (const alg of ['sha256', 'sha1', 'md5'] as const) {
    const summed = files.filter(([s]) => (s.opts.checksum ?? 'sha256') === alg);
    if (!summed.length) continue;
    L.push('set --');
    for (const [, i] of summed) L.push(`if [ "$${v('t', i)}" = file ]; then set -- "$@" "$${v('p', i)}"; fi`);
    L.push(`if [ $# -gt 0 ]; then printf '${MARK}H|${alg}\\n'; ${C_LOCALE} ${alg}sum -- "$@" || { printf '${MARK}X|sum\\n'; return 0; }; fi`);
  }
  if (sysctls.length) {
    const procs = [...new Set(sysctls.map((s) => s.proc))];
    L.push('set --');
    for (const p of procs) L.push(`if [ -r ${quote(p)} ]; then set -- "$@" ${quote(p)}; fi`);
    // grep exits 1 when no line was read (an empty value): only 2 is an error.
    L.push(`if [ $# -gt 0 ]; then printf '${MARK}G\\n'; ${C_LOCALE} grep -a -H '' -- "$@"; [ $? -le 1 ] || { printf '${MARK}X|grep\\n'; return 0; }; fi`);
    [...new Set(sysctls.map((s) => s.file))].forEach((f, k) => {
      L.push(`if [ -f ${quote(f)} ]; then printf '${MARK}D|${k}\\n'; ${C_LOCALE} base64 < ${quote(f)} || { printf '${MARK}X|read\\n'; return 0; }; fi`);
    });
  }
  L.push(`printf '${MARK}E\\n'`, '}', '_fm', 'unset -f _fm');
  const vars = files.flatMap(([s, i]) => [v('p', i), v('t', i), v('b', i), ...(s.opts.content ? [v('c', i)] : [])]);
  L.push(`unset _fs _fx _fz _fr _fd _ff ${vars.join(' ')}`);
  return L.join('\n');
}

/** A file spec's path, type and followed path, in builtins only (as probeFileScript does them). */
function fileTypeLines(s: FileProbe, i: number): string[] {
  const p = `"$${v('p', i)}"`;
  const lines = [
    `${v('p', i)}=${quote(trimSlashes(s.path))}`,
    `${v('b', i)}=`,
    s.opts.follow
      ? `if [ -L ${p} ]; then _fr=$(${C_LOCALE} readlink -f -- ${p}) && [ -n "$_fr" ] && ${v('p', i)}=$_fr && ${v('b', i)}=$(printf %s ${p} | ${C_LOCALE} base64 -w0); fi`
      : '',
    // Remove temp files a cut connection left beside this destination (ours, never the user's).
    `case $${v('p', i)} in */*) _fd=\${${v('p', i)}%/*};; *) _fd=.;; esac`,
    `for _ff in "$_fd/.\${${v('p', i)}##*/}.fabric-"*; do [ -e "$_ff" ] && rm -f -- "$_ff"; done 2>/dev/null`,
    `if [ -L ${p} ]; then ${v('t', i)}=link; elif [ -d ${p} ]; then ${v('t', i)}=directory; elif [ -f ${p} ]; then ${v('t', i)}=file; elif [ -e ${p} ]; then ${v('t', i)}=other; else ${v('t', i)}=absent; fi`,
  ].filter(Boolean);
  const typed = s.parent === undefined ? lines : [`if [ ! -d ${quote(s.parent)} ]; then ${v('t', i)}=no-parent; else`, ...lines, 'fi'];
  return [
    ...typed,
    `printf '${MARK}T|${i}|%s|%s\\n' "$${v('t', i)}" "$${v('b', i)}"`,
    `if [ "$${v('t', i)}" = link ]; then printf '${MARK}L|${i}|%s\\n' "$(printf %s "$(${C_LOCALE} readlink -- ${p})" | ${C_LOCALE} base64 -w0)"; fi`,
  ];
}

/** What the merged run printed, by section. */
interface Parsed {
  type: Map<number, { t: string; b: string }>;
  link: Map<number, string>;
  stat: string[];
  content: Map<number, string[]>;
  sums: Map<string, string[]>;
  grep: string[];
  fileText: Map<number, string[]>;
}

function parse(out: string): Parsed | undefined {
  const p: Parsed = { type: new Map(), link: new Map(), stat: [], content: new Map(), sums: new Map(), grep: [], fileText: new Map() };
  let into: string[] | undefined;
  let ended = false;
  for (const line of out.replace(/\n$/, '').split('\n')) {
    if (!line.startsWith(US)) {
      if (!into) return undefined;
      into.push(line);
      continue;
    }
    const [tag = '', a = '', b = '', c = ''] = line.slice(1).split('|');
    into = undefined;
    if (tag === 'X') return undefined;
    else if (tag === 'T') p.type.set(Number(a), { t: b, b: c });
    else if (tag === 'L') p.link.set(Number(a), b);
    else if (tag === 'S') into = p.stat;
    else if (tag === 'C') p.content.set(Number(a), (into = []));
    else if (tag === 'H') p.sums.set(a, (into = []));
    else if (tag === 'G') into = p.grep;
    else if (tag === 'D') p.fileText.set(Number(a), (into = []));
    else if (tag === 'E') ended = true;
    else return undefined;
  }
  return ended ? p : undefined;
}

const block = (lines: string[] | undefined) => (lines?.length ? lines.join('\n') + '\n' : '');

/** Each spec's output as probeScript(spec) alone prints it; undefined when the merged run did not finish cleanly. */
export function splitMerged(specs: ProbeSpec[], r: ExecResult): ExecResult[] | undefined {
  if (r.rc !== 0 || r.stderr !== '') return undefined;
  const p = parse(r.stdout);
  if (!p) return undefined;
  const stats = [...p.stat];
  const sums = new Map([...p.sums].map(([alg, lines]) => [alg, lines.map((l) => /^\\?([0-9a-f]+) /.exec(l)?.[1])]));
  const values = new Map<string, string[]>();
  for (const l of p.grep) {
    const at = l.indexOf(':');
    values.set(l.slice(0, at), [...(values.get(l.slice(0, at)) ?? []), l.slice(at + 1)]);
  }
  const sysFiles = [...new Set(specs.filter((s): s is SysctlProbe => s.kind === 'sysctl').map((s) => s.file))];
  const out: string[] = [];
  for (const [i, s] of specs.entries()) {
    if (s.kind === 'sysctl') {
      const live = values.get(s.proc);
      // tr turned tabs and newlines into spaces; grep gave the lines.
      const text = live ? `live:${(live.join('\n') + '\n').replace(/[\t\n]/g, ' ')}\n` : 'nolive\n';
      const k = sysFiles.indexOf(s.file);
      out.push(text + (p.fileText.has(k) ? `file\n${block(p.fileText.get(k))}` : 'nofile\n'));
      continue;
    }
    const ty = p.type.get(i);
    if (!ty) return undefined;
    if (ty.t === 'no-parent') {
      out.push('no-parent\n');
      continue;
    }
    if (ty.t === 'absent') {
      out.push(`absent||||||||||${ty.b}\n`);
      continue;
    }
    const a = stats.shift();
    if (a === undefined) return undefined;
    if (ty.t === 'link') out.push(`link|${a}||${p.link.get(i) ?? ''}|${ty.b}\n`);
    else if (ty.t === 'directory' || ty.t === 'other') out.push(`${ty.t}|${a}|||${ty.b}\n`);
    else if (ty.t === 'file') {
      const alg = s.opts.checksum === false ? undefined : (s.opts.checksum ?? 'sha256');
      const sum = alg ? sums.get(alg)?.shift() : '';
      if (sum === undefined) return undefined;
      out.push(`file|${a}|${sum}||${ty.b}\n${s.opts.content ? block(p.content.get(i)) : ''}`);
    } else return undefined;
  }
  return out.map((stdout) => ({ rc: 0, stdout, stderr: '' }));
}
