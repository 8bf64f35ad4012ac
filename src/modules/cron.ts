import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { InputError } from '../errors.js';
import { quote, shellJoin } from '../quote.js';
import { printfWrite, WriteError, writeFileAtomic } from './lib/atomic.js';
import { editedFile } from './lib/edit-file.js';
import { defineFact } from './lib/facts.js';
import { known } from './lib/file-args.js';
import { DEFAULT_MAX_CONTENT } from './lib/file-state.js';
import { cronNames, crontabLines, editCrontab, renderCrontab, splitLines, SPECIAL_TIMES, type CronEditArgs } from './lib/crontab.js';
import { defineModule, type FileDiff, type ModuleResult } from './types.js';

export interface CronArgs {
  name: string;
  job?: string;
  user?: string;
  cron_file?: string;
  state?: 'present' | 'absent';
  backup?: boolean;
  minute?: string | number;
  hour?: string | number;
  day?: string | number;
  month?: string | number;
  weekday?: string | number;
  special_time?: (typeof SPECIAL_TIMES)[number];
  disabled?: boolean;
  env?: boolean;
  insertafter?: string;
  insertbefore?: string;
}

/** cron_file as Ansible resolves it: a bare name lives in /etc/cron.d. */
export const cronFilePath = (f: string) => (f.startsWith('/') ? f : posix.join('/etc/cron.d', f));

/** The user's crontab as `crontab -l` prints it (`-u` only for another user, as Ansible); rc 1 is "no crontab". */
export const crontabFact = defineFact(
  (user: string | undefined) =>
    [
      "command -v crontab >/dev/null 2>&1 || { echo nocrontab; exit 0; }",
      user === undefined
        ? 'out=$(crontab -l; printf "\\n@@rc=%s" "$?")'
        : `if [ "$(id -un)" = ${quote(user)} ]; then out=$(crontab -l; printf "\\n@@rc=%s" "$?"); else out=$(${shellJoin(['crontab', '-u', user, '-l'])}; printf "\\n@@rc=%s" "$?"); fi`,
      'printf "%s" "$out" | base64',
    ].join('\n'),
  (r, user): { listing: string } | { error: string } => {
    if (r.stdout.trim() === 'nocrontab') return { error: 'Failed to find required executable "crontab" in paths: the host has no crontab (Debian: apt-get install cron)' };
    const text = Buffer.from(r.stdout.replace(/\s+/g, ''), 'base64').toString('utf8');
    const at = text.lastIndexOf('\n@@rc=');
    const rc = Number(text.slice(at + 6));
    // 1 can mean that there are no jobs (Ansible's reading).
    if (at < 0 || (rc !== 0 && rc !== 1)) return { error: `Unable to read crontab${user ? ` of ${user}` : ''}: ${r.stderr.trim() || `exit ${rc}`}` };
    return { listing: rc === 0 ? text.slice(0, at) : '' };
  },
);

const TIME_FIELDS = ['minute', 'hour', 'day', 'month', 'weekday'] as const;
const timeOf = (v: string | number | undefined) => (v === undefined ? '*' : String(v));

/**
 * ansible.builtin.cron: a job under its `#Ansible: NAME` marker, or a variable (env), in a user's
 * crontab (read with `crontab -l`, installed with `crontab -` from the shell's printf) or in a
 * cron_file (/etc/cron.d/NAME, written atomically, 0644). Edits as Ansible's CronTab makes them.
 */
/** A cron_file is read as a file, a user's crontab through crontab -l: one of the two. */
function cronFacts(a: CronArgs) {
  const file = a.cron_file !== undefined ? cronFilePath(a.cron_file) : undefined;
  return { file: file !== undefined ? editedFile(file) : undefined, tab: file === undefined ? crontabFact(a.user) : undefined };
}

export default defineModule<CronArgs, ReturnType<typeof cronFacts>>({
  name: 'cron',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1, description: 'The job\'s description (its "#Ansible: NAME" marker), or with env the variable\'s name.' },
      job: { type: 'string', description: 'The command to run, or with env the value of the variable.' },
      user: { type: 'string', minLength: 1, description: "Whose crontab (crontab -u); with cron_file, the user the job runs as (required)." },
      cron_file: { type: 'string', minLength: 1, description: 'A file in /etc/cron.d (a bare name) or an absolute path instead of a user crontab.' },
      state: { enum: ['present', 'absent'], default: 'present' },
      backup: { type: 'boolean', default: false, description: 'Copy the crontab to a temp file on the host before changing it (backup_file).' },
      minute: { type: ['string', 'integer'], default: '*' },
      hour: { type: ['string', 'integer'], default: '*' },
      day: { type: ['string', 'integer'], default: '*', description: 'Day of the month.' },
      month: { type: ['string', 'integer'], default: '*' },
      weekday: { type: ['string', 'integer'], default: '*', description: 'Day of the week (0-6 Sunday-Saturday, or names).' },
      special_time: { enum: [...SPECIAL_TIMES], description: 'Instead of the time fields: @reboot, @daily, ...' },
      disabled: { type: 'boolean', default: false, description: 'Comment the job out (state present).' },
      env: { type: 'boolean', default: false, description: 'Manage a variable NAME="job" instead of a job.' },
      insertafter: { type: 'string', minLength: 1, description: 'With env: put a new variable after this one.' },
      insertbefore: { type: 'string', minLength: 1, description: 'With env: put a new variable before this one.' },
    },
  },
  validate(a) {
    const state = a.state ?? 'present';
    if (a.cron_file === '/etc/crontab') throw new InputError('cron: Will not manage /etc/crontab via cron_file, see documentation.');
    if (a.insertafter !== undefined && a.insertbefore !== undefined) throw new InputError('cron: parameters are mutually exclusive: insertafter|insertbefore');
    if (a.special_time !== undefined && TIME_FIELDS.some((k) => a[k] !== undefined && timeOf(a[k]) !== '*')) throw new InputError('cron: You must specify time and date fields or special time.');
    if (state === 'present') {
      if (a.cron_file !== undefined && a.user === undefined) throw new InputError('cron: To use cron_file=... parameter you must specify user=... as well');
      if (a.job === undefined) throw new InputError("cron: You must specify 'job' to install a new cron job or variable");
      if ((a.insertafter !== undefined || a.insertbefore !== undefined) && !a.env) throw new InputError('cron: Insertafter and insertbefore parameters are valid only with env=yes');
    }
    if (a.env && known(a.name) && a.name.includes(' ')) throw new InputError('cron: Invalid name for environment variable');
    // Ansible only warns: a line break would end the crontab line, and the rest would be a line of its own.
    for (const k of ['name', 'job', 'user', ...TIME_FIELDS] as const) {
      const v = a[k];
      if (known(v) && /[\r\n]/.test(String(v).replace(/^[\r\n]+|[\r\n]+$/g, ''))) throw new InputError(`cron: ${k} must not contain a line break (it would become a crontab line of its own)`);
    }
    if (known(a.user) && /\s/.test(a.user)) throw new InputError(`cron: user '${a.user}' is not a user name`);
  },
  facts: cronFacts,
  async run(a, ctx, f) {
    const state = a.state ?? 'present';
    const path = a.cron_file !== undefined ? cronFilePath(a.cron_file) : undefined;
    const warnings: string[] = [];
    if (a.cron_file !== undefined && !/^[A-Z0-9_-]+$/i.test(posix.basename(a.cron_file))) {
      warnings.push(`Filename portion of cron_file ("${posix.basename(a.cron_file)}") should consist solely of upper- and lower-case letters, digits, underscores, and hyphens`);
    }
    let existing: string;
    let lines: string[];
    if (path !== undefined) {
      const st = f.file!;
      if (st.type === 'directory' || st.type === 'other') return { changed: false, failed: true, msg: `${path} is not a regular file` };
      if (st.type === 'file' && !st.content) return { changed: false, failed: true, msg: `${path} is larger than ${DEFAULT_MAX_CONTENT} bytes` };
      existing = st.type === 'file' ? st.content!.toString('utf8') : '';
      lines = splitLines(existing);
    } else {
      const tab = f.tab!;
      if ('error' in tab) return { changed: false, failed: true, msg: tab.error };
      ({ lines, existing } = crontabLines(tab.listing));
    }
    const header = path ?? (a.user !== undefined ? `crontab for user "${a.user}"` : 'crontab');
    const args: CronEditArgs = {
      name: a.name,
      job: a.job ?? '',
      ...Object.fromEntries(TIME_FIELDS.map((k) => [k, timeOf(a[k])])),
      special_time: a.special_time,
      disabled: a.disabled,
      user: path !== undefined ? a.user : undefined,
      state,
      env: a.env,
      insertafter: a.insertafter,
      insertbefore: a.insertbefore,
      cronFile: path !== undefined,
    };
    const edit = editCrontab(lines, args);
    if (edit.error) return { changed: false, failed: true, msg: edit.error };
    const backupFile = a.backup && !ctx.check ? `/tmp/crontab${randomBytes(4).toString('hex')}` : undefined;
    const backup = backupFile ? `(umask 077; ${printfWrite(Buffer.from(renderCrontab(lines)), backupFile)})` : undefined;

    if (edit.removeFile) {
      // A cron_file with no job left is removed, as Ansible removes it.
      const diff: FileDiff[] | undefined = ctx.diff ? [{ path: path!, before: existing, after: '' }] : undefined;
      const out: ModuleResult = { changed: f.file!.type === 'file', cron_file: a.cron_file, state, ...(diff ? { diff } : {}) };
      if (ctx.check || !out.changed) return out;
      const r = await ctx.exec([backup, shellJoin(['rm', '-f', '--', path!])].filter(Boolean).join(' && '));
      if (r.rc !== 0) return { ...out, failed: true, msg: r.stderr.trim() || `rm failed (rc ${r.rc})` };
      return { ...out, ...(backupFile ? { backup_file: backupFile } : {}) };
    }

    // A crontab without a final newline is rewritten with one (cron ignores an unterminated last line).
    const changed = edit.changed || (existing !== '' && !/[\r\n]$/.test(existing));
    const after = renderCrontab(edit.lines);
    const out: ModuleResult = {
      changed,
      ...cronNames(edit.lines),
      warnings,
      ...(changed && ctx.diff ? { diff: [{ path: header, before: existing, after }] } : {}),
      ...(a.cron_file !== undefined ? { cron_file: a.cron_file } : {}),
    };
    if (!changed || ctx.check) return out;
    if (path !== undefined) {
      try {
        await writeFileAtomic(ctx, path, Buffer.from(after), { mode: '0644', prepare: backup });
      } catch (e) {
        if (e instanceof WriteError) return { ...out, failed: true, msg: e.message };
        throw e;
      }
    } else {
      const self = a.user === undefined ? 'crontab -' : `if [ "$(id -un)" = ${quote(a.user)} ]; then crontab -; else ${shellJoin(['crontab', '-u', a.user, '-'])}; fi`;
      // The new crontab goes to crontab's stdin from printf, a builtin: its text is on no command line.
      const r = await ctx.exec([backup, `printf '%s' ${quote(after)} | { ${self}; }`].filter(Boolean).join(' && '));
      if (r.rc !== 0) return { ...out, failed: true, msg: r.stderr.trim() || `crontab failed (rc ${r.rc})` };
    }
    return { ...out, ...(backupFile ? { backup_file: backupFile } : {}) };
  },
});
