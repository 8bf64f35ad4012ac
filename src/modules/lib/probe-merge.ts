import { createHash } from 'node:crypto';
import { quote } from '../../quote.js';
import type { ExecResult } from '../../connection/types.js';
import { C_LOCALE, DEFAULT_MAX_CONTENT, trimSlashes } from './file-state.js';
import type { FileFact as FileProbe, FileFactValue, SysctlFact as SysctlProbe, SysctlValue } from './facts.js';
import type { FileState } from './file-state.js';

type ProbeSpec = FileProbe | SysctlProbe;

/**
 * Many probes of one host as one script that starts as few programs as it can: one `stat` for
 * every path that exists and one `head` that reads every file and /proc/sys value wanted, one
 * after the other. Everything else runs in shell builtins, and checksums of small files are
 * computed here from what `head` read; only a file over INLINE_SUM gets a checksum program.
 * Starting a program is what a probe costs (3-10 ms each on the lab's hosts, more under load); run
 * one by one, a bench host's probes start 11 programs, merged 2.
 *
 * splitMerged reads the output into each spec's typed value, the same value its lone
 * factScript(spec) gives (test/unit/probe-merge.test.ts compares the two on a real shell). Should
 * anything in the merged run fail or not add up (a file vanishing or changing size between its
 * stat and its read, text that is not UTF-8), it gives up and the probes run one by one, live.
 */
const US = '\x1f';
const MARK = `\\037`; // US as printf writes it: no stat line, base64 or path check line contains it

/** Files up to this size are read and checksummed here rather than by a program on the host. */
export const INLINE_SUM = 64 * 1024;
/** head's byte limit: more than any file a probe reads (each read is checked against its stat size). */
const HEAD_ALL = 2 ** 40;

/**
 * The per-spec shell variables: _fp<i> path, _ft<i> type, _fb<i> base64 of a followed path,
 * _fc<i> how its bytes are had (r: read by head, s: a checksum program); per sysctl file _fy<k>
 * (set when it is stat'ed and read).
 */
const v = (name: 'p' | 't' | 'b' | 'c' | 'y', i: number) => `_f${name}${i}`;

const wantsBytes = (s: FileProbe) => s.opts.content || s.opts.checksum !== false;
/** The size up to which a file spec's bytes are read by head. */
const readLimit = (s: FileProbe) => (s.opts.content ? (s.opts.maxContentBytes ?? DEFAULT_MAX_CONTENT) : INLINE_SUM);

export function mergedProbeScript(specs: ProbeSpec[]): string {
  const files = specs.map((s, i) => [s, i] as const).filter((e): e is [FileProbe, number] => e[0].kind === 'file');
  const sysctls = specs.filter((s): s is SysctlProbe => s.kind === 'sysctl');
  const sysFiles = [...new Set(sysctls.map((s) => s.file))];
  const procs = [...new Set(sysctls.map((s) => s.proc))];
  const L: string[] = ['_fm() {'];
  for (const [s, i] of files) L.push(...fileTypeLines(s, i));
  // One stat for every path that exists, in spec order, then each sysctl file (as head reads it:
  // through a link); the sizes decide what is read and check that it was read whole.
  L.push('set --');
  for (const [, i] of files) L.push(`case $${v('t', i)} in absent|no-parent) ;; *) set -- "$@" "$${v('p', i)}";; esac`);
  sysFiles.forEach((f, k) => {
    const q = quote(f);
    L.push(
      `if [ -L ${q} ] && [ -f ${q} ]; then _fr=$(${C_LOCALE} readlink -f -- ${q}) || { printf '${MARK}X|link\\n'; return 0; }; set -- "$@" "$_fr"; ${v('y', k)}=1;`,
      `elif [ -f ${q} ]; then set -- "$@" ${q}; ${v('y', k)}=1; fi`,
    );
  });
  L.push(
    'if [ $# -gt 0 ]; then',
    `_fs=$(${C_LOCALE} stat -c '%a|%U|%G|%u|%g|%s|%Y' -- "$@") || { printf '${MARK}X|stat\\n'; return 0; }`,
    `printf '${MARK}S\\n%s\\n' "$_fs"`,
  );
  const withBytes = files.filter(([s]) => wantsBytes(s));
  if (withBytes.length) {
    // "$1" walks the stat operands in step with stat's lines: the size decides, as alone.
    L.push("while IFS='|' read -r _fx _fx _fx _fx _fx _fz _fx; do");
    for (const [s, i] of withBytes) {
      L.push(
        `if [ -z "$${v('c', i)}" ] && [ "$${v('t', i)}" = file ] && [ "$1" = "$${v('p', i)}" ]; then if [ "$_fz" -le ${readLimit(s)} ]; then ${v('c', i)}=r; else ${v('c', i)}=s; fi; fi`,
      );
    }
    L.push('shift', 'done <<_FAB_STAT_', '$_fs', '_FAB_STAT_');
  }
  L.push('fi');
  for (const alg of ['sha256', 'sha1', 'md5', 'sha224', 'sha384', 'sha512'] as const) {
    const summed = files.filter(([s]) => (s.opts.checksum ?? 'sha256') === alg);
    if (!summed.length) continue;
    L.push('set --');
    for (const [, i] of summed) L.push(`if [ "$${v('c', i)}" = s ]; then set -- "$@" "$${v('p', i)}"; fi`);
    L.push(`if [ $# -gt 0 ]; then printf '${MARK}H|${alg}\\n'; ${C_LOCALE} ${alg}sum -- "$@" || { printf '${MARK}X|sum\\n'; return 0; }; fi`);
  }
  // One head for every file's bytes and every live value, each announced by an F line, in order.
  L.push('set --');
  for (const [, i] of withBytes) L.push(`if [ "$${v('c', i)}" = r ]; then set -- "$@" "$${v('p', i)}"; printf '${MARK}F|c|${i}\\n'; fi`);
  sysFiles.forEach((f, k) => L.push(`if [ -n "$${v('y', k)}" ]; then set -- "$@" ${quote(f)}; printf '${MARK}F|d|${k}\\n'; fi`));
  // /proc/sys answers only a read from offset 0; head asks for the whole value at once.
  procs.forEach((p, k) => L.push(`if [ -r ${quote(p)} ]; then set -- "$@" ${quote(p)}; printf '${MARK}F|p|${k}\\n'; fi`));
  L.push(`if [ $# -gt 0 ]; then printf '${MARK}R\\n'; ${C_LOCALE} head -v -c ${HEAD_ALL} -- "$@" || { printf '${MARK}X|read\\n'; return 0; }; fi`);
  L.push(`printf '${MARK}E\\n'`, '}', '_fm', 'unset -f _fm');
  const vars = [
    ...files.flatMap(([s, i]) => [v('p', i), v('t', i), v('b', i), ...(wantsBytes(s) ? [v('c', i)] : [])]),
    ...sysFiles.map((_, k) => v('y', k)),
  ];
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
  sums: Map<string, string[]>;
  /** What head read, in order: a file spec's bytes (c), a sysctl file's (d), a live value (p). */
  reads: { kind: string; key: number }[];
  raw: Buffer;
}

function parse(out: string): Parsed | undefined {
  const END = `${US}E\n`;
  if (!out.endsWith(END)) return undefined;
  // head's bytes come last, after an R line; they are not lines, and not UTF-8 if the text was not.
  const body = `\n${out.slice(0, -END.length)}`;
  const at = body.indexOf(`\n${US}R\n`);
  const lines = at < 0 ? body.slice(1).replace(/\n$/, '') : body.slice(1, at);
  const raw = at < 0 ? '' : body.slice(at + 4);
  if (raw.includes('\ufffd')) return undefined;
  const p: Parsed = { type: new Map(), link: new Map(), stat: [], sums: new Map(), reads: [], raw: Buffer.from(raw) };
  let into: string[] | undefined;
  for (const line of lines ? lines.split('\n') : []) {
    if (!line.startsWith(US)) {
      if (!into) return undefined;
      into.push(line);
      continue;
    }
    const [tag = '', a = '', b = '', c = ''] = line.slice(1).split('|');
    into = undefined;
    if (tag === 'T') p.type.set(Number(a), { t: b, b: c });
    else if (tag === 'L') p.link.set(Number(a), b);
    else if (tag === 'S') into = p.stat;
    else if (tag === 'H') p.sums.set(a, (into = []));
    else if (tag === 'F') p.reads.push({ kind: a, key: Number(b) });
    else return undefined; // X: a program failed
  }
  return p;
}

/**
 * Cuts head's output into each read's bytes. Before each file head prints `==> name <==` (after a
 * blank line but for the first); a file's length is its stat size, a live value runs to the next
 * header. Anything else (a file that changed size since its stat) gives up.
 */
function cutReads(raw: Buffer, reads: { name: string; size?: number }[]): Buffer[] | undefined {
  const header = (k: number) => Buffer.from(`${k ? '\n' : ''}==> ${reads[k]!.name} <==\n`);
  const parts: Buffer[] = [];
  let at = 0;
  for (const [k, { size }] of reads.entries()) {
    const h = header(k);
    if (!raw.subarray(at, at + h.length).equals(h)) return undefined;
    at += h.length;
    const end = size !== undefined ? at + size : (k + 1 < reads.length ? raw.indexOf(header(k + 1), at) : raw.length);
    if (end < at || end > raw.length) return undefined;
    parts.push(raw.subarray(at, end));
    at = end;
  }
  return at === raw.length ? parts : undefined;
}

/** The path head read for a file spec: the link's target when the probe followed one. */
const readPath = (s: FileProbe, followed: string | undefined) => (followed ? Buffer.from(followed, 'base64').toString() : trimSlashes(s.path));

const unb64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');

/** A path's state from its stat line (`mode|owner|group|uid|gid|size|mtime`), as parseFileState reads a lone probe's. */
function statState(type: FileState['type'], path: string, a: string): FileState {
  const [mode, owner, group, uid, gid, size, mtime] = a.split('|');
  const num = (x: string | undefined) => (x ? Number(x) : undefined);
  return { type, path, mode, owner, group, uid: num(uid), gid: num(gid), size: num(size), mtime: num(mtime) };
}

/** Each spec's typed value, equal to what its lone factScript(spec) gives; undefined when the merged run did not finish cleanly. */
export function splitMerged(specs: ProbeSpec[], r: ExecResult): (FileFactValue | SysctlValue)[] | undefined {
  if (r.rc !== 0 || r.stderr !== '') return undefined;
  const p = parse(r.stdout);
  if (!p) return undefined;
  const sysFiles = [...new Set(specs.filter((s): s is SysctlProbe => s.kind === 'sysctl').map((s) => s.file))];
  const procs = [...new Set(specs.filter((s): s is SysctlProbe => s.kind === 'sysctl').map((s) => s.proc))];
  // Stat lines: the file specs that exist, in order, then the sysctl files read.
  const statOf = new Map<number, string>();
  let n = 0;
  for (const [i, s] of specs.entries()) {
    const t = p.type.get(i)?.t;
    if (s.kind === 'file' && t !== undefined && t !== 'absent' && t !== 'no-parent') statOf.set(i, p.stat[n++] ?? '');
  }
  const sysStat = p.stat.slice(n);
  const sizeOf = (a: string | undefined) => (a ? Number(a.split('|')[5]) : NaN);
  const reads = p.reads.map(({ kind, key }) => {
    if (kind === 'c' && specs[key]?.kind === 'file') return { name: readPath(specs[key] as FileProbe, p.type.get(key)?.b), size: sizeOf(statOf.get(key)) };
    if (kind === 'd' && sysFiles[key] !== undefined) return { name: sysFiles[key], size: sizeOf(sysStat.shift()) };
    if (kind === 'p' && procs[key] !== undefined) return { name: procs[key] };
    return undefined;
  });
  if (reads.some((x) => x === undefined || Number.isNaN(x.size))) return undefined;
  const bytes = cutReads(p.raw, reads as { name: string; size?: number }[]);
  if (!bytes) return undefined;
  const got = (kind: string, key: number) => {
    const at = p.reads.findIndex((x) => x.kind === kind && x.key === key);
    return at < 0 ? undefined : bytes[at];
  };
  const sums = new Map([...p.sums].map(([alg, lines]) => [alg, lines.map((l) => /^\\?([0-9a-f]+) /.exec(l)?.[1])]));
  const out: (FileFactValue | SysctlValue)[] = [];
  for (const [i, s] of specs.entries()) {
    if (s.kind === 'sysctl') {
      // The lone probe's tr turns tabs and newlines into spaces.
      const live = got('p', procs.indexOf(s.proc));
      const file = got('d', sysFiles.indexOf(s.file));
      out.push({ live: live?.toString().replace(/[\t\n]/g, ' '), file: file?.toString('utf8') });
      continue;
    }
    const ty = p.type.get(i);
    if (!ty) return undefined;
    const path = unb64(ty.b) || trimSlashes(s.path);
    if (ty.t === 'no-parent') {
      out.push({ type: 'absent', path: s.path, parentMissing: true });
      continue;
    }
    if (ty.t === 'absent') {
      out.push({ type: 'absent', path });
      continue;
    }
    const a = statOf.get(i);
    if (a === undefined) return undefined;
    if (ty.t === 'link') out.push({ ...statState('link', path, a), linkTarget: unb64(p.link.get(i)) });
    else if (ty.t === 'directory' || ty.t === 'other') out.push(statState(ty.t, path, a));
    else if (ty.t === 'file') {
      const st: FileFactValue = statState('file', path, a);
      const alg = s.opts.checksum === false ? undefined : (s.opts.checksum ?? 'sha256');
      const read = got('c', i);
      if (alg) {
        const sum = read ? createHash(alg).update(read).digest('hex') : sums.get(alg)?.shift();
        if (sum === undefined) return undefined;
        st.checksum = sum;
        if (alg === 'sha256') st.sha256 = sum;
      }
      if (s.opts.content && sizeOf(a) <= (s.opts.maxContentBytes ?? DEFAULT_MAX_CONTENT)) {
        if (!read) return undefined;
        st.content = Buffer.from(read);
      }
      out.push(st);
    } else return undefined;
  }
  return out;
}
