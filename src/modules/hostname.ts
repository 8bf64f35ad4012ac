import { InputError } from '../errors.js';
import { quote } from '../quote.js';
import { WriteError, writeFileAtomic } from './lib/atomic.js';
import { sysctlFact } from './lib/facts.js';
import { defineModule, type FileDiff } from './types.js';

export interface HostnameArgs {
  name: string;
}

/** The kernel's hostname is the sysctl kernel.hostname; /etc/hostname is where it persists. */
const LIVE = '/proc/sys/kernel/hostname';
const FILE = '/etc/hostname';

/** One RFC 1123 label: letters, digits and inner hyphens, up to 63 characters. */
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** The first non-comment word of /etc/hostname, as systemd and Debian's hostname.sh read it. */
export function persistedHostname(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const word = line.replace(/#.*/, '').trim();
    if (word) return word;
  }
  return undefined;
}

/**
 * Ansible's hostname module, Linux: the live name (what `hostname` prints) and /etc/hostname
 * (what the next boot sets). Only the one that differs changes; both in one round trip.
 */
export default defineModule({
  name: 'hostname',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 64, description: 'The host name, e.g. n1 or n1.lab.example (at most 64 characters, the kernel limit).' },
    },
  },
  validate(args) {
    if (!args.name.split('.').every((l) => LABEL.test(l))) {
      throw new InputError(`hostname: '${args.name}' is not a valid host name (dot-separated labels of letters, digits and inner hyphens)`);
    }
  },
  facts: (_args: HostnameArgs) => ({ now: sysctlFact(LIVE, FILE) }),
  async run(args, ctx, { now }) {
    if (now.live === undefined) return { changed: false, failed: true, msg: `cannot read the host name (${LIVE}): hostname supports Linux hosts only` };
    const live = now.live.trim();
    const liveChanges = live !== args.name;
    const fileChanges = persistedHostname(now.file ?? '') !== args.name;
    const diff: FileDiff[] = [];
    if (fileChanges) diff.push({ path: FILE, before: now.file ?? '', after: `${args.name}\n` });
    if (liveChanges) diff.push({ path: LIVE, before: `${live}\n`, after: `${args.name}\n` });
    const out = { changed: liveChanges || fileChanges, name: args.name, before: live, ...(ctx.diff && diff.length ? { diff } : {}) };
    if (!out.changed || ctx.check) return out;
    const setLive = liveChanges ? `printf '%s\\n' ${quote(args.name)} > ${LIVE}` : '';
    if (!fileChanges) {
      const r = await ctx.exec(setLive);
      return r.rc === 0 ? out : { ...out, failed: true, msg: `setting the host name failed: ${r.stderr.trim()}` };
    }
    try {
      await writeFileAtomic(ctx, FILE, Buffer.from(`${args.name}\n`), { prepare: setLive || undefined, mode: '0644' });
    } catch (e) {
      if (e instanceof WriteError) return { ...out, failed: true, msg: `setting the host name failed: ${e.message}` };
      throw e;
    }
    return out;
  },
});
