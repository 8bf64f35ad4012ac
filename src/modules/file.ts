import { posix } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError } from '../errors.js';
import { quote, shellJoin } from '../quote.js';
import {
  attributeProps,
  attrsOf,
  attrsSatisfied,
  checkAttrArgs,
  known,
  pathOf,
  pathProps,
  requirePath,
  stateAfter,
  type AttrArgs,
  type Attrs,
} from './lib/file-args.js';
import { attributeScript, ownershipDiffers, stateText, tempPrefix, type FileState } from './lib/file-state.js';
import { defineFact, existsFact, fileFact, type FactValues } from './lib/facts.js';
import { modeSatisfied } from './lib/mode.js';
import { defineModule, type ModuleContext, type ModuleResult } from './types.js';

type FileStateArg = 'file' | 'directory' | 'absent' | 'touch' | 'link';

export interface FileArgs extends AttrArgs {
  path?: string;
  dest?: string;
  name?: string;
  state?: FileStateArg;
  src?: string;
  recurse?: boolean;
  force?: boolean;
  follow?: boolean;
}

/** One line per entry below a directory: `mode owner group uid gid type`, for recurse. */
const tree = defineFact(
  (path: string) => `if [ -d ${quote(path)} ]; then find ${quote(path)} -mindepth 1 -printf '%m %u %g %U %G %y\\n'; fi`,
  (r) => r.stdout,
);

/** Entries below the directory whose attributes differ from want. */
function treeMismatches(out: string, want: Attrs): number {
  let n = 0;
  for (const line of out.split('\n')) {
    const [mode, owner, group, uid, gid, type] = line.split(' ');
    if (!mode || !type) continue;
    const st: FileState = { type: type === 'd' ? 'directory' : 'file', path: '', mode, owner, group, uid: Number(uid), gid: Number(gid) };
    // chmod -R does not change symlinks; chown -R changes the link itself only with -h, so skip links.
    if (type === 'l') continue;
    if (!modeSatisfied(mode, want.mode, type === 'd') || ownershipDiffers(st, want)) n++;
  }
  return n;
}

const follows = (a: FileArgs) => a.follow !== false && a.state !== 'link' && a.state !== 'absent';

/** The path (through a link when following), the tree below it for recurse, a link's src (relative to the link's directory, as the kernel resolves it). */
function fileFacts(a: FileArgs) {
  const path = pathOf(a);
  const want = attrsOf(a);
  const wantsTree = (a.state ?? 'directory') === 'directory' && a.recurse && (want.mode !== undefined || want.owner !== undefined || want.group !== undefined);
  const src = a.state === 'link' ? a.src! : undefined;
  return {
    st: fileFact(path, { follow: follows(a), checksum: false }),
    tree: wantsTree ? tree(path) : undefined,
    srcExists: src !== undefined ? existsFact(src.startsWith('/') ? src : posix.join(posix.dirname(path), src)) : undefined,
  };
}

async function run(a: FileArgs, ctx: ModuleContext, facts: FactValues<ReturnType<typeof fileFacts>>): Promise<ModuleResult> {
  const path = pathOf(a);
  const want = attrsOf(a);
  const follow = follows(a);
  const st = facts.st;
  // Ansible: without a state, a path keeps the kind it has (directory or file).
  const state: FileStateArg = a.state ?? (st.type === 'directory' ? 'directory' : 'file');
  const target = follow && st.path ? st.path : path;
  const base: ModuleResult = { changed: false, path, state: st.type === 'link' ? 'link' : st.type === 'other' ? 'file' : st.type };
  const fail = (msg: string): ModuleResult => ({ ...base, failed: true, msg });
  const apply = async (cmd: string, after: string, newState: string): Promise<ModuleResult> => {
    const res: ModuleResult = { ...base, changed: true, state: newState, ...(ctx.diff ? { diff: [{ path, before: stateText(st), after }] } : {}) };
    if (ctx.check) return res;
    const x = await ctx.exec(`set -e\n${cmd}`);
    return x.rc === 0 ? res : fail(`${state} ${path} failed: ${x.stderr.trim() || `exit ${x.rc}`}`);
  };
  const attrs = (p: string, recurse = false) => attributeScript(p, { ...want, recurse });

  switch (state) {
    case 'absent':
      if (st.type === 'absent') return { ...base, state: 'absent' };
      return apply(shellJoin(['rm', '-rf', '--', path]), 'absent\n', 'absent');

    case 'file':
      if (st.type === 'absent') return fail(`file (${path}) is absent, cannot continue`);
      if (st.type === 'directory') return fail(`${path} is a directory, not a file (use state: directory)`);
      if (attrsSatisfied(st, want)) return base;
      return apply(attrs(target), stateAfter(st, want), st.type);

    case 'directory': {
      if (st.type === 'absent') {
        const after = stateAfter({ ...st, type: 'directory', mode: '755', owner: undefined, group: undefined }, want, 'directory');
        return apply([shellJoin(['mkdir', '-p', '--', target]), attrs(target, a.recurse)].filter(Boolean).join('\n'), after, 'directory');
      }
      if (st.type !== 'directory') return fail(`${path} exists and is a ${st.type}, not a directory`);
      const below = facts.tree !== undefined ? treeMismatches(facts.tree, want) : 0;
      if (attrsSatisfied(st, want) && below === 0) return base;
      const after = stateAfter(st, want) + (below ? `${below} entries below with other attributes: fixed recursively\n` : '');
      return apply(attrs(target, a.recurse), after, 'directory');
    }

    case 'touch': {
      // Ansible: touch always reports changed (it updates the times).
      const after = st.type === 'absent' ? stateAfter({ ...st, type: 'file', mode: '644' }, want, 'file') : stateAfter(st, want);
      const touch = shellJoin(['touch', '--', target]);
      return apply([touch, attrs(target)].filter(Boolean).join('\n'), after, st.type === 'absent' ? 'file' : st.type);
    }

    case 'link': {
      const src = a.src!;
      const srcExists = facts.srcExists === true;
      if (st.type === 'link' && st.linkTarget === src) {
        if (!ownershipDiffers(st, want)) return { ...base, src };
        return apply(attributeScript(path, { owner: want.owner, group: want.group, noFollow: true }), stateAfter(st, { owner: want.owner, group: want.group }), 'link');
      }
      if (!srcExists && !a.force) return fail(`src file ${src} does not exist, use force: true if you really want to create the link`);
      if (st.type === 'file' && !a.force) return fail(`refusing to convert from file to symlink for ${path} (use force: true)`);
      if (st.type === 'directory' && !a.force) return fail(`refusing to replace directory ${path} with a symlink (use force: true)`);
      // A temp link renamed over the path: the path is never missing, even for a moment.
      const tmp = `${tempPrefix(path)}${randomBytes(6).toString('hex')}`;
      const lines = [
        st.type === 'directory' ? shellJoin(['rmdir', '--', path]) : '',
        shellJoin(['ln', '-s', '--', src, tmp]),
        want.owner !== undefined || want.group !== undefined ? attributeScript(tmp, { owner: want.owner, group: want.group, noFollow: true }) : '',
        shellJoin(['mv', '-Tf', '--', tmp, path]),
      ].filter(Boolean);
      return apply(lines.join('\n'), `link, -> ${src}\n`, 'link');
    }
  }
}

/** ansible.builtin.file: files, directories, links and their attributes. */
const file = defineModule({
  name: 'file',
  schema: {
    type: 'object',
    additionalProperties: false,
    ...requirePath,
    properties: {
      ...pathProps,
      state: { enum: ['file', 'directory', 'absent', 'touch', 'link'] },
      src: { type: 'string', minLength: 1, description: 'target of a link (state: link)' },
      ...attributeProps,
      recurse: { type: 'boolean', default: false, description: 'state: directory: apply mode/owner/group to everything below' },
      force: { type: 'boolean', default: false, description: 'state: link: replace a file or an empty directory, or link to a missing src' },
      follow: { type: 'boolean', default: true },
    },
  },
  validate(a: FileArgs) {
    checkAttrArgs('file', a);
    const path = pathOf(a);
    if (known(path) && a.state === 'absent' && path.replace(/\/+$/, '') === '') throw new InputError('file: refusing to remove /');
    if (a.state !== undefined && !known(a.state)) return; // judged after rendering
    if (a.state === 'link' && a.src === undefined) throw new InputError('file: state: link needs src (the link target)');
    if (a.src !== undefined && a.state !== 'link') throw new InputError(`file: src is only for state: link, not state: ${a.state ?? 'file'}`);
    if (a.recurse && a.state !== undefined && a.state !== 'directory') throw new InputError('file: recurse needs state: directory');
  },
  facts: fileFacts,
  run,
});

export default file;
