import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { quote } from '../../quote.js';
import type { FileDiff, ModuleContext, ModuleResult } from '../types.js';
import { writeFileAtomic } from './atomic.js';
import { attrsSatisfied, diffText, fixAttributes, stateAfter, writeFailure, type Attrs } from './file-args.js';
import { parseFileState, probeFileScript, stateText } from './file-state.js';
import { probeExec, type FileProbe } from './probe-spec.js';

export interface PutFileOptions {
  dest: string;
  attrs: Attrs;
  backup?: boolean;
  /** false: leave an existing destination alone (Ansible's `force: no`). */
  force?: boolean;
  validate?: string;
  /** When dest is a directory, write dest/<intoDirName> instead (copy's `src` into a directory). */
  intoDirName?: string;
}

/**
 * copy and template: make dest hold content with the wanted attributes. One probe round trip
 * compares by sha256 on the host; only a real difference uploads (content) or runs chmod/chown.
 */
export async function putFile(ctx: ModuleContext, content: Buffer, o: PutFileOptions): Promise<ModuleResult> {
  let dest = o.dest;
  if (o.intoDirName && dest.endsWith('/')) dest = posix.join(dest, o.intoDirName);
  const parent = posix.dirname(dest);
  // Ansible fails on a missing destination directory rather than creating it; say so plainly.
  const spec: FileProbe = { kind: 'file', path: dest, opts: { content: ctx.diff }, parent };
  const r =
    o.intoDirName && !o.dest.endsWith('/')
      ? await ctx.exec(
          `if [ ! -d ${quote(parent)} ]; then echo no-parent; elif [ -d ${quote(dest)} ]; then\n${probeFileScript(posix.join(dest, o.intoDirName), { content: ctx.diff, reportPath: true })}\nelse\n${probeFileScript(dest, spec.opts)}\nfi`,
          { inline: true, probe: true },
        )
      : await probeExec(ctx, spec);
  if (r.rc !== 0) return { changed: false, failed: true, msg: `cannot inspect ${dest}: ${r.stderr.trim()}` };
  if (r.stdout.startsWith('no-parent')) return { changed: false, failed: true, dest, msg: `Destination directory ${parent} does not exist` };
  const st = parseFileState(r.stdout, { content: ctx.diff });
  dest = st.path || dest;
  const sha256 = createHash('sha256').update(content).digest('hex');
  const base: ModuleResult = {
    changed: false,
    dest,
    checksum: createHash('sha1').update(content).digest('hex'), // Ansible's checksum is sha1
    size: content.length,
  };
  if (st.type === 'directory' || st.type === 'other')
    return { ...base, failed: true, msg: `${dest} exists and is a ${st.type === 'other' ? 'special file' : 'directory'}, not a regular file` };
  if (st.type === 'file' && o.force === false) return { ...base, msg: 'file already exists (force: false)' };

  const sameContent = st.type === 'file' && st.sha256 === sha256;
  const attrsOk = st.type === 'file' && attrsSatisfied(st, o.attrs);
  if (sameContent && attrsOk) return base;

  const diff: FileDiff[] = [];
  if (ctx.diff) {
    if (!sameContent) diff.push({ path: dest, before: st.type === 'file' ? diffText(st.content, st.size) : '', after: diffText(content) });
    else diff.push({ path: dest, before: stateText(st), after: stateAfter(st, o.attrs) });
  }
  const changed: ModuleResult = { ...base, changed: true, ...(ctx.diff ? { diff } : {}) };
  if (ctx.check) return changed;
  try {
    if (sameContent) {
      const err = await fixAttributes(ctx, dest, o.attrs);
      return err ? { ...base, failed: true, msg: `setting attributes of ${dest} failed: ${err}` } : changed;
    }
    const w = await writeFileAtomic(ctx, dest, content, { ...o.attrs, backup: o.backup && st.type === 'file', validate: o.validate });
    return w.backupFile ? { ...changed, backup_file: w.backupFile } : changed;
  } catch (e) {
    return writeFailure(e, base);
  }
}
