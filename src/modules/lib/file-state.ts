import { posix } from 'node:path';
import { quote, shellJoin } from '../../quote.js';
import { modeArg } from './mode.js';

export type ChecksumAlgorithm = 'sha256' | 'sha1' | 'md5' | 'sha224' | 'sha384' | 'sha512';

export interface FileState {
  type: 'absent' | 'file' | 'directory' | 'link' | 'other';
  /** The path probed: the link's target when the probe followed links. */
  path: string;
  mode?: string; // octal as stat prints it, e.g. "644"
  owner?: string;
  group?: string;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: number; // seconds since the epoch
  checksum?: string; // files only, with the probe's algorithm
  sha256?: string; // files only, when the algorithm is sha256 (the default)
  linkTarget?: string; // links only
  /** Files only, when asked for; undefined when the file is larger than maxContentBytes. */
  content?: Buffer;
}

export interface ProbeOptions {
  /** parseFileState: the path probed (reported back only when a followed link resolved elsewhere). */
  path?: string;
  /** Also send the file's content (base64): --diff, lineinfile, blockinfile. */
  content?: boolean;
  /** Content of larger files is not sent (the module reports that instead). */
  maxContentBytes?: number;
  /** Report a symlink's target instead of the link (lineinfile edits through links, like Ansible). */
  follow?: boolean;
  /** Checksum of regular files; false skips reading the file. */
  checksum?: ChecksumAlgorithm | false;
  /** Always report the path probed (for scripts that choose between paths). */
  reportPath?: boolean;
}

export const DEFAULT_MAX_CONTENT = 16 * 1024 * 1024;

/** Prefix of our temp files beside a destination; a cut upload leaves one, the next probe removes it. */
export function tempPrefix(path: string): string {
  return posix.join(posix.dirname(path), `.${posix.basename(path)}.fabric-`);
}

/**
 * Prefix for the programs a probe runs: in the C locale they load no locale files (a program
 * starts about 1 ms faster on the lab's hosts, out of 5), and their output never depends on the
 * host's language settings.
 */
export const C_LOCALE = 'LC_ALL=C';

/** The shell variables probeFileScript sets; it unsets them at its end (probes run inline). */
const PROBE_VARS = 'p b r d f a s z';

/**
 * Shell text printing one line `type|mode|owner|group|uid|gid|size|mtime|checksum|b64(link)|b64(path)`
 * for path, then (content) the file's base64. Part of a module's single probe round trip; every value
 * that could hold odd characters travels base64-encoded. It is inline-safe (ExecOptions.inline): no
 * exit, no cd, its variables unset at the end. Forks are what a probe costs (milliseconds each on a
 * small VM), so programs run only when needed: stat for a path that exists, a checksum when asked.
 */
export function probeFileScript(path: string, withContent: boolean | ProbeOptions = false): string {
  const o: ProbeOptions = typeof withContent === 'boolean' ? { content: withContent } : withContent;
  const sum = o.checksum === false ? '' : `${o.checksum ?? 'sha256'}sum`;
  const max = o.maxContentBytes ?? DEFAULT_MAX_CONTENT;
  // Few forks: parameter expansion instead of dirname/basename/cut (a probe runs for every task).
  return [
    `p=${quote(trimSlashes(path))}`,
    o.follow ? `b=; if [ -L "$p" ]; then r=$(${C_LOCALE} readlink -f -- "$p") && [ -n "$r" ] && p=$r && b=$(printf %s "$p" | ${C_LOCALE} base64 -w0); fi` : 'b=',
    o.reportPath ? `b=$(printf %s "$p" | ${C_LOCALE} base64 -w0)` : '',
    // Remove temp files a cut connection left beside this destination (ours, never the user's).
    `case $p in */*) d=\${p%/*};; *) d=.;; esac`,
    `for f in "$d/.\${p##*/}.fabric-"*; do [ -e "$f" ] && rm -f -- "$f"; done 2>/dev/null`,
    `a=; if [ -e "$p" ] || [ -L "$p" ]; then a=$(${C_LOCALE} stat -c '%a|%U|%G|%u|%g|%s|%Y' -- "$p" 2>/dev/null); fi`,
    `if [ -L "$p" ]; then printf 'link|%s||%s|%s\\n' "$a" "$(printf %s "$(${C_LOCALE} readlink -- "$p")" | ${C_LOCALE} base64 -w0)" "$b"`,
    `elif [ -d "$p" ]; then printf 'directory|%s|||%s\\n' "$a" "$b"`,
    `elif [ -f "$p" ]; then ${sum ? `s=$(${C_LOCALE} ${sum} < "$p"); s=\${s%% *}` : 's='}; printf 'file|%s|%s||%s\\n' "$a" "$s" "$b"` +
      (o.content ? `; z=\${a#*|*|*|*|*|}; if [ "\${z%%|*}" -le ${max} ]; then ${C_LOCALE} base64 < "$p"; fi` : ''),
    `elif [ -e "$p" ]; then printf 'other|%s|||%s\\n' "$a" "$b"`,
    `else printf 'absent||||||||||%s\\n' "$b"; fi`,
    `unset ${PROBE_VARS}`,
  ]
    .filter(Boolean)
    .join('\n');
}

/** "/etc/x/" and "/etc/x" name the same file; the temp-file prefix needs the plain form. */
export function trimSlashes(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') || '/' : path;
}

const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString('utf8');

/** Parses what probeFileScript printed (it may be followed by other output lines). */
export function parseFileState(out: string, opts: ProbeOptions = {}): FileState {
  const nl = out.indexOf('\n');
  const first = nl < 0 ? out : out.slice(0, nl);
  const f = first.split('|');
  const type = (f[0] || 'absent') as FileState['type'];
  const st: FileState = { type, path: unb64(f[10]) || (opts.path !== undefined ? trimSlashes(opts.path) : '') };
  if (type === 'absent') return st;
  const num = (s: string | undefined) => (s ? Number(s) : undefined);
  Object.assign(st, { mode: f[1], owner: f[2], group: f[3], uid: num(f[4]), gid: num(f[5]), size: num(f[6]), mtime: num(f[7]) });
  if (type === 'file') {
    if (f[8]) {
      st.checksum = f[8];
      if ((opts.checksum ?? 'sha256') === 'sha256') st.sha256 = f[8];
    }
    const rest = nl >= 0 ? out.slice(nl + 1).replace(/\s+/g, '') : '';
    // Without options (older callers), lines after the first are content when they are base64.
    const wanted = opts.content ?? /^[A-Za-z0-9+/=]+$/.test(rest);
    if (wanted && (rest || st.size === 0)) st.content = Buffer.from(rest, 'base64');
  }
  if (type === 'link') st.linkTarget = unb64(f[9]);
  return st;
}

/** chown/chmod commands bringing path to the wanted owner/group/mode (empty: nothing to do). */
export function attributeScript(
  path: string,
  want: { owner?: string; group?: string; mode?: string; recurse?: boolean; noFollow?: boolean },
): string {
  const lines: string[] = [];
  const flags = [...(want.recurse ? ['-R'] : []), ...(want.noFollow ? ['-h'] : [])];
  // chown first: it clears setuid/setgid bits that chmod then sets.
  if (want.owner !== undefined || want.group !== undefined)
    lines.push(shellJoin(['chown', ...flags, '--', `${want.owner ?? ''}${want.group !== undefined ? ':' + want.group : ''}`, path]));
  if (want.mode !== undefined && !want.noFollow) lines.push(shellJoin(['chmod', ...(want.recurse ? ['-R'] : []), '--', want.mode, path]));
  return lines.join('\n');
}

/** Whether owner/group differ from the wanted ones (names or numeric ids). */
export function ownershipDiffers(st: FileState, want: { owner?: string; group?: string }): boolean {
  const is = (name: string | undefined, id: number | undefined, w: string) => w === name || (/^\d+$/.test(w) && Number(w) === id);
  if (want.owner !== undefined && !is(st.owner, st.uid, want.owner)) return true;
  if (want.group !== undefined && !is(st.group, st.gid, want.group)) return true;
  return false;
}

/** Normalises a mode argument ("0644", "644", 420) to the 3-4 digit octal string stat prints. */
export function normalizeMode(mode: string | number | undefined): string | undefined {
  const s = modeArg(mode);
  if (s === undefined) return undefined;
  if (!/^[0-7]{3,4}$/.test(s)) return s; // symbolic modes (u+x) are passed to chmod as they are
  return String(parseInt(s, 8).toString(8));
}

/** Text for a diff of state (not content): "mode 0644, owner root". */
export function stateText(st: FileState): string {
  if (st.type === 'absent') return 'absent\n';
  const parts: string[] = [st.type];
  if (st.mode) parts.push(`mode ${st.mode.padStart(4, '0')}`);
  if (st.owner) parts.push(`owner ${st.owner}`);
  if (st.group) parts.push(`group ${st.group}`);
  if (st.linkTarget !== undefined) parts.push(`-> ${st.linkTarget}`);
  return parts.join(', ') + '\n';
}
