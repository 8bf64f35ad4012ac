/**
 * authorized_keys files read and rewritten by ansible.posix.authorized_key's rules (parsekey,
 * parsekeys, serialize, enforce_state): a key is known by its base64 blob, a line that is no
 * key is kept as it is, and the file comes out in the order Ansible writes it.
 */

const KEY_TYPES = new Set([
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ssh-ed25519@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com',
  'ssh-ed25519',
  'ssh-ed25519-cert-v01@openssh.com',
  'ssh-dss',
  'ssh-rsa',
  'ssh-xmss@openssh.com',
  'ssh-xmss-cert-v01@openssh.com',
  'rsa-sha2-256',
  'rsa-sha2-512',
  'ssh-rsa-cert-v01@openssh.com',
  'rsa-sha2-256-cert-v01@openssh.com',
  'rsa-sha2-512-cert-v01@openssh.com',
  'ssh-dss-cert-v01@openssh.com',
]);

/** Options in order, a name possibly more than once (`permitopen` twice); null: a flag. */
export type KeyOptions = [string, string | null][];

export interface SshKey {
  /** The base64 blob: what identifies the key. */
  key: string;
  type: string;
  options: KeyOptions;
  comment: string;
  rank: number;
}

/** A line kept as it is: a comment, a blank or a line that is no key. */
interface RawLine {
  raw: string;
  rank: number;
}

type Entry = SshKey | RawLine;

/** `no-pty,command="a,b"` split on commas outside quotes, as Ansible's parseoptions. */
export function parseOptions(text: string | undefined): KeyOptions {
  const out: KeyOptions = [];
  if (!text) return out;
  const parts = text.split(/((?:[^,"']|"[^"]*"|'[^']*')+)/).slice(1, -1);
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq >= 0) out.push([part.slice(0, eq), part.slice(eq + 1)]);
    else if (part !== ',') out.push([part, null]);
  }
  return out;
}

/** Equal as Ansible compares them: per name, the same values in the same order; names in any order. */
function sameOptions(a: KeyOptions, b: KeyOptions): boolean {
  const byName = (o: KeyOptions) => {
    const m = new Map<string, (string | null)[]>();
    for (const [k, v] of o) m.set(k, [...(m.get(k) ?? []), v]);
    return m;
  };
  const ma = byName(a);
  const mb = byName(b);
  if (ma.size !== mb.size) return false;
  for (const [k, v] of ma) if (JSON.stringify(mb.get(k)) !== JSON.stringify(v)) return false;
  return true;
}

/**
 * One line: options, type, blob, comment; 'raw' for a `# ...` line; undefined when no known key
 * type is followed by a blob (Ansible keeps such a line of a file as it is, and refuses it as an argument).
 */
export function parseKey(line: string, rank: number): SshKey | 'raw' | undefined {
  const text = line.replace(/\\#/g, '#');
  const parts = text.split(/[ \t\r\n]+/).filter(Boolean);
  if (parts[0] === '#') return 'raw';
  const at = parts.findIndex((p) => KEY_TYPES.has(p));
  if (at < 0 || parts[at + 1] === undefined) return undefined;
  return { key: parts[at + 1]!, type: parts[at]!, options: parseOptions(at > 0 ? parts.slice(0, at).join(' ') : undefined), comment: parts.slice(at + 2).join(' '), rank };
}

/** Lines with their endings (Python's splitlines(True) for \n, \r\n and \r). */
function linesWithEnds(text: string): string[] {
  return text.match(/[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$/g) ?? [];
}

/** The file's entries by blob (a raw line by its text), in the order a Python dict keeps them. */
function parseKeys(text: string): Map<string, Entry> {
  const keys = new Map<string, Entry>();
  linesWithEnds(text).forEach((line, rank) => {
    const k = parseKey(line, rank);
    if (k === 'raw' || k === undefined) keys.set(k === 'raw' ? line.replace(/\\#/g, '#') : line, { raw: k === 'raw' ? line.replace(/\\#/g, '#') : line, rank });
    else keys.set(k.key, k);
  });
  return keys;
}

function serialize(keys: Map<string, Entry>): string {
  const sorted = [...keys.values()].sort((a, b) => a.rank - b.rank);
  return sorted
    .map((e, i) => {
      if ('raw' in e) return i < sorted.length - 1 && !/[\r\n]$/.test(e.raw) ? `${e.raw}\n` : e.raw; // Ansible would glue the next line on
      const opts = e.options.length ? `${e.options.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(',')} ` : '';
      return `${opts}${e.type} ${e.key} ${e.comment}\n`;
    })
    .join('');
}

export interface KeyEdit {
  state: 'present' | 'absent';
  exclusive: boolean;
  keyOptions?: string;
  comment?: string;
}

/** The key argument's lines (blank lines and `#` lines dropped), or the first one that is no key. */
export function wantedKeys(keyText: string): { keys: SshKey[] } | { invalid: string } {
  const lines = keyText.split(/\r\n|\n|\r/).filter((s) => s && !s.startsWith('#'));
  const keys: SshKey[] = [];
  for (const [i, line] of lines.entries()) {
    const k = parseKey(line, i);
    if (k === undefined || k === 'raw') return { invalid: line };
    keys.push(k);
  }
  return { keys };
}

/** The authorized_keys text after enforcing the keys (Ansible's enforce_state); changed: it must be written. */
export function editAuthorizedKeys(existing: string, keyText: string, o: KeyEdit): { text: string; changed: boolean } {
  const wanted = wantedKeys(keyText);
  if ('invalid' in wanted) throw new Error(`invalid key specified: ${wanted.invalid}`);
  const keys = parseKeys(existing);
  const maxRank = keys.size;
  const keep: string[] = [];
  let changed = false;
  for (const parsed of wanted.keys) {
    const k: SshKey = { ...parsed, ...(o.keyOptions !== undefined ? { options: parseOptions(o.keyOptions) } : {}), ...(o.comment !== undefined ? { comment: o.comment } : {}) };
    const have = keys.get(k.key);
    let matched = false;
    let stale = false;
    if (have) {
      const same = !('raw' in have) && have.type === k.type && have.comment === k.comment && sameOptions(have.options, k.options);
      if (o.state === 'present' && !same) stale = true;
      else matched = true;
    }
    if (o.state === 'present') {
      keep.push(k.key);
      if (stale) {
        keys.delete(k.key);
        changed = true;
      }
      if (!matched) {
        keys.set(k.key, { ...k, rank: maxRank + k.rank });
        changed = true;
      }
    } else if (matched) {
      keys.delete(k.key);
      changed = true;
    }
  }
  if (o.state === 'present' && o.exclusive) {
    for (const name of [...keys.keys()]) {
      if (!keep.includes(name)) {
        keys.delete(name);
        changed = true;
      }
    }
  }
  return { text: changed ? serialize(keys) : existing, changed };
}
