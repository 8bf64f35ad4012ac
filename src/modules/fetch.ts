import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { remoteFile } from './lib/remote-file.js';
import { defineModule } from './types.js';

export interface FetchArgs {
  src: string;
  dest: string;
  flat?: boolean;
  fail_on_missing?: boolean;
  validate_checksum?: boolean;
}

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

/** Where the file lands on the controller, as Ansible lays it out: dest/<host>/<src path>, or dest itself with flat. */
export function fetchDest(a: FetchArgs, host: string, baseDir: string): string {
  const dest = isAbsolute(a.dest) ? a.dest : resolve(baseDir, a.dest);
  if (a.flat) return a.dest.endsWith('/') ? join(dest, basename(a.src)) : dest;
  return join(dest, host, a.src.replace(/^\/+/, ''));
}

/** ansible.builtin.fetch: a host's file copied to the controller, checksum verified, written atomically; unchanged when the copy is already the same. */
export default defineModule<FetchArgs, { file: ReturnType<typeof remoteFile> }>({
  name: 'fetch',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['src', 'dest'],
    properties: {
      src: { type: 'string', minLength: 1, description: 'the file on the host' },
      dest: { type: 'string', minLength: 1, description: 'a directory on the controller (relative: to the playbook), or with flat the file itself' },
      flat: { type: 'boolean', default: false },
      fail_on_missing: { type: 'boolean', default: true },
      validate_checksum: { type: 'boolean', default: true },
    },
  },
  validate(a) {
    if (a.src.endsWith('/')) throw new InputError('fetch: src must be a file, not a directory');
  },
  facts: (a) => ({ file: remoteFile(a.src) }),
  async run(a, ctx, facts) {
    const f = facts.file;
    if (f.kind !== 'file') {
      if (f.kind === 'missing' && a.fail_on_missing === false) return { changed: false, file: a.src, msg: `the remote file does not exist, not transferring, ignored` };
      return { changed: false, failed: true, file: a.src, msg: f.msg };
    }
    const got = sha1(f.content);
    if (a.validate_checksum !== false && got !== f.sha1) return { changed: false, failed: true, msg: `checksum mismatch: the host says ${f.sha1}, ${got} arrived` };
    const dest = fetchDest(a, ctx.host, String(ctx.vars.playbook_dir ?? process.cwd()));
    const base = { file: a.src, dest, checksum: got, remote_checksum: f.sha1 };
    if (existsSync(dest) && sha1(readFileSync(dest)) === got) return { ...base, changed: false };
    if (ctx.check) return { ...base, changed: true };
    mkdirSync(dirname(dest), { recursive: true });
    const tmp = `${dest}.fabric-${process.pid}.tmp`;
    writeFileSync(tmp, f.content, { mode: 0o600 });
    renameSync(tmp, dest);
    return { ...base, changed: true };
  },
});
