import { quote } from '../../quote.js';
import { defineFact } from './facts.js';

/** What slurp and fetch read at most: the whole file comes to the controller (and into memory). */
export const MAX_REMOTE_READ = 64 * 1024 * 1024;

export type RemoteFile = { kind: 'file'; content: Buffer; /** sha1sum as the host computed it */ sha1: string } | { kind: 'missing' | 'directory' | 'unreadable' | 'too-big'; msg: string };

/** A file's bytes from the host, base64 on the wire, refused above MAX_REMOTE_READ. */
export const remoteFile = defineFact(
  (path: string) => {
    const p = quote(path);
    return `if [ -d ${p} ]; then echo directory; elif [ ! -e ${p} ]; then echo missing; elif [ ! -r ${p} ]; then echo unreadable; elif [ "$(stat -L -c %s -- ${p})" -gt ${MAX_REMOTE_READ} ]; then echo too-big; else echo file; sha1sum -- ${p} | cut -d' ' -f1; base64 -w0 -- ${p}; fi`;
  },
  (r, path): RemoteFile => {
    if (r.rc !== 0) return { kind: 'unreadable', msg: `cannot read ${path}: ${r.stderr.trim() || `exit ${r.rc}`}` };
    const nl = r.stdout.indexOf('\n');
    const kind = (nl < 0 ? r.stdout : r.stdout.slice(0, nl)).trim();
    if (kind === 'file') {
      const [sha1 = '', data = ''] = r.stdout.slice(nl + 1).split('\n');
      return { kind, sha1: sha1.trim(), content: Buffer.from(data.trim(), 'base64') };
    }
    const msgs: Record<string, string> = {
      missing: `file not found: ${path}`,
      directory: `${path} is a directory`,
      unreadable: `file is not readable: ${path}`,
      'too-big': `${path} is larger than ${MAX_REMOTE_READ / 1024 / 1024} MiB: not read into memory`,
    };
    return { kind: (kind in msgs ? kind : 'unreadable') as 'missing', msg: msgs[kind] ?? `cannot read ${path}` };
  },
);
