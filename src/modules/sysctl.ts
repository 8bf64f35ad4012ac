import { posix } from 'node:path';
import { InputError } from '../errors.js';
import { quote } from '../quote.js';
import { WriteError, writeFileAtomic } from './lib/atomic.js';
import { sysctlFact } from './lib/facts.js';
import { defineModule, type FileDiff } from './types.js';

export interface SysctlArgs {
  name: string;
  value?: string | number | boolean;
  state?: 'present' | 'absent';
  sysctl_file?: string;
  reload?: boolean;
  sysctl_set?: boolean;
  ignoreerrors?: boolean;
}

/** The /proc/sys path of a key: like sysctl(8), a dotted name swaps `.` and `/` (vlan names keep dots). */
export function procPath(name: string): string {
  const firstSep = name.search(/[./]/);
  const rel = firstSep >= 0 && name[firstSep] === '.' ? name.replace(/[./]/g, (c) => (c === '.' ? '/' : '.')) : name;
  return posix.join('/proc/sys', rel);
}

/** Whitespace-collapsed text: /proc prints tabs between the numbers of tcp_rmem, files use spaces. */
export function normalizeValue(v: string | number | boolean): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v).trim().split(/\s+/).join(' ');
}

const keyLine = (name: string) => new RegExp(`^\\s*${name.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')}\\s*=\\s*(.*?)\\s*$`);

/** The value the file sets for name (the last assignment wins, as in `sysctl -p`). */
export function persistedValue(text: string, name: string): string | undefined {
  const re = keyLine(name);
  let v: string | undefined;
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (m) v = normalizeValue(m[1]!);
  }
  return v;
}

/** The file with the key's first line replaced (later duplicates dropped) or appended; undefined value removes it. */
export function updateSysctlText(text: string, name: string, value: string | undefined): string {
  const re = keyLine(name);
  const out: string[] = [];
  let done = false;
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  for (const line of lines) {
    if (!re.test(line)) out.push(line);
    else if (!done && value !== undefined) {
      out.push(`${name}=${value}`);
      done = true;
    }
  }
  if (!done && value !== undefined) out.push(`${name}=${value}`);
  return out.length ? out.join('\n') + '\n' : '';
}

export default defineModule({
  name: 'sysctl',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', pattern: '^[a-zA-Z0-9_.\\-/]+$', description: 'The key, e.g. net.ipv4.ip_forward.' },
      value: { type: ['string', 'number', 'boolean'], description: 'Desired value; booleans become 1/0.' },
      state: { enum: ['present', 'absent'], description: 'present (default) or absent (remove from sysctl_file).' },
      sysctl_file: { type: 'string', minLength: 1, description: 'Where the key is persisted (default /etc/sysctl.conf).' },
      reload: { type: 'boolean', description: 'Also set the live value when it differs (default true); never reloads the whole file.' },
      sysctl_set: { type: 'boolean', description: 'Set the live value when it differs, even with reload: false.' },
      ignoreerrors: { type: 'boolean', description: 'A key the kernel does not know is persisted anyway instead of failing.' },
    },
  },
  validate(args) {
    if ((args.state ?? 'present') === 'present' && args.value === undefined) throw new InputError("sysctl: 'value' is required when state is present");
    if (args.value !== undefined && /[\r\n]/.test(String(args.value))) throw new InputError('sysctl: value must be one line');
    if (args.name.startsWith('-') || args.name.includes('..')) throw new InputError(`sysctl: invalid key name '${args.name}'`);
  },
  facts: (args: SysctlArgs) => ({ now: sysctlFact(procPath(args.name), args.sysctl_file ?? '/etc/sysctl.conf') }),
  async run(args, ctx, { now }) {
    const state = args.state ?? 'present';
    const file = args.sysctl_file ?? '/etc/sysctl.conf';
    const proc = procPath(args.name);
    const want = args.value === undefined ? undefined : normalizeValue(args.value);
    const setLive = state === 'present' && (args.sysctl_set === true || args.reload !== false);
    const live = now.live !== undefined ? normalizeValue(now.live) : undefined;
    const exists = now.file !== undefined;
    const before = now.file ?? '';
    const warnings: string[] = [];
    if (setLive && live === undefined) {
      if (!args.ignoreerrors) return { changed: false, failed: true, msg: `sysctl key ${args.name} does not exist (${proc})` };
      warnings.push(`key ${args.name} is unknown to this kernel; only persisted`);
    }
    const after = updateSysctlText(before, args.name, state === 'present' ? want : undefined);
    const fileChanges = after !== before && (state === 'present' || exists);
    const liveChanges = setLive && live !== undefined && live !== want;
    const result = { changed: fileChanges || liveChanges, name: args.name, value: want, live_before: live } as const;
    const diff: FileDiff[] = [];
    if (fileChanges) diff.push({ path: file, before, after });
    if (liveChanges) diff.push({ path: proc, before: `${live}\n`, after: `${want}\n` });
    const out = { ...result, ...(ctx.diff && diff.length ? { diff } : {}), ...(warnings.length ? { msg: warnings.join('; ') } : {}) };
    if (!result.changed || ctx.check) return out;
    const setValue = liveChanges ? `printf '%s\\n' ${quote(want!)} > ${quote(proc)}` : '';
    if (!fileChanges) {
      const r = await ctx.exec(setValue);
      return r.rc === 0 ? out : { ...out, failed: true, msg: `setting ${args.name} failed: ${r.stderr.trim()}` };
    }
    // The live value, the directory and the file in one round trip; the file is not written if the value fails.
    const prepare = [setValue, `mkdir -p -- ${quote(posix.dirname(file))}`].filter(Boolean).join('\n');
    try {
      await writeFileAtomic(ctx, file, Buffer.from(after), { prepare });
    } catch (e) {
      if (e instanceof WriteError) return { ...out, failed: true, msg: `setting ${args.name} failed: ${e.message}` };
      throw e;
    }
    return out;
  },
});
