import { posix } from 'node:path';
import { InputError } from '../errors.js';
import { quote } from '../quote.js';
import { isTemplated } from '../vars/template.js';
import { checkAccountName, passwdFromOutput, passwdScript, type PasswdEntry } from './lib/accounts.js';
import { WriteError, writeFileAtomic } from './lib/atomic.js';
import { defineFact } from './lib/facts.js';
import { editAuthorizedKeys, wantedKeys } from './lib/ssh-keys.js';
import { defineModule, type FileDiff } from './types.js';

export interface AuthorizedKeyArgs {
  user: string;
  key: string;
  path?: string;
  manage_dir?: boolean;
  state?: 'present' | 'absent';
  exclusive?: boolean;
  key_options?: string;
  comment?: string;
}

export interface KeyFileState {
  entry?: PasswdEntry;
  /** The file the keys are in: path, else the user's ~/.ssh/authorized_keys; undefined without user or path. */
  keyfile?: string;
  /** Its text; undefined when it is not a file. */
  content?: string;
}

/** The user and their key file, read in one script: the default file's place depends on the home passwd gives. */
export const keyFileFact = defineFact(
  (p: { user: string; path?: string }) =>
    [
      passwdScript(p.user),
      p.path !== undefined ? `k=${quote(p.path)}` : `k=; [ -z "$h" ] || k="\${h%/}/.ssh/authorized_keys"`,
      `if [ -n "$k" ]; then printf 'keyfile %s\\n' "$k"; if [ -f "$k" ]; then echo file; base64 < "$k" || exit 3; else echo nofile; fi; fi`,
    ].join('\n'),
  (r, p): KeyFileState => {
    if (r.rc !== 0) throw new Error(`cannot read the authorized keys of ${p.user}: ${r.stderr.trim() || `exit ${r.rc}`}`);
    const lines = r.stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith('keyfile '));
    const file = at >= 0 && lines[at + 1] === 'file';
    return {
      entry: passwdFromOutput(lines),
      keyfile: at >= 0 ? lines[at]!.slice(8) : undefined,
      content: file ? Buffer.from(lines.slice(at + 2).join(''), 'base64').toString('utf8') : undefined,
    };
  },
);

/** What runs before the write: the key directory made and given to the user (manage_dir), else a missing parent made. */
export function keyDirScript(keyfile: string, manageDir: boolean, entry: PasswdEntry): string {
  const d = quote(posix.dirname(keyfile));
  if (!manageDir) return `[ -d ${d} ] || mkdir -p -- ${d}`;
  return [`[ -e ${d} ] || mkdir -m 700 -- ${d}`, `chown -- ${entry.uid}:${entry.gid} ${d}`, `chmod 700 -- ${d}`].join('\n');
}

/** ansible.posix.authorized_key: keys added to or removed from a user's authorized_keys, written atomically, 0600 and owned by the user. */
export default defineModule({
  name: 'authorized_key',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['user', 'key'],
    properties: {
      user: { type: 'string', minLength: 1, description: 'The user whose keys these are; the file is theirs.' },
      key: { type: 'string', minLength: 1, description: 'One or more public keys, one a line (blank and # lines are skipped).' },
      path: { type: 'string', minLength: 1, description: 'The file (default: ~user/.ssh/authorized_keys).' },
      manage_dir: { type: 'boolean', default: true, description: "Create the file's directory (0700) and give it to the user, as Ansible does even for a path's directory." },
      state: { enum: ['present', 'absent'], default: 'present' },
      exclusive: { type: 'boolean', default: false, description: 'Remove every other key from the file.' },
      key_options: { type: 'string', description: 'Options put before each key, e.g. no-pty,from="10.0.0.0/8".' },
      comment: { type: 'string', description: 'The comment each key gets instead of its own.' },
    },
  },
  validate(a: AuthorizedKeyArgs) {
    checkAccountName('authorized_key', 'user', a.user);
    if (!isTemplated(a.key)) {
      if (a.key.startsWith('http')) throw new InputError('authorized_key: fetching keys from a URL is not supported; give the keys themselves');
      const w = wantedKeys(a.key);
      if ('invalid' in w) throw new InputError(`authorized_key: invalid key specified: ${w.invalid}`);
    }
    if (a.path !== undefined && !isTemplated(a.path) && (!a.path.startsWith('/') || a.path.includes('\n'))) throw new InputError(`authorized_key: path '${a.path}' must be an absolute path`);
    for (const [k, v] of [['key_options', a.key_options], ['comment', a.comment]] as const) {
      if (v !== undefined && /[\r\n]/.test(v)) throw new InputError(`authorized_key: ${k} must be one line`);
    }
  },
  facts: (a: AuthorizedKeyArgs) => ({ now: keyFileFact({ user: a.user, path: a.path }) }),
  async run(a, ctx, { now }) {
    const state = a.state ?? 'present';
    const manageDir = a.manage_dir ?? true;
    const exclusive = a.exclusive ?? false;
    const base = { key: a.key, user: a.user, path: a.path ?? null, manage_dir: manageDir, state, exclusive, key_options: a.key_options ?? null, comment: a.comment ?? null };
    // In check mode with a path Ansible never looks the user up; everywhere else a missing user fails.
    if (!now.entry && !(ctx.check && a.path !== undefined)) {
      const msg = ctx.check && a.path === undefined ? 'Either user must exist or you must provide full path to key file in check mode' : `Failed to lookup user ${a.user}`;
      return { changed: false, failed: true, ...base, msg };
    }
    if (now.keyfile === undefined) return { changed: false, failed: true, ...base, msg: `user ${a.user} has no home directory: give path` };
    const keyfile = now.keyfile;
    const existing = now.content ?? '';
    let edit: { text: string; changed: boolean };
    try {
      edit = editAuthorizedKeys(existing, a.key, { state, exclusive, keyOptions: a.key_options, comment: a.comment });
    } catch (e) {
      return { changed: false, failed: true, ...base, keyfile, msg: (e as Error).message };
    }
    const diff: FileDiff[] = [{ path: keyfile, before: existing, after: edit.text }];
    const out = { changed: edit.changed, ...base, keyfile, ...(ctx.diff && edit.changed ? { diff } : {}) };
    if (!edit.changed || ctx.check) return out;
    try {
      const e = now.entry!;
      await writeFileAtomic(ctx, keyfile, Buffer.from(edit.text), { owner: String(e.uid), group: String(e.gid), mode: '0600', prepare: keyDirScript(keyfile, manageDir, e) });
    } catch (err) {
      if (err instanceof WriteError) return { ...out, failed: true, msg: err.message };
      throw err;
    }
    return out;
  },
});
