import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Everything needed to open (or find a held) SSH connection to one host. */
export interface SshTarget {
  host: string; // inventory name, for messages
  address: string;
  port: number;
  user: string;
  /** The private key to log in with; without one, the agent. */
  keyFile?: string;
  /** ssh-agent socket, used when there is no keyFile. */
  agent?: string;
  knownHostsFile: string;
  acceptNewHostKeys: boolean;
  connectTimeoutMs: number;
  /** argv of a local command whose stdio is the TCP stream (%h, %p substituted); no shell. */
  proxyCommand?: string[];
  /** Directory the proxy command starts in (relative paths in it mean what they meant to the user). */
  cwd?: string;
}

/** OpenSSH's default identities, in its order of preference. */
export function defaultKey(): string | undefined {
  for (const f of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    const p = join(homedir(), '.ssh', f);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Identifies what a held connection was opened with: a run may reuse it only when every one of
 * these is the same (the timeouts and the host-key policy are not identity: the key is re-checked).
 */
export function targetKey(t: SshTarget): string {
  return JSON.stringify([t.host, t.address, t.port, t.user, t.keyFile ?? null, t.agent ?? null, t.knownHostsFile, t.proxyCommand ?? null, t.cwd ?? null]);
}
