import { InputError } from '../errors.js';
import { quote, shellJoin } from '../quote.js';
import { writeFileAtomic } from './lib/atomic.js';
import { splitWords } from './lib/shell-words.js';
import { defineFact } from './lib/facts.js';
import { defineModule, type FileDiff } from './types.js';

export interface ModprobeArgs {
  name: string;
  state?: 'present' | 'absent';
  params?: string;
  persistent?: 'present' | 'absent' | 'disabled';
}

export const loadFile = (name: string) => `/etc/modules-load.d/${name}.conf`;
export const optionsFile = (name: string) => `/etc/modprobe.d/${name}.conf`;

/** One probe: loaded (loadable in /proc/modules or built in under /sys/module), then both persistence files. */
export function modprobeProbeScript(name: string): string {
  const sysName = name.replace(/-/g, '_'); // the kernel names modules with underscores
  const file = (p: string) => `if [ -f ${quote(p)} ]; then echo '@@file'; base64 < ${quote(p)}; else echo '@@nofile'; fi`;
  return [
    `if grep -q -- ${quote(`^${sysName} `)} /proc/modules 2>/dev/null || [ -d ${quote(`/sys/module/${sysName}`)} ]; then echo loaded; else echo unloaded; fi`,
    file(loadFile(name)),
    file(optionsFile(name)),
  ].join('\n');
}

export interface ModprobeState {
  loaded: boolean;
  load?: string; // file content, undefined when missing
  options?: string;
}

export function parseModprobeProbe(out: string): ModprobeState {
  const [first = '', ...rest] = out.split('\n');
  const files: (string | undefined)[] = [];
  let cur: string[] | undefined;
  const flush = () => cur && (files[files.length - 1] = Buffer.from(cur.join(''), 'base64').toString('utf8'));
  for (const line of rest) {
    if (line === '@@file' || line === '@@nofile') {
      flush();
      files.push(undefined);
      cur = line === '@@file' ? [] : undefined;
    } else if (cur) cur.push(line);
  }
  flush();
  return { loaded: first === 'loaded', load: files[0], options: files[1] };
}

/** Loaded, and both persistence files: modprobeProbeScript read as one fact. */
const modprobeFact = defineFact(modprobeProbeScript, (r, name) => {
  if (r.rc !== 0) throw new Error(`cannot probe module ${name}: ${r.stderr.trim()}`);
  return parseModprobeProbe(r.stdout);
});

export default defineModule({
  name: 'modprobe',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_-]*$', description: 'Kernel module name.' },
      state: { enum: ['present', 'absent'] },
      params: { type: 'string', description: 'Module parameters, e.g. "numdummies=2".' },
      persistent: {
        enum: ['present', 'absent', 'disabled'],
        description: 'present: load at boot (/etc/modules-load.d/NAME.conf, params in /etc/modprobe.d/NAME.conf); absent: remove those files; disabled (default): leave them.',
      },
    },
  },
  validate(args: ModprobeArgs) {
    if (args.params !== undefined && /[\r\n]/.test(args.params)) throw new InputError('modprobe: params must be one line');
    if (args.params) {
      try {
        splitWords(args.params);
      } catch (e) {
        throw new InputError(`modprobe: cannot split params: ${(e as Error).message}`);
      }
    }
  },
  facts: (args: ModprobeArgs) => ({ now: modprobeFact(args.name) }),
  async run(args, ctx, { now }) {
    const state = args.state ?? 'present';
    const persistent = args.persistent ?? 'disabled';
    const params = args.params?.trim() ?? '';
    const loadChange = state === 'present' ? !now.loaded : now.loaded;
    const wantLoad = `${args.name}\n`;
    const wantOptions = params ? `options ${args.name} ${params}\n` : undefined;
    const writes: { path: string; content: string }[] = [];
    const removes: string[] = [];
    const diff: FileDiff[] = [];
    if (persistent === 'present') {
      if (now.load !== wantLoad) writes.push({ path: loadFile(args.name), content: wantLoad });
      if (wantOptions !== undefined && now.options !== wantOptions) writes.push({ path: optionsFile(args.name), content: wantOptions });
      if (wantOptions === undefined && now.options !== undefined) removes.push(optionsFile(args.name));
    } else if (persistent === 'absent') {
      if (now.load !== undefined) removes.push(loadFile(args.name));
      if (now.options !== undefined) removes.push(optionsFile(args.name));
    }
    for (const w of writes) diff.push({ path: w.path, before: w.path === loadFile(args.name) ? now.load ?? '' : now.options ?? '', after: w.content });
    for (const p of removes) diff.push({ path: p, before: p === loadFile(args.name) ? now.load ?? '' : now.options ?? '', after: '' });
    if (loadChange) diff.push({ before: `${args.name}: ${now.loaded ? 'loaded' : 'not loaded'}\n`, after: `${args.name}: ${state === 'present' ? 'loaded' : 'not loaded'}\n` });
    const changed = loadChange || writes.length > 0 || removes.length > 0;
    const out = { changed, name: args.name, state, params, ...(ctx.diff && diff.length ? { diff } : {}) };
    if (!changed || ctx.check) return out;
    const cmds: string[] = [];
    if (loadChange) cmds.push(state === 'present' ? shellJoin(['modprobe', '--', args.name, ...splitWords(params)]) : shellJoin(['modprobe', '-r', '--', args.name]));
    if (removes.length) cmds.push(`rm -f -- ${removes.map(quote).join(' ')}`);
    if (writes.length) cmds.push(`mkdir -p /etc/modules-load.d /etc/modprobe.d`);
    if (cmds.length) {
      const r = await ctx.exec(cmds.join(' && '));
      if (r.rc !== 0) return { ...out, failed: true, rc: r.rc, stderr: r.stderr, msg: `modprobe ${args.name} failed: ${r.stderr.trim()}` };
    }
    for (const w of writes) await writeFileAtomic(ctx, w.path, Buffer.from(w.content));
    return out;
  },
});
