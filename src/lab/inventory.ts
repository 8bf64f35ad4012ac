import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import type { LabPaths } from './state.js';
import { delayProxyArgv, linkOf } from './links.js';
import { controllerNs, type Topology } from './topology.js';

interface GroupNode {
  hosts?: Record<string, { fabric_host: string; fabric_proxy_command?: string[] }>;
  children?: Record<string, GroupNode>;
}

/** The proxy argv the SSH transport spawns: socat inside a lab namespace, so no lab packet ever leaves the machine's own namespace. */
export function proxyCommand(proxyNs: string): string[] {
  return ['ip', 'netns', 'exec', proxyNs, 'socat', 'STDIO', 'TCP:%h:%p'];
}

/** A host behind a slow link (--delay/--loss) reaches its sshd through the delaying proxy. */
function hostProxy(t: Topology, host: string): { fabric_proxy_command?: string[] } {
  const c = linkOf(t.links, host);
  return c ? { fabric_proxy_command: delayProxyArgv(controllerNs(t), c) } : {};
}

/** Each host's proxy argv where it is not the lab's plain one (the bench gives Ansible the same). */
export function hostProxies(t: Topology): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const h of t.hosts) {
    const p = hostProxy(t, h.name).fabric_proxy_command;
    if (p) out[h.name] = p;
  }
  return out;
}

/** The inventory tree (Ansible YAML inventory shape) with the lab's connection vars. */
export function inventoryDoc(t: Topology, p: LabPaths, proxy: string[]): unknown {
  const isChild = new Set(Object.values(t.groupChildren).flat());
  const groups = new Set([...t.hosts.flatMap((h) => h.groups), ...Object.keys(t.groupChildren)]);
  const node = (g: string): GroupNode => {
    const out: GroupNode = {};
    const members = t.hosts.filter((h) => h.groups.includes(g));
    if (members.length) out.hosts = Object.fromEntries(members.map((h) => [h.name, { fabric_host: h.address, ...hostProxy(t, h.name) }]));
    const children = t.groupChildren[g];
    if (children?.length) out.children = Object.fromEntries(children.map((c) => [c, node(c)]));
    return out;
  };
  const top = [...groups].filter((g) => !isChild.has(g));
  return {
    all: {
      children: Object.fromEntries(top.map((g) => [g, node(g)])),
      vars: {
        fabric_user: 'root',
        fabric_port: 22,
        fabric_ssh_key: p.key,
        fabric_known_hosts: p.knownHosts,
        fabric_proxy_command: proxy,
        fabric_lab: true,
      },
    },
  };
}

export async function writeInventory(file: string, t: Topology, p: LabPaths, proxy: string[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const header = `# Written by \`fabric lab up\` for lab ${t.name}; removed by \`fabric lab down\`. Do not edit.\n`;
  await writeFile(file, header + stringify(inventoryDoc(t, p, proxy), { flowCollectionPadding: false }));
}
