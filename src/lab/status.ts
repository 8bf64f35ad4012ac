import { hostInits } from './hosts.js';
import { run } from './proc.js';
import type { Topology } from './topology.js';

export interface HostStatus {
  name: string;
  address: string;
  groups: string[];
  /** Its PID 1 runs. */
  running: boolean;
  /** An SSH banner came back through the lab proxy. */
  sshd: boolean;
}

/**
 * Reads each address's SSH banner from inside the proxy namespace (where the SSH transport's
 * proxy connects from); one spawn for all hosts. Returns the addresses that answered.
 */
export async function probeSsh(proxyNs: string, addresses: string[]): Promise<Set<string>> {
  // bash's /dev/tcp: the banner's first 4 bytes end the read at once (socat would idle until its timeout).
  const script = 'for a in "$@"; do (exec 3<>"/dev/tcp/$a/22" && read -r -t 5 -n 4 b <&3 && echo "$a $b") 2>/dev/null & done; wait';
  const r = await run(['ip', 'netns', 'exec', proxyNs, 'bash', '-c', script, 'probe', ...addresses]);
  const ok = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    const [addr, banner] = line.split(' ');
    if (addr && banner === 'SSH-') ok.add(addr);
  }
  return ok;
}

export async function hostStatuses(t: Topology, proxyNs: string): Promise<HostStatus[]> {
  const inits = await hostInits(t);
  const running = t.hosts.filter((h) => inits.has(h.name));
  const answered = running.length ? await probeSsh(proxyNs, running.map((h) => h.address)) : new Set<string>();
  // One more try for the silent ones: a loaded machine can be slower than the probe's timeout.
  const silent = running.filter((h) => !answered.has(h.address)).map((h) => h.address);
  if (silent.length) for (const a of await probeSsh(proxyNs, silent)) answered.add(a);
  return t.hosts.map((h) => ({ name: h.name, address: h.address, groups: h.groups, running: inits.has(h.name), sshd: answered.has(h.address) }));
}
