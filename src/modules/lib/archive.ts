import { globToRegExp } from '../../inventory/patterns.js';
import { quote, shellJoin } from '../../quote.js';
import type { ExecResult } from '../../connection/types.js';
import { C_LOCALE, ownershipDiffers } from './file-state.js';
import { defineFact } from './facts.js';
import { modeSatisfied } from './mode.js';

/**
 * What unarchive needs to know about an archive and its destination: the archive's members (from
 * `tar -tv` or `zipinfo`) and the destination's entries of the same names (one `stat`). The
 * listing runs where the archive is: on the host (remote_src) or on the controller.
 */
export type ArchiveFormat = 'zip' | 'gz' | 'bz2' | 'xz' | 'tar';

/** Ansible's handler names, returned as `handler`. */
export const HANDLERS: Record<ArchiveFormat, string> = { zip: 'ZipArchive', gz: 'TgzArchive', bz2: 'TarBzipArchive', xz: 'TarXzArchive', tar: 'TarArchive' };
const TAR_FLAG: Record<Exclude<ArchiveFormat, 'zip'>, string[]> = { gz: ['-z'], bz2: ['-j'], xz: ['-J'], tar: [] };

/** The format by its magic bytes; anything else is tried as a plain tar. */
export function formatOf(head: Buffer): ArchiveFormat {
  const hex = head.subarray(0, 6).toString('hex');
  if (hex.startsWith('504b0304') || hex.startsWith('504b0506')) return 'zip';
  if (hex.startsWith('1f8b')) return 'gz';
  if (hex.startsWith('425a68')) return 'bz2';
  if (hex.startsWith('fd377a585a00')) return 'xz';
  return 'tar';
}

/** argv listing the members with type, size and time; a tar listing sees extra_opts (--strip-components renames members), as Ansible's does. */
export function listArgv(format: ArchiveFormat, src: string, extraOpts: string[]): string[] {
  if (format === 'zip') return ['unzip', '-Z', '-T', '-s', src];
  const opts = extraOpts.length ? ['--show-transformed-names', ...extraOpts] : [];
  return ['tar', '-t', '-v', '--full-time', '--utc', '--numeric-owner', '--quoting-style=literal', ...TAR_FLAG[format], ...opts, '-f', src];
}

/** argv extracting src into dest, as Ansible's handlers run it (excludes as tar's --exclude / unzip's -x). */
export function extractArgv(format: ArchiveFormat, src: string, dest: string, extraOpts: string[], exclude: string[]): string[] {
  if (format === 'zip') return ['unzip', '-o', ...extraOpts, src, ...(exclude.length ? ['-x', ...exclude] : []), '-d', dest];
  return ['tar', '--extract', '-C', dest, ...TAR_FLAG[format], ...extraOpts, ...exclude.map((e) => `--exclude=${e}`), '-f', src];
}

export interface Member {
  name: string;
  type: 'file' | 'directory' | 'link' | 'hardlink' | 'other';
  size: number;
  /** Seconds since the epoch (tar only: a zip's times carry no time zone). */
  mtime?: number;
}

const TAR_LINE = /^(\S)\S+\s+\S+\s+(\d+|\d+,\s*\d+)\s+(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) (.*)$/;
const ZIP_LINE = /^(\S)\S*\s+\S+\s+\S+\s+(\d+)\s+\S+\s+\S+\s+\d{8}\.\d{6} (.*)$/;

/** The members a listing shows. */
export function parseListing(format: ArchiveFormat, out: string): Member[] {
  const members: Member[] = [];
  for (const line of out.split('\n')) {
    if (format === 'zip') {
      const m = ZIP_LINE.exec(line);
      if (!m) continue; // the Archive: header and the totals line
      const name = m[3]!;
      members.push({ name, type: m[1] === 'd' || name.endsWith('/') ? 'directory' : m[1] === 'l' ? 'link' : 'file', size: Number(m[2]) });
      continue;
    }
    const m = TAR_LINE.exec(line);
    if (!m) continue;
    const [, t, size, y, mo, d, h, mi, s, rest] = m;
    const type = t === '-' ? 'file' : t === 'd' ? 'directory' : t === 'l' ? 'link' : t === 'h' ? 'hardlink' : 'other';
    // As Ansible: no absolute names (tar strips the /), and none that --strip-components emptied.
    const name = (type === 'link' ? rest!.split(' -> ')[0]! : type === 'hardlink' ? rest!.split(' link to ')[0]! : rest!).replace(/^\/+/, '');
    if (!name) continue;
    members.push({ name, type, size: /,/.test(size!) ? 0 : Number(size), mtime: Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!) / 1000 });
  }
  return members;
}

/** Whether an exclude pattern drops name: the name or any trailing part of it (tar's unanchored match), or a parent directory. */
export function excluded(name: string, patterns: RegExp[]): boolean {
  if (!patterns.length) return false;
  const parts = name.replace(/\/+$/, '').split('/');
  for (let i = 0; i < parts.length; i++) {
    for (let j = i + 1; j <= parts.length; j++) if (patterns.some((p) => p.test(parts.slice(i, j).join('/')))) return true;
  }
  return false;
}
export const excludePatterns = (exclude: string[]) => exclude.map((e) => globToRegExp(e.replace(/\/+$/, '')));

/** A destination entry, as `stat -c` printed it. */
export interface DestEntry {
  type: string; // stat's %F: regular file, directory, symbolic link, ...
  size: number;
  mtime: number;
  mode: string;
  owner: string;
  group: string;
  uid: number;
  gid: number;
}

const STAT_FORMAT = '%F|%s|%Y|%a|%U|%G|%u|%g|%n';

/** stat of names (relative to the current directory): missing ones print nothing. */
const statLines = (names: string[]) => (names.length ? `${C_LOCALE} stat -c ${quote(STAT_FORMAT)} -- ${names.map(quote).join(' ')} 2>/dev/null; true` : 'true');

export function parseStats(lines: string[]): Map<string, DestEntry> {
  const out = new Map<string, DestEntry>();
  for (const line of lines) {
    const f = line.split('|');
    if (f.length < 9) continue;
    out.set(f.slice(8).join('|'), { type: f[0]!, size: Number(f[1]), mtime: Number(f[2]), mode: f[3]!, owner: f[4]!, group: f[5]!, uid: Number(f[6]), gid: Number(f[7]) });
  }
  return out;
}

/** What the host says about dest, and the archive when it is there too. */
export interface ArchiveState {
  problem?: string;
  format?: ArchiveFormat;
  members?: Member[];
  /** Why listing the archive failed (no handler fits it). */
  listError?: string;
  dest: Map<string, DestEntry>;
}

/** Splits `@section` output into sections. */
function sections(out: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of out.split('\n')) {
    const s = /^@([a-z]+)(?: (.*))?$/.exec(line);
    if (s) m.set(s[1]!, (cur = s[2] !== undefined ? [s[2]] : []));
    else cur?.push(line);
  }
  return m;
}

function parseState(r: ExecResult, dest: string, src?: string): ArchiveState {
  if (r.rc !== 0) throw new Error(`cannot read ${dest}: ${r.stderr.trim() || `exit ${r.rc}`}`);
  const s = sections(r.stdout);
  if (s.has('nodest')) return { problem: `Destination '${dest}' is not a directory`, dest: new Map() };
  if (s.has('nosrc')) return { problem: `Source '${src}' does not exist`, dest: new Map() };
  if (s.has('noread')) return { problem: `Source '${src}' not readable`, dest: new Map() };
  const format = s.get('format')?.[0] as ArchiveFormat | undefined;
  const state: ArchiveState = { dest: parseStats(s.get('stat') ?? []) };
  if (format) {
    state.format = format;
    if (s.has('listfailed')) state.listError = r.stderr.trim();
    else state.members = parseListing(format, (s.get('list') ?? []).join('\n'));
  }
  return state;
}

const destCheck = (dest: string) => `if [ ! -d ${quote(dest)} ]; then echo @nodest; exit 0; fi`;

/** The destination's entries for names known on the controller (an archive on the controller). */
export const destEntriesFact = defineFact(
  (p: { dest: string; names: string[] }) => `${destCheck(p.dest)}\necho @stat\ncd ${quote(p.dest)} && ${statLines(p.names)}`,
  (r, p) => parseState(r, p.dest),
);

/**
 * An archive on the host and its destination, in one read: the format by magic bytes (od), the
 * listing, and one stat of the members' names under dest.
 */
export const hostArchiveFact = defineFact(
  (p: { src: string; dest: string; extraOpts: string[] }) => {
    const s = quote(p.src);
    const arm = (f: ArchiveFormat) =>
      `${f}) v() { ${C_LOCALE} ${shellJoin(listArgv(f, p.src, p.extraOpts))}; }; n() { ${C_LOCALE} ${f === 'zip' ? shellJoin(['unzip', '-Z1', p.src]) : shellJoin(listArgv(f, p.src, p.extraOpts).filter((w) => !['-v', '--full-time', '--utc', '--numeric-owner'].includes(w)))}; } ;;`;
    return [
      destCheck(p.dest),
      `if [ ! -e ${s} ]; then echo @nosrc; exit 0; fi`,
      `if [ ! -r ${s} ]; then echo @noread; exit 0; fi`,
      `m=$(${C_LOCALE} od -An -tx1 -N6 -v -- ${s} | tr -d ' \\n')`,
      `case "$m" in 504b0304*|504b0506*) f=zip ;; 1f8b*) f=gz ;; 425a68*) f=bz2 ;; fd377a585a00*) f=xz ;; *) f=tar ;; esac`,
      'echo "@format $f"',
      `case $f in ${(['zip', 'gz', 'bz2', 'xz', 'tar'] as const).map(arm).join(' ')} esac`,
      'echo @list',
      'if ! v; then echo @listfailed; exit 0; fi',
      'echo @stat',
      `n | tr '\\n' '\\0' | (cd ${quote(p.dest)} && ${C_LOCALE} xargs -0r stat -c ${quote(STAT_FORMAT)} -- 2>/dev/null); true`,
    ].join('\n');
  },
  (r, p) => parseState(r, p.dest, p.src),
);

/** Why member is not as the archive has it in dest (undefined: it is). */
export function memberDiffers(m: Member, d: DestEntry | undefined, want: { mode?: string; owner?: string; group?: string }): string | undefined {
  if (!d) return `${m.name} is missing`;
  const isDir = d.type === 'directory';
  switch (m.type) {
    case 'directory':
      if (!isDir) return `${m.name} is not a directory`;
      break;
    case 'link':
      if (d.type !== 'symbolic link') return `${m.name} is not a symbolic link`;
      return undefined; // a link's own attributes are not set
    case 'file':
      if (!d.type.startsWith('regular')) return `${m.name} is not a regular file`;
      if (d.size !== m.size) return `${m.name} differs in size`;
      if (m.mtime !== undefined && d.mtime !== m.mtime) return `${m.name} differs in mtime`;
      break;
    default:
      break;
  }
  if (!modeSatisfied(d.mode, want.mode, isDir)) return `${m.name} differs in mode`;
  if (ownershipDiffers({ ...d, type: 'file', path: m.name }, want)) return `${m.name} differs in ownership`;
  return undefined;
}
