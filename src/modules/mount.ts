import { posix } from 'node:path';
import { InputError } from '../errors.js';
import { quote, shellJoin } from '../quote.js';
import { writeFileAtomic } from './lib/atomic.js';
import { editedFile } from './lib/edit-file.js';
import { known, writeFailure } from './lib/file-args.js';
import { DEFAULT_MAX_CONTENT } from './lib/file-state.js';
import { mountsFact, setMount, unsetMount, type MountEntry } from './lib/fstab.js';
import { defineModule, type ModuleContext, type ModuleResult } from './types.js';

type State = 'mounted' | 'unmounted' | 'present' | 'absent' | 'remounted';

export interface MountArgs {
  path?: string;
  name?: string;
  src?: string;
  fstype?: string;
  opts?: string;
  dump?: string | number;
  passno?: string | number;
  state: State;
  fstab?: string;
  boot?: boolean;
}

const pathOf = (a: MountArgs) => (a.path ?? a.name)!;
const FIELDS = ['path', 'name', 'src', 'fstype', 'opts', 'dump', 'passno'] as const;

/** The entry and result fields as Ansible's main() builds them (defaults, then boot: false adds noauto). */
export function mountEntry(a: MountArgs): { entry: MountEntry; fstab: string; boot: 'yes' | 'no'; warnings: string[] } {
  const entry: MountEntry = { name: pathOf(a), src: a.src, fstype: a.fstype, opts: a.opts ?? 'defaults', dump: String(a.dump ?? '0'), passno: String(a.passno ?? '0') };
  const warnings: string[] = [];
  let boot: 'yes' | 'no' = 'yes';
  const opts = entry.opts.split(',');
  if (opts.includes('noauto')) warnings.push("Ignore the 'boot' due to 'opts' contains 'noauto'.");
  else if (a.boot === false) {
    boot = 'no';
    if (opts.includes('defaults')) warnings.push("Ignore the 'boot' due to 'opts' contains 'defaults'.");
    else entry.opts = [...opts, 'noauto'].join(',');
  }
  return { entry, fstab: a.fstab ?? '/etc/fstab', boot, warnings };
}

/** `mount` and `mount -o remount` read the entry from fstab: -T names one that is not /etc/fstab, as Ansible does. */
const fstabArgs = (fstab: string) => (fstab !== '/etc/fstab' ? ['-T', fstab] : []);

/** Ansible's remount(): `mount -o remount`, falling back to umount and mount (not with remounted + opts). */
function remountScript(name: string, fstab: string, opts: string | undefined): string {
  const remount = shellJoin(['mount', '-o', opts ? `remount,${opts}` : 'remount', ...fstabArgs(fstab), name]);
  if (opts) return `if ! ${remount} 2>/dev/null; then echo 'Options were specified with remounted, but the remount command failed. Failing in order to prevent an unexpected mount result. Try replacing this command with a "state: unmounted" followed by a "state: mounted" using the full desired mount options instead.' >&2; exit 1; fi`;
  return `${remount} 2>/dev/null || { ${shellJoin(['umount', name])} && ${shellJoin(['mount', ...fstabArgs(fstab), name])}; }`;
}

/** Every directory from the top down to path, for a mkdir that can be undone (as Ansible's mounted state does). */
function ancestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.map((_, i) => '/' + parts.slice(0, i + 1).join('/'));
}

async function run(ctx: ModuleContext, script: string): Promise<string | undefined> {
  const r = await ctx.exec(script);
  return r.rc === 0 ? undefined : (r.stderr + r.stdout).trim() || `exit ${r.rc}`;
}

/**
 * ansible.posix.mount on Linux: the fstab entry (edited as Ansible edits it, written atomically) and
 * the live mount (from /proc/self/mountinfo). mounted: in fstab and mounted (remounted when the
 * entry changed); present: fstab only; unmounted: unmounted, fstab kept; absent: out of fstab,
 * unmounted, mount point removed; remounted: always remounts.
 */
export default defineModule({
  name: 'mount',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['state'],
    anyOf: [{ required: ['path'] }, { required: ['name'] }],
    properties: {
      path: { type: 'string', minLength: 1, description: 'the mount point (a swap entry: none)' },
      name: { type: 'string', minLength: 1, description: 'alias of path' },
      src: { type: 'string', minLength: 1, description: 'device, UUID=…, or what fstype mounts (tmpfs)' },
      fstype: { type: 'string', minLength: 1 },
      opts: { type: 'string', minLength: 1, description: "mount options, default 'defaults'" },
      dump: { type: ['string', 'integer'], default: '0' },
      passno: { type: ['string', 'integer'], default: '0' },
      state: { enum: ['mounted', 'unmounted', 'present', 'absent', 'remounted'] },
      fstab: { type: 'string', minLength: 1, default: '/etc/fstab' },
      boot: { type: 'boolean', default: true, description: 'false adds noauto to opts' },
    },
  },
  validate(a: MountArgs) {
    if (a.path !== undefined && a.name !== undefined) throw new InputError('mount: path and name are aliases: give only one');
    for (const k of FIELDS) {
      const v = a[k];
      if (known(v) && /[\t\n\r]/.test(String(v))) throw new InputError(`mount: ${k} may not contain tabs or line breaks (they would break the fstab line)`);
      if (known(v) && String(v) === '') throw new InputError(`mount: ${k} may not be empty`);
    }
    if (a.state === 'mounted' || a.state === 'present') {
      const missing = (['src', 'fstype'] as const).filter((k) => a[k] === undefined);
      if (missing.length) throw new InputError(`mount: state is ${a.state} but all of the following are missing: ${missing.join(', ')}`);
    }
    const path = pathOf(a);
    if (known(path) && ['mounted', 'unmounted', 'remounted'].includes(a.state) && !path.startsWith('/')) {
      throw new InputError(`mount: state ${a.state} needs an absolute path, not '${path}'`);
    }
    if (known(a.fstab) && !a.fstab.startsWith('/')) throw new InputError(`mount: fstab must be an absolute path: ${a.fstab}`);
  },
  facts: (a: MountArgs) => ({
    fstab: editedFile(a.fstab ?? '/etc/fstab'),
    ...(a.state === 'present' ? {} : { mounts: mountsFact(undefined) }),
  }),
  async run(a, ctx, facts) {
    const { entry, fstab, boot, warnings } = mountEntry(a);
    const name = entry.name;
    const base: ModuleResult = {
      changed: false,
      name,
      ...(entry.src !== undefined ? { src: entry.src } : {}),
      ...(entry.fstype !== undefined ? { fstype: entry.fstype } : {}),
      opts: entry.opts,
      dump: entry.dump,
      passno: entry.passno,
      fstab,
      boot,
      ...(warnings.length ? { warnings } : {}),
    };
    const st = facts.fstab;
    if (st.type === 'directory' || st.type === 'other') return { ...base, failed: true, msg: `${fstab} is not a regular file` };
    if (st.type === 'file' && !st.content) return { ...base, failed: true, msg: `${fstab} is larger than ${DEFAULT_MAX_CONTENT} bytes` };
    const before = st.type === 'file' ? st.content!.toString('utf8') : '';
    const mounted = facts.mounts?.has(name) ?? false;
    const edit = a.state === 'absent' ? unsetMount(before, name, entry.src) : a.state === 'present' || a.state === 'mounted' ? setMount(before, entry) : { text: before, changed: false };

    const changed = edit.changed || (a.state === 'unmounted' && mounted) || (a.state === 'mounted' && !mounted) || a.state === 'remounted';
    const out: ModuleResult = { ...base, changed, ...(ctx.diff && edit.changed ? { diff: [{ path: fstab, before, after: edit.text }] } : {}) };
    if (!changed || ctx.check) return out;

    const target = st.path || fstab;
    const write = (text: string) =>
      writeFileAtomic(ctx, target, Buffer.from(text, 'utf8'), { prepare: st.type === 'absent' ? shellJoin(['mkdir', '-p', '--', posix.dirname(target)]) : undefined });
    try {
      if (edit.changed) await write(edit.text);
      const fail = (msg: string): ModuleResult => ({ ...out, failed: true, msg });
      switch (a.state) {
        case 'present':
          return out;
        case 'absent': {
          if (!name.startsWith('/')) return out; // a swap entry's `none`: nothing is mounted there
          const err = await run(ctx, `${mounted ? `if ! out=$(${shellJoin(['umount', name])} 2>&1); then printf 'Error unmounting %s: %s' ${quote(name)} "$out" >&2; exit 1; fi\n` : ''}if [ -e ${quote(name)} ]; then if ! out=$(rmdir -- ${quote(name)} 2>&1); then printf 'Error rmdir %s: %s' ${quote(name)} "$out" >&2; exit 1; fi; fi`);
          return err ? fail(err) : out;
        }
        case 'unmounted': {
          const err = await run(ctx, shellJoin(['umount', name]));
          return err ? fail(`Error unmounting ${name}: ${err}`) : out;
        }
        case 'remounted': {
          const err = await run(ctx, remountScript(name, fstab, entry.opts !== 'defaults' ? entry.opts : undefined));
          return err ? fail(`Error remounting ${name}: ${err}`) : out;
        }
        case 'mounted': {
          const script = mounted
            ? remountScript(name, fstab, undefined)
            : [
                'set --',
                `for d in ${ancestors(name).map(quote).join(' ')}; do if [ ! -e "$d" ]; then mkdir -- "$d" || exit 1; set -- "$d" "$@"; fi; done`,
                `if ! out=$(${shellJoin(['mount', ...fstabArgs(fstab), name])} 2>&1); then printf '%s' "$out" >&2; if [ $# -gt 0 ]; then rmdir -- "$@"; fi; exit 1; fi`,
              ].join('\n');
          const err = await run(ctx, script);
          if (!err) return out;
          // A broken entry could stop the next boot: the old fstab goes back, as Ansible puts it back.
          if (edit.changed) await write(before).catch(() => undefined);
          return fail(`Error mounting ${name}: ${err}`);
        }
      }
    } catch (e) {
      return writeFailure(e, base);
    }
  },
});
