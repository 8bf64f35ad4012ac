import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { FileDiff, ModuleContext, ModuleResult } from '../types.js';
import { writeFileAtomic } from './atomic.js';
import { attrsSatisfied, diffText, fixAttributes, stateAfter, writeFailure, type Attrs } from './file-args.js';
import { stateText } from './file-state.js';
import { fileFact, type FactValues, type FileFact } from './facts.js';

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

/** Where dest points: a directory dest ending in `/` gets intoDirName, as in Ansible. */
function destPath(dest: string, intoDirName: string | undefined): string {
  return intoDirName && dest.endsWith('/') ? posix.join(dest, intoDirName) : dest;
}

/**
 * The facts putFile reads: dest (and its parent directory: Ansible fails on a missing one rather
 * than creating it), and dest/intoDirName for when dest turns out to be a directory.
 */
export function putFileFacts(dest: string, intoDirName: string | undefined, diff: boolean): { dest: FileFact; inside?: FileFact } {
  const path = destPath(dest, intoDirName);
  return {
    dest: fileFact(path, { content: diff }, posix.dirname(path)),
    ...(intoDirName && !dest.endsWith('/') ? { inside: fileFact(posix.join(path, intoDirName), { content: diff }) } : {}),
  };
}

/**
 * copy and template: make dest hold content with the wanted attributes. The facts bring dest's
 * checksum (computed on the controller from the bytes a batch reads, or by sha256sum for a large
 * file); only a real difference uploads (content) or runs chmod/chown.
 */
export async function putFile(ctx: ModuleContext, facts: FactValues<ReturnType<typeof putFileFacts>>, content: Buffer, o: PutFileOptions): Promise<ModuleResult> {
  let dest = destPath(o.dest, o.intoDirName);
  let st = facts.dest;
  if (st.parentMissing) return { changed: false, failed: true, dest, msg: `Destination directory ${posix.dirname(dest)} does not exist` };
  if (st.type === 'directory' && facts.inside) {
    dest = posix.join(dest, o.intoDirName!);
    st = facts.inside;
  }
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
