import { posix } from 'node:path';
import { quote } from '../../quote.js';

export interface FileState {
  type: 'absent' | 'file' | 'directory' | 'link' | 'other';
  mode?: string; // octal, e.g. "644"
  owner?: string;
  group?: string;
  sha256?: string; // files only
  linkTarget?: string; // links only
  content?: Buffer; // files only, when asked for (--diff)
}

/** Prefix of our temp files beside a destination; a cut upload leaves one, the next probe removes it. */
export function tempPrefix(path: string): string {
  return posix.join(posix.dirname(path), `.${posix.basename(path)}.fabric-`);
}

/**
 * Shell text printing one line `type|mode|owner|group|sha256|linktarget` for path, then
 * (withContent) the file's base64. Part of a module's single probe round trip.
 */
export function probeFileScript(path: string, withContent = false): string {
  const p = quote(path);
  return [
    `p=${p}`,
    // Remove temp files a cut connection left beside this destination (ours, never the user's).
    `for f in ${quote(tempPrefix(path))}*; do [ -e "$f" ] && rm -f -- "$f"; done 2>/dev/null`,
    `if [ -L "$p" ]; then printf 'link|%s||%s\\n' "$(stat -c '%a|%U|%G' -- "$p")" "$(readlink -- "$p")"`,
    `elif [ -d "$p" ]; then printf 'directory|%s||\\n' "$(stat -c '%a|%U|%G' -- "$p")"`,
    `elif [ -f "$p" ]; then printf 'file|%s|%s|\\n' "$(stat -c '%a|%U|%G' -- "$p")" "$(sha256sum < "$p" | cut -d' ' -f1)"` +
      (withContent ? `; base64 < "$p"` : ''),
    `elif [ -e "$p" ]; then echo 'other|||||'`,
    `else echo 'absent|||||'; fi`,
  ].join('\n');
}

/** Parses what probeFileScript printed (it may be followed by other output lines). */
export function parseFileState(out: string): FileState {
  const nl = out.indexOf('\n');
  const first = nl < 0 ? out : out.slice(0, nl);
  const [type, mode, owner, group, sha256, linkTarget] = first.split('|');
  const st: FileState = { type: (type as FileState['type']) || 'absent' };
  if (st.type === 'absent' || st.type === 'other') return st;
  Object.assign(st, { mode, owner, group });
  if (st.type === 'file') {
    st.sha256 = sha256;
    if (nl >= 0 && out.length > nl + 1) st.content = Buffer.from(out.slice(nl + 1).replace(/\s+/g, ''), 'base64');
  }
  if (st.type === 'link') st.linkTarget = linkTarget;
  return st;
}

/** Normalises a mode argument ("0644", "644", 420) to the 3-4 digit octal string stat prints. */
export function normalizeMode(mode: string | number | undefined): string | undefined {
  if (mode === undefined) return undefined;
  const s = typeof mode === 'number' ? mode.toString(8) : mode;
  if (!/^[0-7]{3,4}$/.test(s)) return s; // symbolic modes (u+x) are passed to chmod as they are
  return String(parseInt(s, 8).toString(8));
}
