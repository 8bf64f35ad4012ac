import { createHmac } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';

export interface KnownKey {
  type: string;
  blob: string; // base64 of the wire-format key
  /** An `@revoked` line: this key is refused for every host it names. */
  revoked?: boolean;
}

/** The name OpenSSH stores: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function matchesName(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  // OpenSSH patterns: `*` and `?` wildcards, `!` negation (a negated match excludes the name).
  const globs = field.split(',').map((g) => ({ neg: g.startsWith('!'), re: new RegExp(`^${g.replace(/^!/, '').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`) }));
  if (globs.some((g) => g.neg && g.re.test(name))) return false;
  return globs.some((g) => !g.neg && g.re.test(name));
}

const reading = new Map<string, Promise<Buffer>>();

/**
 * One read of a file for every connection that asks while it is being read (100 hosts share one
 * known_hosts and one key): the connections then reach their proxy launch in the same turn.
 */
export function readShared(file: string): Promise<Buffer> {
  let p = reading.get(file);
  if (!p) {
    p = readFile(file);
    reading.set(file, p);
    // Forgotten right after: a later connection sees keys remembered meanwhile.
    const forget = () => setImmediate(() => reading.get(file) === p && reading.delete(file));
    p.then(forget, forget);
  }
  return p;
}

/** Keys recorded for `name` in an OpenSSH known_hosts file, revoked ones flagged (missing file: none). */
export async function knownKeys(file: string, name: string): Promise<KnownKey[]> {
  let text: string;
  try {
    text = (await readShared(file)).toString('utf8');
  } catch {
    return [];
  }
  const keys: KnownKey[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const words = line.split(/\s+/);
    const marker = words[0]!.startsWith('@') ? words.shift() : undefined;
    if (marker && marker !== '@revoked') continue; // @cert-authority: certificates are not supported
    const [names, type, blob] = words;
    if (names && type && blob && matchesName(names, name)) keys.push(marker ? { type, blob, revoked: true } : { type, blob });
  }
  return keys;
}

export async function rememberKey(file: string, name: string, key: KnownKey): Promise<void> {
  await appendFile(file, `${name} ${key.type} ${key.blob}\n`, { mode: 0o600 });
}

/** The key type named inside a wire-format public key blob. */
export function keyType(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('ascii');
}
