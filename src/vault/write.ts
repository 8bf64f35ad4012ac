/** Controller-side atomic writes for vault files: temp file beside the target, then rename, keeping the mode. */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { displayPath } from '../load/yaml.js';

/** A new file is 0600 (it may hold a plaintext, as ansible-vault's umask 077 makes it); an existing one keeps mode and owner. */
export function writeFileAtomic(path: string, data: Buffer | string): void {
  let prev: { mode: number; uid: number; gid: number } | undefined;
  try {
    const st = statSync(path);
    prev = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch {
    prev = undefined; // a new file
  }
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (prev) {
      chmodSync(tmp, prev.mode);
      try {
        chownSync(tmp, prev.uid, prev.gid);
      } catch {
        // not ours to give away (not root): the file stays the writer's, as a copy would
      }
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new InputError(`cannot write ${displayPath(path)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
