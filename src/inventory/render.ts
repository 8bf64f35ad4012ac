import type { LoadedInventory } from './index.js';

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** ansible-inventory --list: groups with direct hosts, children and own vars; merged vars in _meta. */
export function inventoryJson(inv: LoadedInventory): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const g of inv.groupNames) {
    const entry: Record<string, unknown> = {};
    const hosts = inv.directHosts(g);
    if (g !== 'all' && hosts.length) entry.hosts = hosts;
    const children = inv.childGroups(g);
    if (children.length) entry.children = children;
    const vars = inv.groupVars(g).vars;
    if (Object.keys(vars).length) entry.vars = structuredClone(vars);
    if (Object.keys(entry).length) out[g] = entry; // Ansible drops empty groups
  }
  const hostvars: Record<string, unknown> = {};
  for (const h of inv.hostNames) {
    const v = inv.hostVars(h);
    if (Object.keys(v).length) hostvars[h] = v;
  }
  return { _meta: { hostvars }, ...out };
}

/** ansible-inventory --graph: `@group:` lines, children then hosts, each sorted by name. */
export function inventoryGraph(inv: LoadedInventory, start = 'all'): string {
  const lines: string[] = [];
  const name = (text: string, depth: number): string => (depth ? `${'  |'.repeat(depth)}--${text}` : text);
  const walk = (g: string, depth: number): void => {
    lines.push(name(`@${g}:`, depth));
    for (const c of inv.childGroups(g).sort(byName)) walk(c, depth + 1);
    if (g !== 'all') for (const h of inv.directHosts(g).sort(byName)) lines.push(name(h, depth + 1));
  };
  walk(start, 0);
  return lines.join('\n');
}

/** How fabric will reach a host, for the readable listing. */
function target(inv: LoadedInventory, host: string): string {
  const v = inv.hostVars(host);
  if (v.fabric_connection === 'local') return 'local';
  const user = typeof v.fabric_user === 'string' ? `${v.fabric_user}@` : '';
  return `${user}${String(v.fabric_host ?? host)}:${String(v.fabric_port ?? 22)}`;
}

/** A box-drawing tree of groups (inventory order) with each direct host and its connection target. */
export function inventoryTree(inv: LoadedInventory): string {
  const lines = [`@all (${inv.hostNames.length} host${inv.hostNames.length === 1 ? '' : 's'})`];
  const walk = (g: string, prefix: string): void => {
    const kids: { label: string; group?: string }[] = [
      ...inv.childGroups(g).map((c) => ({ label: `@${c}`, group: c })),
      ...(g === 'all' ? [] : inv.directHosts(g).map((h) => ({ label: `${h}  ${target(inv, h)}` }))),
    ];
    kids.forEach((k, i) => {
      const last = i === kids.length - 1;
      lines.push(`${prefix}${last ? '└─ ' : '├─ '}${k.label}`);
      if (k.group) walk(k.group, `${prefix}${last ? '   ' : '│  '}`);
    });
  };
  walk('all', '');
  return lines.join('\n');
}

/** One host's merged vars, each with the file:line its value came from. */
export function hostReport(inv: LoadedInventory, host: string): { host: string; groups: string[]; vars: Record<string, unknown>; origins: Record<string, string> } {
  return { host, groups: inv.hostGroups(host), vars: inv.hostVars(host), origins: inv.hostVarOrigins(host) };
}

export function hostReportText(inv: LoadedInventory, host: string): string {
  const r = hostReport(inv, host);
  const rows = Object.entries(r.vars).map(([k, v]) => [`${k}: ${JSON.stringify(v)}`, r.origins[k] ?? ''] as const);
  const width = Math.max(0, ...rows.map(([a]) => a.length));
  return [
    `${host}`,
    `  groups: ${r.groups.join(', ')}`,
    rows.length ? '  vars:' : '  vars: (none)',
    ...rows.map(([a, o]) => `    ${a.padEnd(width)}  # ${o}`),
  ].join('\n');
}
