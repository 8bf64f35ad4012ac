import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mustRun, pool } from './proc.js';
import type { LabPaths } from './state.js';
import type { Topology } from './topology.js';

async function keygen(file: string, comment: string): Promise<void> {
  await mustRun(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
}

/** The controller's key and one host key per host; returns the host key paths by host name. */
export async function makeKeys(p: LabPaths, t: Topology): Promise<Map<string, string>> {
  await mkdir(join(p.dir, 'hostkeys'), { recursive: true, mode: 0o700 });
  await keygen(p.key, `fabric-lab-${t.name}`);
  const keys = new Map<string, string>();
  await pool(t.hosts, 8, async (h) => {
    const file = join(p.dir, 'hostkeys', `${h.name}_ed25519`);
    await keygen(file, `${h.name}@fabric-lab-${t.name}`);
    keys.set(h.name, file);
  });
  return keys;
}

/** known_hosts naming each host by its address (port 22), as the SSH transport and ssh(1) look it up. */
export async function writeKnownHosts(p: LabPaths, t: Topology, keys: Map<string, string>): Promise<void> {
  const lines = await Promise.all(
    t.hosts.map(async (h) => {
      const [type, blob] = (await readFile(`${keys.get(h.name)!}.pub`, 'utf8')).trim().split(/\s+/);
      return `${h.address} ${type} ${blob}`;
    }),
  );
  await writeFile(p.knownHosts, lines.join('\n') + '\n', { mode: 0o600 });
}
