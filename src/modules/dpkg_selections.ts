import { InputError } from '../errors.js';
import { quote } from '../quote.js';
import { known } from './lib/file-args.js';
import { defineFact } from './lib/facts.js';
import { defineModule } from './types.js';

type Selection = 'install' | 'hold' | 'deinstall' | 'purge';

export interface DpkgSelectionsArgs {
  name: string;
  selection: Selection;
}

/** `dpkg --get-selections NAME`: the selection, or 'not present' when dpkg knows no such package (as Ansible words it). */
const selectionFact = defineFact(
  (name: string) => `LC_ALL=C dpkg --get-selections ${quote(name)}`,
  (r, name) => {
    if (r.rc !== 0) throw new Error(`dpkg --get-selections ${name} failed: ${r.stderr.trim() || `exit ${r.rc}`}`);
    return r.stdout.trim() ? r.stdout.trim().split(/\s+/)[1]! : 'not present';
  },
);

/** ansible.builtin.dpkg_selections: a package's selection (hold keeps apt from upgrading it). */
export default defineModule({
  name: 'dpkg_selections',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'selection'],
    properties: {
      name: { type: 'string', minLength: 1, description: 'the package (one word, not an option)' },
      selection: { enum: ['install', 'hold', 'deinstall', 'purge'] },
    },
  },
  validate(a: DpkgSelectionsArgs) {
    if (known(a.name) && !/^[^\s-]\S*$/.test(a.name)) throw new InputError(`dpkg_selections: name must be one package name, without spaces and not starting with '-': '${a.name}'`);
  },
  facts: (a: DpkgSelectionsArgs) => ({ current: selectionFact(a.name) }),
  async run(a, ctx, { current }) {
    const changed = current !== a.selection;
    const out = { changed, before: current, after: a.selection, ...(ctx.diff && changed ? { diff: [{ before: `${current}\n`, after: `${a.selection}\n` }] } : {}) };
    if (!changed || ctx.check) return out;
    const r = await ctx.exec(`printf '%s %s\\n' ${quote(a.name)} ${quote(a.selection)} | LC_ALL=C dpkg --set-selections`);
    if (r.rc !== 0) return { ...out, failed: true, rc: r.rc, stderr: r.stderr, msg: `dpkg --set-selections failed: ${r.stderr.trim() || `exit ${r.rc}`}` };
    return out;
  },
});
