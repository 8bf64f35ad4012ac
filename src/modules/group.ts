import { InputError } from '../errors.js';
import { shellJoin } from '../quote.js';
import { checkAccountName, groupDbFact, idSchema } from './lib/accounts.js';
import { defineModule } from './types.js';

export interface GroupArgs {
  name: string;
  state?: 'present' | 'absent';
  gid?: number | string;
  system?: boolean;
  non_unique?: boolean;
}

/** The groupadd/groupmod/groupdel argv that brings the group to args, or undefined: nothing to do. */
export function groupCommand(args: GroupArgs, current: { gid: number } | undefined): string[] | undefined {
  const state = args.state ?? 'present';
  if (state === 'absent') return current ? ['groupdel', args.name] : undefined;
  const gid = args.gid === undefined ? [] : ['-g', String(args.gid), ...(args.non_unique ? ['-o'] : [])];
  if (!current) return ['groupadd', ...gid, ...(args.system ? ['-r'] : []), args.name];
  if (args.gid === undefined || Number(args.gid) === current.gid) return undefined;
  return ['groupmod', ...gid, args.name];
}

/** ansible.builtin.group on Linux: groupadd, groupmod (gid only, as Ansible) and groupdel; read from the group database. */
export default defineModule({
  name: 'group',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1, description: 'The group name.' },
      state: { enum: ['present', 'absent'], default: 'present' },
      gid: { ...idSchema, description: 'The group id; an existing group with another gid gets this one (groupmod -g).' },
      system: { type: 'boolean', default: false, description: 'Create a system group (groupadd -r); no effect on an existing group.' },
      non_unique: { type: 'boolean', default: false, description: 'Allow a gid another group has (-o); needs gid.' },
    },
  },
  validate(args: GroupArgs) {
    checkAccountName('group', 'name', args.name);
    if (args.non_unique && args.gid === undefined) throw new InputError('group: non_unique: true needs gid');
  },
  facts: (_args: GroupArgs) => ({ groups: groupDbFact() }),
  async run(args, ctx, { groups }) {
    const state = args.state ?? 'present';
    const current = groups.find((g) => g.name === args.name);
    const argv = groupCommand(args, current);
    const out = { name: args.name, state };
    if (!argv) return { changed: false, ...out, ...(current ? { gid: current.gid, system: args.system ?? false } : {}) };
    if (ctx.check) return { changed: true, ...out, ...(current ? { gid: current.gid, system: args.system ?? false } : {}) };
    // The gid groupadd chose is read in the same round trip.
    const read = state === 'present' ? ` && echo && getent group -- ${shellJoin([args.name])}` : '';
    const r = await ctx.exec(`${shellJoin(argv)}${read}`);
    if (r.rc !== 0) return { changed: false, failed: true, ...out, rc: r.rc, msg: r.stderr.trim() || `${argv[0]} exited ${r.rc}` };
    if (state === 'absent') return { changed: true, ...out };
    const gid = Number(r.stdout.trim().split('\n').pop()?.split(':')[2]);
    return { changed: true, ...out, gid: Number.isNaN(gid) ? undefined : gid, system: args.system ?? false };
  },
});
