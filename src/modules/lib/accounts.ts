import { InputError } from '../../errors.js';
import { quote } from '../../quote.js';
import { isTemplated } from '../../vars/template.js';
import { defineFact } from './facts.js';

/**
 * The account databases as user, group and authorized_key read them: through NSS (getent), as
 * Ansible's pwd/grp calls do, one program per database in the module's one fact round trip.
 */

/** A uid or gid argument: an integer or a string of digits (Ansible's type=int takes "1001"). */
export const idSchema = { type: ['integer', 'string'], minimum: 0, pattern: '^[0-9]+$' };

/** One passwd entry (getent passwd NAME). */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
}

/** One group entry (getent group). */
export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** `name:x:uid:gid:gecos:home:shell` (the gecos field holds no colon: useradd refuses one). */
export function parsePasswdLine(line: string): PasswdEntry | undefined {
  const f = line.split(':');
  if (f.length < 7 || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!)) return undefined;
  return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), comment: f[4]!, home: f[5]!, shell: f.slice(6).join(':') };
}

/** Every line of `getent group` (`name:x:gid:a,b`); lines that do not parse are left out. */
export function parseGroupDb(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || !/^\d+$/.test(f[2]!)) continue;
    out.push({ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(',').filter(Boolean) });
  }
  return out;
}

/** A group given by name or id, as Ansible's user module looks it up: as a gid first, then by name. */
export function findGroup(db: GroupEntry[], nameOrId: string | number): GroupEntry | undefined {
  const s = String(nameOrId);
  if (/^\d+$/.test(s)) {
    const byId = db.find((g) => g.gid === Number(s));
    if (byId) return byId;
  }
  return db.find((g) => g.name === s);
}

/** The whole group database: one read shared by every user and group task on the host until a change. */
export const groupDbFact = defineFact<void, GroupEntry[]>(
  () => 'getent group',
  (r) => {
    // getent exits 2 when the database is empty, never for a plain read.
    if (r.rc !== 0 && r.rc !== 2) throw new Error(`cannot read the group database: ${r.stderr.trim() || `exit ${r.rc}`}`);
    return parseGroupDb(r.stdout);
  },
);

/**
 * Shell printing `passwd LINE` (or `nouser`) for name, leaving the line in $e and its home in $h
 * for what follows in the same fact script.
 */
export function passwdScript(name: string): string {
  return [
    `h=; if e=$(getent passwd -- ${quote(name)}); then printf 'passwd %s\\n' "$e"`,
    `  h=\${e#*:*:*:*:*:}; h=\${h%:*}`,
    `else echo nouser; fi`,
  ].join('\n');
}

/** The passwd entry from a fact's output (the `passwd` line passwdScript printed), undefined: no such user. */
export function passwdFromOutput(lines: string[]): PasswdEntry | undefined {
  const line = lines.find((l) => l.startsWith('passwd '));
  return line === undefined ? undefined : parsePasswdLine(line.slice(7));
}

/**
 * A user or group name the tools take: no colon, comma or white space, not starting with `-`,
 * not all digits (getent and the tools would read it as an id). Templated values wait for the run.
 */
export function checkAccountName(module: string, what: string, name: string): void {
  if (isTemplated(name)) return;
  if (!/^[^\s:,/-][^\s:,/]*$/.test(name) || /^\d+$/.test(name)) {
    throw new InputError(`${module}: ${what} '${name}' is not a valid name (no colon, comma, slash or white space, not starting with '-', not all digits)`);
  }
}
