import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadInventory, loadInventoryText, type Inventory } from '../../src/inventory/index.js';
import { lazyTemplatedVars } from '../../src/vars/lazy-vars.js';
import { renderText } from '../../src/vars/template.js';

/** Repository root (test/unit/..). */
export const REPO = join(import.meta.dirname, '..', '..');

/** A role's defaults/main.yml, parsed. */
export function roleDefaults(role: string): Record<string, unknown> {
  return (parse(readFileSync(join(REPO, 'roles', role, 'defaults', 'main.yml'), 'utf8')) ?? {}) as Record<string, unknown>;
}

/** The real inventory (hosts.yml + group_vars), or a variant given as text in inventory/. */
export function seedInventory(text?: string): Inventory {
  const path = join(REPO, 'inventory', 'hosts.yml');
  return text === undefined ? loadInventory(path) : loadInventoryText(path, text);
}

/** Variables a task on `host` sees for a role: role defaults < inventory, plus groups/hostvars. */
export function hostVarsFor(inv: Inventory, host: string, role: string): Record<string, unknown> {
  const hostvars = Object.fromEntries(inv.hostNames.map((h) => [h, inv.hostVars(h)]));
  // Templated defaults (frr_bfd: "{{ bfd_enabled | bool }}") render on read, as in a run.
  return lazyTemplatedVars({ ...roleDefaults(role), ...inv.hostVars(host), inventory_hostname: host, groups: inv.groups(), hostvars }, new Set(['inventory_hostname', 'groups', 'hostvars']));
}

/** Renders roles/<role>/templates/<name> for `host` with the real renderer. */
export function renderRoleTemplate(role: string, name: string, host: string, inv: Inventory = seedInventory()): string {
  const file = join(REPO, 'roles', role, 'templates', name);
  return renderText(readFileSync(file, 'utf8'), hostVarsFor(inv, host, role), { file, line: 1, col: 1 });
}
