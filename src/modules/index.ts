import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModuleDef } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Collection prefixes Ansible users write; `ansible.builtin.copy` is `copy`. */
const PREFIXES = ['ansible.builtin.', 'ansible.posix.', 'community.general.', 'ansible.legacy.'];

/**
 * Module names are the file names in this folder: adding a module is adding a file.
 * (.js when compiled; .ts when tests run the sources.)
 */
let names: string[] | undefined;
export function moduleNames(): string[] {
  names ??= [
    ...new Set(
      readdirSync(here)
        .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts'))
        .map((f) => f.slice(0, -3))
        .filter((n) => n !== 'index' && n !== 'types'),
    ),
  ].sort();
  return names;
}

export function canonicalModuleName(key: string): string | undefined {
  let name = key;
  for (const p of PREFIXES) if (name.startsWith(p)) name = name.slice(p.length);
  return moduleNames().includes(name) ? name : undefined;
}

const cache = new Map<string, Promise<ModuleDef<any>>>();

/** Imports a module lazily: a run loads only the modules its playbooks use. */
export function loadModule(name: string): Promise<ModuleDef<any>> {
  let p = cache.get(name);
  if (!p) {
    p = import(`./${name}.js`).then((m: { default: ModuleDef<any> }) => m.default);
    cache.set(name, p);
  }
  return p;
}
