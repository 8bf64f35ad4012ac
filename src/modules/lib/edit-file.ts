import { posix } from 'node:path';
import { shellJoin } from '../../quote.js';
import type { FileDiff, ModuleContext, ModuleResult } from '../types.js';
import { writeFileAtomic } from './atomic.js';
import { attrsSatisfied, fixAttributes, stateAfter, writeFailure, type Attrs } from './file-args.js';
import { DEFAULT_MAX_CONTENT, stateText } from './file-state.js';
import { fileFact, type FileFact, type FileFactValue } from './facts.js';
import type { EditResult } from './line-edit.js';

export interface EditFileOptions {
  path: string;
  attrs: Attrs;
  create?: boolean;
  backup?: boolean;
  validate?: string;
  /** state: absent on a missing file is fine (nothing to remove). */
  absentOk?: boolean;
  /** The message when the file is missing and may not be created. */
  missingMsg: string;
}

/** The fact an edit reads: the file's text, through symlinks like Ansible; the content itself is compared, so no checksum (a fork). */
export function editedFile(path: string): FileFact {
  return fileFact(path, { content: true, follow: true, maxContentBytes: DEFAULT_MAX_CONTENT, checksum: false });
}

/**
 * lineinfile/blockinfile: the edit of the file's text (the editedFile fact) is computed in node;
 * only a different result is written, atomically.
 */
export async function editFile(ctx: ModuleContext, st: FileFactValue, o: EditFileOptions, edit: (text: string | null) => EditResult): Promise<ModuleResult> {
  const target = st.path || o.path;
  const base: ModuleResult = { changed: false, path: o.path };
  if (st.type === 'directory') return { ...base, failed: true, rc: 256, msg: `Path ${o.path} is a directory !` };
  if (st.type === 'other') return { ...base, failed: true, msg: `${o.path} is not a regular file` };
  if (st.type === 'absent') {
    if (o.absentOk) return { ...base, msg: 'file not present' };
    if (!o.create) return { ...base, failed: true, rc: 257, msg: o.missingMsg };
  }
  if (st.type === 'file' && !st.content) return { ...base, failed: true, msg: `${o.path} is larger than ${DEFAULT_MAX_CONTENT} bytes: not editing it line by line` };
  const before = st.type === 'file' ? st.content!.toString('utf8') : null;
  let result: EditResult;
  try {
    result = edit(before);
  } catch (e) {
    return { ...base, failed: true, msg: (e as Error).message }; // a regexp JS cannot compile
  }
  const attrsOk = st.type === 'absent' || attrsSatisfied(st, o.attrs);
  const extra = result.found !== undefined ? { found: result.found } : {};
  if (!result.changed && attrsOk) return { ...base, ...extra, msg: result.msg };

  const diff: FileDiff[] = [];
  if (ctx.diff) {
    if (result.changed) diff.push({ path: o.path, before: before ?? '', after: result.text });
    if (!attrsOk) diff.push({ path: o.path, before: stateText(st), after: stateAfter(st, o.attrs) });
  }
  const msg = [result.msg, attrsOk ? '' : 'ownership, perms or SE linux context changed'].filter(Boolean).join(' and ');
  const changed: ModuleResult = { ...base, ...extra, changed: true, msg, ...(ctx.diff ? { diff } : {}) };
  if (ctx.check) return changed;
  try {
    if (!result.changed) {
      const err = await fixAttributes(ctx, target, o.attrs);
      return err ? { ...base, failed: true, msg: `setting attributes of ${o.path} failed: ${err}` } : changed;
    }
    const w = await writeFileAtomic(ctx, target, Buffer.from(result.text, 'utf8'), {
      // Ansible creates missing parent directories for `create: true`.
      prepare: st.type === 'absent' ? shellJoin(['mkdir', '-p', '--', posix.dirname(target)]) : undefined,
      ...o.attrs,
      backup: o.backup && st.type === 'file',
      validate: o.validate,
    });
    return w.backupFile ? { ...changed, backup: w.backupFile, backup_file: w.backupFile } : changed;
  } catch (e) {
    return writeFailure(e, base);
  }
}
