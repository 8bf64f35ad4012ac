import type { ChecksumAlgorithm } from './lib/file-state.js';
import { fileFact } from './lib/facts.js';
import { modeText } from './lib/mode.js';
import { pathOf, pathProps, requirePath } from './lib/file-args.js';
import { defineModule } from './types.js';

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
const statModule = defineModule({
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
      // fabric reads neither mime types nor attributes: false (what playbooks write to speed stat up) is what it does.
      get_mime: { enum: [false], description: "fabric's stat reports no mime type: only false is accepted" },
      get_attributes: { enum: [false], description: "fabric's stat reports no file attributes: only false is accepted" },
    },
  },
  // lnk_source is the fully resolved target: the path read once more, following links.
  facts: (a: StatArgs) => ({
    st: fileFact(pathOf(a), { follow: a.follow, checksum: a.get_checksum === false ? false : (a.checksum_algorithm ?? 'sha256') }),
    resolved: a.follow ? undefined : fileFact(pathOf(a), { follow: true, checksum: false }),
  }),
  async run(a, _ctx, { st, resolved }) {
    const path = pathOf(a);
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
      stat.lnk_source = resolved?.path;
    }
    return { changed: false, stat };
  },
});

export default statModule;
