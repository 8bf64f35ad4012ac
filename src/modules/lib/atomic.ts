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
  /**
   * Shell run on the host before the write, in the same round trip when the content travels inline
   * (`mkdir -p` of a missing parent, say). Under `set -e`: if it fails, nothing is written.
   */
  prepare?: string;
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

/**
 * Content whose printf form (below) is at most this long travels in the write's own script instead
 * of over SFTP: one round trip instead of two, no program to write it, and no SFTP channel to open
 * (the first one of a connection costs about 0.1 s on the lab, as sshd starts sftp-server). The
 * bound keeps one command's text, and the host shell's memory for it, small.
 */
export const INLINE_WRITE_MAX = 96 * 1024;

/**
 * content as `printf` commands writing it to path: printable ASCII as itself, every other byte as
 * an octal escape, `%` and `\\` escaped for printf, then quoted for the shell; printf is a shell
 * builtin, so no program starts. `--`: content may begin with a dash. Chunks keep lines short.
 */
export function printfWrite(content: Buffer, path: string): string {
  const lines: string[] = [];
  for (let at = 0; at === 0 || at < content.length; at += 4096) {
    let f = '';
    for (const b of content.subarray(at, at + 4096)) {
      if (b === 0x25) f += '%%';
      else if (b === 0x5c) f += '\\\\';
      else if ((b >= 0x20 && b < 0x7f) || b === 0x0a) f += String.fromCharCode(b);
      else f += `\\${b.toString(8).padStart(3, '0')}`;
    }
    lines.push(`printf -- ${quote(f)} ${at === 0 ? '>' : '>>'} ${quote(path)}`);
  }
  return lines.join('\n');
}

/** The validate command with the temp file in place of %s (appended when there is no %s, like Ansible). */
export function validateCommand(validate: string, tmp: string): string {
  const t = quote(tmp);
  return validate.includes('%s') ? validate.split('%s').join(t) : `${validate} ${t}`;
}

/**
 * Writes content to dest so that dest holds either its old or its new content, never a mix: the
 * content goes to a temp file in dest's own directory, gets its mode/owner, is validated, then
 * renamed. Up to INLINE_WRITE_MAX that is one shell round trip; larger content is uploaded over
 * SFTP first. A cut write leaves only the temp file, which the next probe of dest removes
 * (probeFileScript).
 */
export async function writeFileAtomic(
  ctx: ModuleContext,
  dest: string,
  content: Buffer,
  opts: AtomicWriteOptions = {},
): Promise<AtomicWriteResult> {
  const tmp = `${tempPrefix(dest)}${randomBytes(6).toString('hex')}`;
  const printed = content.length <= INLINE_WRITE_MAX ? printfWrite(content, tmp) : undefined;
  const write = printed !== undefined && printed.length <= INLINE_WRITE_MAX ? printed : undefined;
  if (write === undefined) {
    if (opts.prepare) await run(ctx, dest, opts.prepare);
    await ctx.upload(content, tmp);
  }
  const t = quote(tmp);
  const d = quote(dest);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const backupFile = `${dest}.${stamp}~`;
  const lines = ['set -e', `trap ${quote(`rm -f -- ${t}`)} EXIT`];
  if (write !== undefined) {
    if (opts.prepare) lines.push(opts.prepare);
    // Nobody else may read the temp file before its mode is set; a new file without a mode asked
    // for is created as 0644 straight away, as the umask makes it (a default ACL decides instead).
    lines.push(opts.mode !== undefined ? 'umask 077' : `if [ -e ${d} ]; then umask 077; else umask 022; created=644; fi`, write);
  }
  // Keep the existing file's owner and mode unless told otherwise (GNU coreutils' --reference);
  // chown only when the owner differs from ours (test's -O/-G are builtins, chown is a program).
  const keepOwner = `{ [ -O ${d} ] && [ -G ${d} ]; } || chown --reference=${d} -- ${t}`;
  // A numeric mode replaces the old one outright; a symbolic one (u+x) applies to it, as before.
  const absoluteMode = opts.mode !== undefined && /^[0-7]{3,4}$/.test(opts.mode);
  lines.push(
    absoluteMode
      ? `if [ -e ${d} ]; then ${keepOwner}; fi` // the mode is set below
      : `if [ -e ${d} ]; then ${keepOwner}; chmod --reference=${d} -- ${t}; elif [ -z "\${created:-}" ]; then chmod 644 -- ${t}; fi`,
  );
  const attrs = attributeScript(tmp, { owner: opts.owner, group: opts.group, mode: opts.mode });
  if (attrs) lines.push(attrs);
  if (opts.validate) {
    lines.push(
      `if ! out=$( ( ${validateCommand(opts.validate, tmp)} ) 2>&1); then printf 'validation failed: %s\\n' "$out" >&2; exit ${VALIDATION_RC}; fi`,
    );
  }
  if (opts.backup) lines.push(`if [ -f ${d} ]; then cp -p -- ${d} ${quote(backupFile)}; fi`);
  lines.push(`mv -f -- ${t} ${d}`, 'trap - EXIT');
  await run(ctx, dest, lines.join('\n'));
  return opts.backup ? { backupFile } : {};
}

async function run(ctx: ModuleContext, dest: string, script: string): Promise<void> {
  const r = await ctx.exec(script);
  if (r.rc !== 0) {
    const why = r.stderr.trim() || `exit ${r.rc}`;
    throw new WriteError(`writing ${dest} failed: ${why}`, r.rc === VALIDATION_RC);
  }
}
