import type { ExecResult } from '../../connection/types.js';
import { defineFact } from './facts.js';

/** One fstab entry as the mount module writes it (fields already given, not yet escaped). */
export interface MountEntry {
  name: string;
  src?: string;
  fstype?: string;
  opts: string;
  dump: string;
  passno: string;
}

/** ansible.posix.mount's _escape_fstab: backslash, space and ampersand as octal escapes. */
export function escapeFstab(v: string): string {
  return v.replace(/\\/g, '\\134').replace(/ /g, '\\040').replace(/&/g, '\\046');
}

const LABELS = ['src', 'name', 'fstype', 'opts', 'dump', 'passno'] as const;
type Fields = Record<(typeof LABELS)[number], string | undefined>;

/** A line's fields when it is an entry (4 to 6 fields; `exact6` as unset_mount wants), else undefined. */
function entryOf(line: string, exact6: boolean): Fields | undefined {
  if (!line.trim() || line.trim().startsWith('#')) return undefined;
  const fields = line.split(/\s+/).filter(Boolean);
  if (exact6 ? fields.length !== 6 : fields.length < 4 || fields.length > 6) return undefined;
  // Missing dump/passno stay undefined: Ansible fills in the integer 0, which never equals '0', so such a line is rewritten.
  return Object.fromEntries(LABELS.map((k, i) => [k, fields[i]])) as Fields;
}

/** Whether an entry is the one for want (by mount point; a swap line `none` also by its source). */
function matches(ld: Fields, name: string, src: string | undefined): boolean {
  if (ld.name !== escapeFstab(name)) return false;
  return !(src !== undefined && ld.name === 'none' && ld.fstype === 'swap' && ld.src !== src);
}

const lineOf = (f: Fields) => `${f.src} ${f.name} ${f.fstype} ${f.opts} ${f.dump} ${f.passno}\n`;

/** Ansible's _set_mount_save_old: every matching entry brought to want, or want appended; other lines kept as they are. */
export function setMount(text: string, want: MountEntry): { text: string; changed: boolean } {
  const esc: Fields = Object.fromEntries(LABELS.map((k) => [k, want[k] === undefined ? undefined : escapeFstab(want[k]!)])) as Fields;
  const out: string[] = [];
  let exists = false;
  let changed = false;
  for (let line of splitLines(text)) {
    if (!line.endsWith('\n')) line += '\n';
    const ld = entryOf(line, false);
    if (!ld || !matches(ld, want.name, want.src)) {
      out.push(line);
      continue;
    }
    exists = true;
    for (const k of ['src', 'fstype', 'opts', 'dump', 'passno'] as const) {
      if (ld[k] !== esc[k]) {
        ld[k] = esc[k];
        changed = true;
      }
    }
    out.push(changed ? lineOf(ld) : line);
  }
  if (!exists) {
    out.push(lineOf(esc));
    changed = true;
  }
  return { text: out.join(''), changed };
}

/** Ansible's unset_mount: every 6-field entry for want's mount point removed. */
export function unsetMount(text: string, name: string, src: string | undefined): { text: string; changed: boolean } {
  const out: string[] = [];
  let changed = false;
  for (const line of splitLines(text)) {
    const ld = entryOf(line, true);
    if (ld && matches(ld, name, src)) changed = true;
    else out.push(line);
  }
  return { text: out.join(''), changed };
}

/** Lines with their line ends, as Python's readlines(). */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** What is mounted, by mount point (mountinfo's octal escapes decoded). */
export type Mounts = Map<string, { src: string; fstype: string }>;

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** /proc/self/mountinfo: mount point is field 5; after the ` - ` separator come fstype and source. */
export function parseMountinfo(text: string): Mounts {
  const mounts: Mounts = new Map();
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (f.length < 10 || sep < 0) continue;
    mounts.set(unescape(f[4]!), { fstype: f[sep + 1]!, src: unescape(f[sep + 2]!) });
  }
  return mounts;
}

/** The host's mount table: one read serves every mount task of a section (the key does not depend on the path). */
export const mountsFact = defineFact(
  () => 'cat /proc/self/mountinfo',
  (r: ExecResult) => {
    if (r.rc !== 0) throw new Error(`cannot read /proc/self/mountinfo: ${r.stderr.trim() || `exit ${r.rc}`}`);
    return parseMountinfo(r.stdout);
  },
);
