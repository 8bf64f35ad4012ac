import { InputError } from '../errors.js';
import { quote, shellJoin } from '../quote.js';
import { isTemplated } from '../vars/template.js';
import { checkAccountName, findGroup, groupDbFact, parsePasswdLine, passwdFromOutput, passwdScript, idSchema, type GroupEntry, type PasswdEntry } from './lib/accounts.js';
import { defineFact } from './lib/facts.js';
import { defineModule } from './types.js';

export interface UserArgs {
  name: string;
  state?: 'present' | 'absent';
  uid?: number | string;
  non_unique?: boolean;
  group?: string | number;
  groups?: string[] | string;
  append?: boolean;
  shell?: string;
  home?: string;
  create_home?: boolean;
  move_home?: boolean;
  system?: boolean;
  comment?: string;
  password?: string;
  password_lock?: boolean;
  update_password?: 'always' | 'on_create';
  remove?: boolean;
  force?: boolean;
}

/** What Ansible puts in the result instead of the hash. */
export const PASSWORD_PLACEHOLDER = 'NOT_LOGGING_PASSWORD';

/** The user as the module reads it: passwd entry, whether the home it wants exists, the shadow hash (when asked). */
export interface Account {
  entry?: PasswdEntry;
  homeExists: boolean;
  /** The shadow password field; undefined when not read or no shadow entry. */
  hash?: string;
}

export const accountFact = defineFact(
  (p: { name: string; home?: string; shadow: boolean }) =>
    [
      passwdScript(p.name),
      ...(p.home !== undefined ? [`h=${quote(p.home)}`] : []),
      `if [ -n "$h" ] && [ -e "$h" ]; then echo home; else echo nohome; fi`,
      ...(p.shadow ? [`if s=$(getent shadow -- ${quote(p.name)}); then printf 'shadow %s\\n' "$s"; fi`] : []),
    ].join('\n'),
  (r, p): Account => {
    if (r.rc !== 0) throw new Error(`cannot read user ${p.name}: ${r.stderr.trim() || `exit ${r.rc}`}`);
    const lines = r.stdout.split('\n');
    const shadow = lines.find((l) => l.startsWith('shadow '));
    return { entry: passwdFromOutput(lines), homeExists: lines.includes('home'), hash: shadow?.slice(7).split(':')[1] };
  },
);

/** groups as a list of names or ids: Ansible's list type also takes "a,b". */
export function groupList(groups: string[] | string): string[] {
  const items = typeof groups === 'string' ? groups.split(',') : groups;
  return items.map((g) => String(g).trim()).filter(Boolean);
}

/** The change to make: usermod/useradd/userdel argv, the hash to set, whether to make the home. */
export interface UserPlan {
  argv?: string[];
  /** The shadow field to set (chpasswd -e); never printed. */
  hash?: string;
  makeHome?: string;
  /** A group the arguments name that does not exist. */
  error?: string;
}

const stripBang = (s: string) => s.replace(/^!+/, '');

/** ansible.builtin.user's Linux logic (create_user_useradd, modify_user_usermod, remove_user_userdel) as a plan. */
export function userPlan(a: UserArgs, now: Account, db: GroupEntry[]): UserPlan {
  const state = a.state ?? 'present';
  const cur = now.entry;
  if (state === 'absent') return cur ? { argv: ['userdel', ...(a.force ? ['-f'] : []), ...(a.remove ? ['-r'] : []), a.name] } : {};
  const wanted = a.groups === undefined ? undefined : groupList(a.groups);
  for (const g of [...(a.group !== undefined ? [String(a.group)] : []), ...(wanted ?? [])]) {
    if (!findGroup(db, g)) return { error: `Group ${g} does not exist` };
  }
  const createHome = a.create_home ?? true;
  if (!cur) {
    const argv = ['useradd'];
    if (a.uid !== undefined) argv.push('-u', String(a.uid), ...(a.non_unique ? ['-o'] : []));
    if (a.group !== undefined) argv.push('-g', String(a.group));
    else if (db.some((g) => g.name === a.name)) argv.push('-N'); // useradd would fail creating the user's own group
    if (wanted?.length) argv.push('-G', wanted.join(','));
    if (a.comment !== undefined) argv.push('-c', a.comment);
    if (a.home !== undefined) argv.push('-d', a.home);
    if (a.shell !== undefined) argv.push('-s', a.shell);
    argv.push(createHome ? '-m' : '-M', ...(a.system ? ['-r'] : []), a.name);
    const hash = a.password === undefined ? undefined : a.password_lock ? `!${a.password}` : a.password;
    return { argv, hash };
  }
  const opts: string[] = [];
  if (a.uid !== undefined && cur.uid !== Number(a.uid)) opts.push('-u', String(a.uid), ...(a.non_unique ? ['-o'] : []));
  if (a.group !== undefined) {
    const g = findGroup(db, a.group)!;
    if (g.gid !== cur.gid) opts.push('-g', String(g.gid));
  }
  if (wanted !== undefined) {
    const current = db.filter((g) => g.members.includes(a.name)).map((g) => g.name);
    const names = [...new Set(wanted.map((g) => findGroup(db, g)!.name))];
    const differ = new Set([...current.filter((g) => !names.includes(g)), ...names.filter((g) => !current.includes(g))]);
    const need = names.length === 0 ? current.length > 0 && !a.append : a.append ? names.some((g) => differ.has(g)) : differ.size > 0;
    if (need) opts.push(...(a.append ? ['-a'] : []), '-G', names.join(','));
  }
  if (a.comment !== undefined && cur.comment !== a.comment) opts.push('-c', a.comment);
  if (a.home !== undefined && cur.home !== a.home) opts.push('-d', a.home, ...(a.move_home ? ['-m'] : []));
  if (a.shell !== undefined && cur.shell !== a.shell) opts.push('-s', a.shell);
  const field = now.hash ?? '';
  let hash: string | undefined;
  if ((a.update_password ?? 'always') === 'always' && a.password !== undefined && stripBang(field) !== stripBang(a.password)) {
    hash = a.password_lock ? `!${a.password}` : a.password; // the hash replaces a lock or unlock, as Ansible's -p does
  } else if (a.password_lock === true && !field.startsWith('!')) opts.push('-L');
  else if (a.password_lock === false && field.startsWith('!')) opts.push('-U');
  const home = a.home ?? cur.home;
  return { ...(opts.length ? { argv: ['usermod', ...opts, a.name] } : {}), ...(hash !== undefined ? { hash } : {}), ...(createHome && !now.homeExists && home ? { makeHome: home } : {}) };
}

/**
 * A missing home made as Ansible's create_homedir makes it: a copy of /etc/skel (else an empty
 * directory), mode HOME_MODE or what UMASK leaves in /etc/login.defs, owned by the user.
 */
export function makeHomeScript(name: string, home: string): string {
  const h = quote(home);
  return [
    `if [ ! -e ${h} ]; then`,
    `p=${h}; p=\${p%/*}; [ -z "$p" ] || mkdir -p -- "$p"`,
    `if [ -d /etc/skel ]; then cp -RP /etc/skel ${h}; else mkdir -- ${h}; fi`,
    `u=022; m=; if [ -r /etc/login.defs ]; then while read -r k v _; do case $k in HOME_MODE) m=\${m:-$v};; UMASK) u=$v;; esac; done < /etc/login.defs; fi`,
    `chmod -- "\${m:-$(printf %o $((0777 & ~0$u)))}" ${h}`,
    `chown -R -- ${quote(`${name}:`)} ${h}`,
    'fi',
  ].join('\n');
}

const MARK = '@@fabric-passwd';

/** The shell script carrying out plan: commands, then the hash through chpasswd's stdin (printf is a builtin: the hash is on no command line), then the entry as it is now. */
export function userScript(a: UserArgs, plan: UserPlan): string {
  const lines = ['set -e'];
  if (plan.argv?.[0] === 'useradd' && a.home !== undefined && (a.create_home ?? true)) {
    lines.push(`p=${quote(a.home)}; p=\${p%/*}; [ -z "$p" ] || mkdir -p -- "$p"`); // useradd makes no parent
  }
  if (plan.argv) lines.push(shellJoin(plan.argv));
  if (plan.hash !== undefined) lines.push(`printf '%s:%s\\n' ${quote(a.name)} ${quote(plan.hash)} | chpasswd -e`);
  if (plan.makeHome !== undefined) lines.push(makeHomeScript(a.name, plan.makeHome));
  if ((a.state ?? 'present') === 'present') lines.push(`echo ${MARK}`, `getent passwd -- ${quote(a.name)}`);
  return lines.join('\n');
}

/** ansible.builtin.user on Linux: useradd/usermod/userdel, the hash through chpasswd -e; read from passwd, group and shadow. */
export default defineModule({
  name: 'user',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1, description: 'The user name.' },
      state: { enum: ['present', 'absent'], default: 'present' },
      uid: { ...idSchema, description: 'The user id (usermod -u on an existing user).' },
      non_unique: { type: 'boolean', default: false, description: 'Allow a uid another user has (-o), with uid.' },
      group: { type: ['string', 'integer'], description: 'The primary group, by name or gid; it must exist.' },
      groups: { type: ['array', 'string'], items: { type: ['string', 'integer'] }, description: "Supplementary groups (a list, or 'a,b'); [] or '' removes them all unless append." },
      append: { type: 'boolean', default: false, description: 'Add groups to the ones the user has instead of setting them.' },
      shell: { type: 'string' },
      home: { type: 'string', minLength: 1, description: 'The home directory (usermod -d on an existing user).' },
      create_home: { type: 'boolean', default: true, description: 'Make the home (useradd -m, and for an existing user whose home is missing).' },
      move_home: { type: 'boolean', default: false, description: 'With a new home on an existing user: move the old one there (usermod -m).' },
      system: { type: 'boolean', default: false, description: 'Create a system account (useradd -r); no effect on an existing user.' },
      comment: { type: 'string', description: 'The GECOS field.' },
      password: { type: 'string', description: 'The already-crypted hash for /etc/shadow (e.g. from password_hash), never a clear-text password.' },
      password_lock: { type: 'boolean', description: 'true: lock the password (usermod -L); false: unlock it (usermod -U).' },
      update_password: { enum: ['always', 'on_create'], default: 'always', description: 'on_create: set password only when creating the user.' },
      remove: { type: 'boolean', default: false, description: 'With state absent: remove the home and mail spool too (userdel -r).' },
      force: { type: 'boolean', default: false, description: 'With state absent: userdel -f.' },
    },
  },
  validate(a: UserArgs) {
    checkAccountName('user', 'name', a.name);
    for (const [k, v] of [['comment', a.comment], ['shell', a.shell], ['home', a.home]] as const) {
      if (v !== undefined && !isTemplated(v) && /[:\n]/.test(v)) throw new InputError(`user: ${k} must not contain a colon or a newline`);
    }
    // Not the value: the message must not show the hash.
    if (a.password !== undefined && !isTemplated(a.password) && /[:\n\r]/.test(a.password)) throw new InputError('user: password must be a crypted hash (no colon or newline)');
    if (a.home !== undefined && !isTemplated(a.home) && !a.home.startsWith('/')) throw new InputError(`user: home '${a.home}' must be an absolute path`);
  },
  facts: (a: UserArgs) => ({
    account: accountFact({ name: a.name, home: a.home, shadow: a.password !== undefined || a.password_lock !== undefined }),
    groups: (a.state ?? 'present') === 'present' ? groupDbFact() : undefined,
  }),
  async run(a, ctx, { account, groups }) {
    const state = a.state ?? 'present';
    const base = { name: a.name, state, ...(a.password !== undefined ? { password: PASSWORD_PLACEHOLDER } : {}) };
    // As Ansible: check mode reports a user to create or remove before any other check (a group made earlier in the play may not exist yet).
    if (ctx.check && state === 'present' && !account.entry) return { changed: true, ...base };
    const plan = userPlan(a, account, groups ?? []);
    if (plan.error) return { changed: false, failed: true, ...base, msg: plan.error };
    const changed = plan.argv !== undefined || plan.hash !== undefined || plan.makeHome !== undefined;
    const describe = (e: PasswdEntry | undefined) =>
      state === 'absent'
        ? { force: a.force ?? false, remove: a.remove ?? false }
        : {
            ...(e ? { uid: e.uid, group: e.gid, comment: e.comment, home: e.home, shell: e.shell } : {}),
            ...(a.groups !== undefined ? { groups: groupList(a.groups).join(',') } : {}),
            append: a.append ?? false,
            create_home: a.create_home ?? true,
            system: a.system ?? false,
          };
    if (!changed || ctx.check) return { changed, ...base, ...describe(account.entry) };
    const r = await ctx.exec(userScript(a, plan));
    const tail = r.stdout.split(`${MARK}\n`)[1];
    const after = tail === undefined ? undefined : parsePasswdLine(tail.trim());
    const stdout = r.stdout.split(`${MARK}\n`)[0]!;
    const out = { changed: true, ...base, ...describe(after ?? account.entry), ...(stdout.trim() ? { stdout } : {}) };
    // As Ansible: a failure's message is the tool's stderr.
    if (r.rc !== 0) return { ...out, failed: true, rc: r.rc, msg: r.stderr.trim() || `user ${a.name}: exit ${r.rc}` };
    return { ...out, ...(r.stderr.trim() ? { stderr: r.stderr } : {}) };
  },
});
