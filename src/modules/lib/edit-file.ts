import { posix } from 'node:path';
import { shellJoin } from '../../quote.js';
import type { FileDiff, ModuleContext, ModuleResult } from '../types.js';
import { writeFileAtomic } from './atomic.js';
import { attrsSatisfied, fixAttributes, stateAfter, writeFailure, type Attrs } from './file-args.js';
import { DEFAULT_MAX_CONTENT, parseFileState, stateText } from './file-state.js';
import { probeExec } from './probe-spec.js';
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

/**
 * lineinfile/blockinfile: one probe brings the file's text (through symlinks, like Ansible);
 * the edit is computed in node; only a different result is written, atomically.
 */
export async function editFile(ctx: ModuleContext, o: EditFileOptions, edit: (text: string | null) => EditResult): Promise<ModuleResult> {
  // The content itself is compared: no checksum (a fork) is needed.
  const opts = { content: true, follow: true, maxContentBytes: DEFAULT_MAX_CONTENT, checksum: false as const };
  const r = await probeExec(ctx, { kind: 'file', path: o.path, opts });
  if (r.rc !== 0) return { changed: false, failed: true, msg: `cannot read ${o.path}: ${r.stderr.trim()}` };
  const st = parseFileState(r.stdout, opts);
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
