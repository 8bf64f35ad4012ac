import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { InputError } from '../errors.js';
import { quote, shellJoin } from '../quote.js';
import {
  destEntriesFact,
  excluded,
  excludePatterns,
  extractArgv,
  formatOf,
  HANDLERS,
  hostArchiveFact,
  listArgv,
  memberDiffers,
  parseListing,
  type ArchiveFormat,
  type ArchiveState,
  type Member,
} from './lib/archive.js';
import { existsFact } from './lib/facts.js';
import { attributeProps, attrsOf, checkAttrArgs, known, type AttrArgs } from './lib/file-args.js';
import { defineModule, type ModuleResult } from './types.js';

export interface UnarchiveArgs extends AttrArgs {
  src: string;
  dest: string;
  remote_src?: boolean;
  creates?: string;
  list_files?: boolean;
  exclude?: string[];
  extra_opts?: string[];
}

const noHandler = (src: string, why: string) => `Failed to find handler for "${src}". Make sure the required command to extract the file is installed.${why ? ` ${why}` : ''}`;

/** The archive on the controller, listed there (tar and unzip, as on the host). */
function controllerArchive(file: string, extraOpts: string[]): { content: Buffer; format: ArchiveFormat; members?: Member[]; error?: string } {
  const content = readFileSync(file);
  const format = formatOf(content);
  const [cmd, ...args] = listArgv(format, file, extraOpts);
  const r = spawnSync(cmd!, args, { env: { ...process.env, LC_ALL: 'C' }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) return { content, format, error: (r.stderr || r.error?.message || '').trim() };
  return { content, format, members: parseListing(format, r.stdout) };
}

/**
 * ansible.builtin.unarchive: tar (plain, gz, bz2, xz) and zip, from the controller (the role's
 * files/, as copy's src) or from the host (remote_src). A member counts as in place when dest has
 * it with the same type, and for a file the same size and (tar) mtime, and the asked-for
 * mode/owner/group; only then is nothing unpacked.
 */
export default defineModule({
  name: 'unarchive',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['src', 'dest'],
    properties: {
      src: { type: 'string', minLength: 1, description: 'the archive: on the controller (files/), or with remote_src on the host' },
      dest: { type: 'string', minLength: 1, description: 'an existing directory on the host' },
      remote_src: { type: 'boolean', default: false },
      creates: { type: 'string', minLength: 1, description: 'when this path exists on the host, nothing is done' },
      list_files: { type: 'boolean', default: false },
      exclude: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
      extra_opts: { type: 'array', items: { type: 'string' }, default: [], description: 'more options for tar or unzip, one word each' },
      ...attributeProps,
    },
  },
  validate(a: UnarchiveArgs, ctx) {
    checkAttrArgs('unarchive', a);
    if (known(a.dest) && !a.dest.startsWith('/')) throw new InputError(`unarchive: dest must be an absolute path: ${a.dest}`);
    if (a.remote_src) {
      if (known(a.src) && a.src.includes('://')) throw new InputError('unarchive: src as a URL is not supported: download it with get_url first');
      if (known(a.src) && !a.src.startsWith('/')) throw new InputError(`unarchive: with remote_src, src must be an absolute path on the host: ${a.src}`);
    } else if (known(a.src)) {
      const file = ctx.resolveFile('files', a.src);
      if (statSync(file).isDirectory()) throw new InputError(`unarchive: src ${a.src} is a directory, not an archive`);
    }
  },
  facts: (a: UnarchiveArgs) => ({
    ...(a.creates !== undefined ? { creates: existsFact(a.creates) } : {}),
    ...(a.remote_src ? { archive: hostArchiveFact({ src: a.src, dest: a.dest, extraOpts: a.extra_opts ?? [] }) } : {}),
  }),
  async run(a, ctx, facts) {
    if (facts.creates) return { changed: false, skipped: true, msg: `skipped, since ${a.creates} exists` };
    const extraOpts = a.extra_opts ?? [];
    let state: ArchiveState;
    let src = a.src;
    let upload: Buffer | undefined;
    if (a.remote_src) state = facts.archive!;
    else {
      src = ctx.resolveFile('files', a.src);
      const local = controllerArchive(src, extraOpts);
      if (!local.members) return { changed: false, failed: true, dest: a.dest, src, msg: noHandler(src, local.error ?? '') };
      upload = local.content;
      // The members are known only now: dest's entries are read in this task's own round trip.
      state = { ...(await ctx.fact(destEntriesFact({ dest: a.dest, names: local.members.map((m) => m.name) }))), format: local.format, members: local.members };
    }
    const base: ModuleResult = { changed: false, dest: a.dest, src };
    if (state.problem) return { ...base, failed: true, msg: state.problem };
    if (!state.members) return { ...base, failed: true, msg: noHandler(src, state.listError ?? '') };
    const format = state.format!;
    const patterns = excludePatterns(a.exclude ?? []);
    const members = state.members.filter((m) => !excluded(m.name, patterns));
    const attrs = attrsOf(a);
    const differs = members.map((m) => memberDiffers(m, state.dest.get(m.name), attrs)).filter((x): x is string => x !== undefined);
    const out: ModuleResult = {
      ...base,
      changed: differs.length > 0,
      handler: HANDLERS[format],
      ...(a.list_files ? { files: members.map((m) => m.name) } : {}),
      ...(ctx.diff && differs.length ? { diff: [{ path: a.dest, before: '', after: `${differs.join('\n')}\n` }] } : {}),
    };
    if (!out.changed || ctx.check) return out;

    const lines = ['set -e'];
    let from = src;
    if (upload) {
      from = `/tmp/.fabric-unarchive-${randomBytes(6).toString('hex')}`;
      await ctx.upload(upload, from);
      lines.push(`trap ${quote(`rm -f -- ${quote(from)}`)} EXIT`);
    }
    lines.push(`if ! out=$(${shellJoin(extractArgv(format, from, a.dest, extraOpts, a.exclude ?? []))} 2>&1); then printf '%s\\n' "$out" >&2; exit 1; fi`);
    // File attributes go on every member but links, and on the top folders, as Ansible sets them.
    const named = new Set(members.filter((m) => m.type !== 'link').map((m) => m.name));
    for (const m of members) if (m.name.includes('/')) named.add(`${m.name.split('/')[0]}/`);
    const names = [...named];
    if (names.length && (attrs.owner !== undefined || attrs.group !== undefined || attrs.mode !== undefined)) {
      lines.push(`cd ${quote(a.dest)}`);
      if (attrs.owner !== undefined || attrs.group !== undefined) lines.push(shellJoin(['chown', '--', `${attrs.owner ?? ''}${attrs.group !== undefined ? `:${attrs.group}` : ''}`, ...names]));
      if (attrs.mode !== undefined) lines.push(shellJoin(['chmod', '--', attrs.mode, ...names]));
    }
    const r = await ctx.exec(lines.join('\n'));
    if (r.rc !== 0) return { ...out, changed: false, failed: true, rc: r.rc, stderr: r.stderr, msg: `failed to unpack ${from} to ${a.dest}: ${r.stderr.trim()}` };
    return out;
  },
});
