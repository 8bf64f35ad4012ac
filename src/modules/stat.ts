import { quote } from '../quote.js';
import { parseFileState, probeFileScript, type ChecksumAlgorithm } from './lib/file-state.js';
import { modeText } from './lib/mode.js';
import { checkRenderedArgs, pathOf, pathProps, requirePath } from './lib/file-args.js';
import { defineModule, type ModuleDef } from './types.js';

export interface StatArgs {
  path?: string;
  dest?: string;
  name?: string;
  follow?: boolean;
  get_checksum?: boolean;
  checksum_algorithm?: ChecksumAlgorithm;
  get_mime?: boolean;
  get_attributes?: boolean;
}

/**
 * ansible.builtin.stat: facts about a path, registered as `x.stat.exists` etc. Never changes
 * anything, so it also runs in --check. Checksums default to sha256 (Ansible: sha1).
 */
const statModule: ModuleDef<StatArgs> = defineModule<StatArgs>({
  name: 'stat',
  schema: {
    type: 'object',
    additionalProperties: false,
    ...requirePath,
    properties: {
      ...pathProps,
      follow: { type: 'boolean', default: false },
      get_checksum: { type: 'boolean', default: true },
      checksum_algorithm: { enum: ['sha256', 'sha1', 'md5'], default: 'sha256' },
      // Accepted for Ansible playbooks; fabric does not report mime types or attributes.
      get_mime: { type: 'boolean' },
      get_attributes: { type: 'boolean' },
    },
  },
  async run(a, ctx) {
    const bad = checkRenderedArgs(statModule, a, ctx);
    if (bad) return bad;
    const path = pathOf(a);
    const opts = { follow: a.follow, checksum: a.get_checksum === false ? (false as const) : (a.checksum_algorithm ?? 'sha256') };
    // lnk_source is the fully resolved target, printed after the probe line in the same round trip.
    const r = await ctx.exec(`${probeFileScript(path, opts)}\nif [ -L ${quote(path)} ]; then printf '%s' "$(readlink -f -- ${quote(path)})" | base64 -w0; fi`, { inline: true, probe: true });
    if (r.rc !== 0) return { changed: false, failed: true, msg: `cannot stat ${path}: ${r.stderr.trim()}` };
    const st = parseFileState(r.stdout, { ...opts, content: false });
    if (st.type === 'absent') return { changed: false, stat: { exists: false } };
    const stat: Record<string, unknown> = {
      exists: true,
      path: st.path || path,
      isdir: st.type === 'directory',
      isreg: st.type === 'file',
      islnk: st.type === 'link',
      mode: st.mode !== undefined ? modeText(st.mode) : undefined,
      uid: st.uid,
      gid: st.gid,
      pw_name: st.owner,
      gr_name: st.group,
      size: st.size,
      mtime: st.mtime,
    };
    if (st.type === 'file' && st.checksum) stat.checksum = st.checksum;
    if (st.type === 'link') {
      stat.lnk_target = st.linkTarget;
      const second = r.stdout.split('\n')[1] ?? '';
      stat.lnk_source = Buffer.from(second, 'base64').toString('utf8');
    }
    return { changed: false, stat };
  },
});

export default statModule;
