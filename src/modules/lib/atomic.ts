import { randomBytes } from 'node:crypto';
import { quote } from '../../quote.js';
import type { ModuleContext } from '../types.js';
import { tempPrefix } from './file-state.js';

export interface AtomicWriteOptions {
  mode?: string; // octal or symbolic, passed to chmod
  owner?: string;
  group?: string;
  /** Keep the previous version as DEST.<timestamp>~ (Ansible's backup naming). */
  backup?: boolean;
  /** `cmd %s`: run against the temp file; a non-zero exit leaves the destination untouched. */
  validate?: string;
}

export interface AtomicWriteResult {
  backupFile?: string;
}

/**
 * Writes content to dest so that dest holds either its old or its new content, never a mix:
 * upload to a temp file in dest's own directory, set mode/owner, validate, then rename.
 * One SFTP upload plus one shell round trip.
 */
export async function writeFileAtomic(
  ctx: ModuleContext,
  dest: string,
  content: Buffer,
  opts: AtomicWriteOptions = {},
): Promise<AtomicWriteResult> {
  const tmp = `${tempPrefix(dest)}${randomBytes(6).toString('hex')}`;
  await ctx.upload(content, tmp);
  const t = quote(tmp);
  const d = quote(dest);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const backupFile = `${dest}.${stamp}~`;
  const lines = [
    'set -e',
    `trap 'rm -f -- ${t.replace(/'/g, `'\\''`)}' EXIT`,
    // Keep the existing file's mode and owner unless told otherwise (GNU coreutils' --reference).
    opts.mode ? `chmod ${quote(opts.mode)} -- ${t}` : `if [ -e ${d} ]; then chmod --reference=${d} -- ${t}; else chmod 644 -- ${t}; fi`,
  ];
  if (opts.owner || opts.group) lines.push(`chown -- ${quote(`${opts.owner ?? ''}${opts.group ? ':' + opts.group : ''}`)} ${t}`);
  else lines.push(`if [ -e ${d} ]; then chown --reference=${d} -- ${t}; fi`);
  if (opts.validate) {
    const cmd = opts.validate.includes('%s') ? opts.validate.split('%s').join(t) : `${opts.validate} ${t}`;
    lines.push(`if ! out=$( ( ${cmd} ) 2>&1); then printf 'validation failed: %s\\n' "$out" >&2; exit 3; fi`);
  }
  if (opts.backup) lines.push(`if [ -f ${d} ]; then cp -p -- ${d} ${quote(backupFile)}; fi`);
  lines.push(`mv -f -- ${t} ${d}`, 'trap - EXIT');
  const r = await ctx.exec(lines.join('\n'));
  if (r.rc !== 0) {
    const why = r.stderr.trim() || `exit ${r.rc}`;
    throw new Error(`writing ${dest} failed: ${why}`);
  }
  return opts.backup ? { backupFile } : {};
}
