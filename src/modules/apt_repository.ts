import { InputError } from '../errors.js';
import { writeFileAtomic } from './lib/atomic.js';
import { fileFact } from './lib/facts.js';
import { quote } from '../quote.js';
import { defineModule, type ModuleResult } from './types.js';

type List = string | string[];

export interface AptRepositoryArgs {
  name: string;
  types?: List;
  uris?: List;
  suites?: List;
  components?: List;
  architectures?: List;
  signed_by?: string;
  enabled?: boolean;
  state?: 'present' | 'absent';
  update_cache?: boolean;
}

const words = (v: List | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : v.split(/\s+/).filter(Boolean));

export const sourcesPath = (name: string) => `/etc/apt/sources.list.d/${name}.sources`;

/** The deb822 stanza (sources.list(5)); a suite ending in `/` is a flat repository without components. */
export function deb822Text(a: AptRepositoryArgs): string {
  const fields: [string, string[]][] = [
    ['Types', words(a.types ?? 'deb')],
    ['URIs', words(a.uris)],
    ['Suites', words(a.suites)],
    ['Components', words(a.components)],
    ['Architectures', words(a.architectures)],
    ['Signed-By', a.signed_by ? [a.signed_by] : []],
  ];
  if (a.enabled === false) fields.push(['Enabled', ['no']]);
  return fields.filter(([, v]) => v.length).map(([k, v]) => `${k}: ${v.join(' ')}\n`).join('');
}

const list = { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } }] };

export default defineModule({
  name: 'apt_repository',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$', description: 'File base name: /etc/apt/sources.list.d/NAME.sources.' },
      types: { ...list, description: 'deb and/or deb-src (default deb).' },
      uris: list,
      suites: list,
      components: list,
      architectures: list,
      signed_by: { type: 'string', pattern: '^/', description: 'Keyring path, e.g. /etc/apt/keyrings/x.gpg.' },
      enabled: { type: 'boolean' },
      state: { enum: ['present', 'absent'] },
      update_cache: { type: 'boolean', description: 'apt-get update after a change (default true).' },
    },
  },
  validate(a: AptRepositoryArgs) {
    const raw = [a.types, a.uris, a.suites, a.components, a.architectures, a.signed_by].flat().filter((v): v is string => typeof v === 'string');
    // A newline would start a new deb822 field or stanza.
    if (raw.some((w) => /[\r\n]/.test(w))) throw new InputError('apt_repository: values must not contain newlines');
    if ((a.state ?? 'present') === 'present') {
      if (!words(a.uris).length || !words(a.suites).length) throw new InputError("apt_repository: 'uris' and 'suites' are required when state is present");
      const flat = words(a.suites).every((s) => s.endsWith('/'));
      if (!flat && !words(a.components).length) throw new InputError("apt_repository: 'components' is required unless every suite ends in '/'");
    }
  },
  facts: (a: AptRepositoryArgs) => ({ st: fileFact(sourcesPath(a.name), { content: true }) }),
  async run(a, ctx, { st }) {
    const path = sourcesPath(a.name);
    const present = (a.state ?? 'present') === 'present';
    const before = st.type === 'file' ? st.content?.toString('utf8') ?? '' : '';
    const after = present ? deb822Text(a) : '';
    const changed = present ? st.type !== 'file' || before !== after : st.type !== 'absent';
    const out: ModuleResult = { changed, repo: path, ...(ctx.diff && changed ? { diff: [{ path, before, after }] } : {}) };
    if (!changed || ctx.check) return out;
    if (present) await writeFileAtomic(ctx, path, Buffer.from(after), { mode: '644' });
    const cmds = present ? [] : [`rm -f -- ${quote(path)}`];
    if (a.update_cache !== false) cmds.push('DEBIAN_FRONTEND=noninteractive apt-get update -q');
    if (cmds.length) {
      const r = await ctx.exec(cmds.join(' && '), { timeoutMs: 10 * 60 * 1000 });
      if (r.rc !== 0) return { ...out, failed: true, rc: r.rc, stderr: r.stderr, msg: `${cmds.join(' && ')} failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` };
    }
    return { ...out, cache_updated: a.update_cache !== false };
  },
});
