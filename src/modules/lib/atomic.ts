import { randomBytes } from 'node:crypto';
import { quote } from '../../quote.js';
import type { ModuleContext } from '../types.js';
import { attributeScript, tempPrefix } from './file-state.js';

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

/** Writing failed on the host (validation, permissions); the destination is untouched. */
export class WriteError extends Error {
  constructor(
    message: string,
    readonly validationFailed: boolean,
  ) {
    super(message);
    this.name = 'WriteError';
  }
}

const VALIDATION_RC = 97;

/** The validate command with the temp file in place of %s (appended when there is no %s, like Ansible). */
export function validateCommand(validate: string, tmp: string): string {
  const t = quote(tmp);
  return validate.includes('%s') ? validate.split('%s').join(t) : `${validate} ${t}`;
}

/**
 * Writes content to dest so that dest holds either its old or its new content, never a mix:
 * upload to a temp file in dest's own directory, set mode/owner, validate, then rename.
 * One SFTP upload plus one shell round trip. A cut upload leaves only the temp file, which the
 * next probe of dest removes (probeFileScript).
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
    `trap ${quote(`rm -f -- ${t}`)} EXIT`,
    // Keep the existing file's owner and mode unless told otherwise (GNU coreutils' --reference).
    `if [ -e ${d} ]; then chown --reference=${d} -- ${t}; chmod --reference=${d} -- ${t}; else chmod 644 -- ${t}; fi`,
  ];
  const attrs = attributeScript(tmp, { owner: opts.owner, group: opts.group, mode: opts.mode });
  if (attrs) lines.push(attrs);
  if (opts.validate) {
    lines.push(
      `if ! out=$( ( ${validateCommand(opts.validate, tmp)} ) 2>&1); then printf 'validation failed: %s\\n' "$out" >&2; exit ${VALIDATION_RC}; fi`,
    );
  }
  if (opts.backup) lines.push(`if [ -f ${d} ]; then cp -p -- ${d} ${quote(backupFile)}; fi`);
  lines.push(`mv -f -- ${t} ${d}`, 'trap - EXIT');
  const r = await ctx.exec(lines.join('\n'));
  if (r.rc !== 0) {
    const why = r.stderr.trim() || `exit ${r.rc}`;
    throw new WriteError(`writing ${dest} failed: ${why}`, r.rc === VALIDATION_RC);
  }
  return opts.backup ? { backupFile } : {};
}
