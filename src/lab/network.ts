import { readdir } from 'node:fs/promises';
import { netBatch } from './host-files.js';
import { mustRun, run } from './proc.js';
import { bridgeNs, nsName, type Topology } from './topology.js';

export const NETNS_DIR = '/run/netns';

/**
 * Builds the lab's L2 segment: one netns per host, a bridge in its own netns, a veth pair per host
 * (eth0 in the host, v-<host> on the bridge). Nothing is created in the machine's own namespace:
 * it gets no address and no route in the lab subnet. Host addresses are set by each host's stage 1.
 */
export async function createNetwork(t: Topology): Promise<void> {
  const br = bridgeNs(t);
  const ctl = 'address' in t.controller ? `${t.prefix}ctl` : undefined;
  const spaces = [br, ...t.hosts.map((h) => nsName(t, h.name)), ...(ctl ? [ctl] : [])];
  await mustRun(['ip', '-batch', '-'], spaces.map((n) => `netns add ${n}\n`).join(''));
  const ports = [...t.hosts.map((h) => ({ port: `v-${h.name}`, ns: nsName(t, h.name) })), ...(ctl ? [{ port: 'v-ctl', ns: ctl }] : [])];
  const lines = [
    'link set lo up',
    // No STP and no forwarding delay: ports forward as soon as they are up.
    'link add br0 type bridge stp_state 0 forward_delay 0',
    'link set br0 up',
    ...ports.flatMap(({ port, ns }) => [`link add ${port} type veth peer name eth0 netns ${ns}`, `link set ${port} master br0 up`]),
  ];
  await mustRun(['ip', '-n', br, '-batch', '-'], lines.join('\n') + '\n');
  if (ctl && 'address' in t.controller) await mustRun(['ip', '-n', ctl, '-batch', '-'], netBatch(t.controller.address, t.subnet));
}

/** Namespaces whose name starts with prefix (what `down` removes, whatever a state file says). */
export async function prefixedNamespaces(prefix: string): Promise<string[]> {
  const names = await readdir(NETNS_DIR).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(prefix)).sort();
}

export async function deleteNamespaces(names: string[]): Promise<void> {
  if (!names.length) return;
  // -force: go on past a name already gone (a half-finished up or down).
  await run(['ip', '-force', '-batch', '-'], names.map((n) => `netns del ${n}\n`).join(''));
}
