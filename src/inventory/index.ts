import { readFileSync } from 'node:fs';
import { noteInput } from '../load/inputs.js';
import { dirname, resolve } from 'node:path';
import { ErrorList, InputError, type SourcePos } from '../errors.js';
import { displayPath, parseYaml } from '../load/yaml.js';
import { buildModel, type InventoryModel, type Vars } from './model.js';
import { loadVarsFiles, type VarsLayer } from './vars-files.js';

export { resolvePattern } from './patterns.js';
export type { Vars } from './model.js';

export interface Inventory {
  path: string;
  hostNames: string[]; // inventory order (first appearance)
  groupNames: string[]; // includes 'all' and 'ungrouped'
  hasHost(name: string): boolean;
  hasGroup(name: string): boolean;
  /** Merged: all < parent group < child group < host; each with its group_vars/host_vars files. */
  hostVars(host: string): Record<string, unknown>;
  /** var → where its winning value came from, e.g. "inventory/group_vars/k8s.yml:3". */
  hostVarOrigins(host: string): Record<string, string>;
  /** group → all member hosts transitively, in inventory order; includes 'all' and 'ungrouped'. */
  groups(): Record<string, string[]>;
  /** Every group the host is in, ancestors and 'all' included, in precedence order (weakest first). */
  hostGroups(host: string): string[];
  posOf(name: string): SourcePos | undefined;
}

export interface LoadOptions {
  /** Dirs whose group_vars/ and host_vars/ override the inventory's own (Ansible's playbook dir). */
  playbookDirs?: string[];
  /** Below every inventory variable: the command line's -u, --private-key, -b, --become-user (as Ansible ranks them). */
  defaults?: VarsLayer;
}

interface Merged {
  vars: Vars;
  origins: Record<string, string>;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A loaded, validated inventory; also the model the `fabric inventory` editor works from. */
export class LoadedInventory implements Inventory {
  readonly hostNames: string[];
  readonly groupNames: string[];
  private readonly depth = new Map<string, number>();
  private readonly memberCache = new Map<string, string[]>();
  private readonly mergedCache = new Map<string, Merged>();
  private readonly groupLayerCache = new Map<string, Merged>();

  constructor(
    readonly path: string,
    readonly model: InventoryModel,
    private readonly groupFiles: Map<string, VarsLayer[]>,
    private readonly hostFiles: Map<string, VarsLayer[]>,
    private readonly defaults: VarsLayer = { vars: {}, origins: {} },
  ) {
    this.hostNames = [...model.hosts.keys()];
    this.groupNames = [...model.groups.keys()];
  }

  hasHost(name: string): boolean {
    return this.model.hosts.has(name);
  }
  hasGroup(name: string): boolean {
    return this.model.groups.has(name);
  }

  /** Direct members only (what the file lists under the group's `hosts:`). */
  directHosts(group: string): string[] {
    return [...(this.model.groups.get(group)?.hosts ?? [])];
  }
  childGroups(group: string): string[] {
    return [...(this.model.groups.get(group)?.children ?? [])];
  }

  /** Longest path from `all`: Ansible's group depth, which orders group precedence. */
  groupDepth(group: string): number {
    let d = this.depth.get(group);
    if (d === undefined) {
      const parents = this.model.groups.get(group)?.parents ?? [];
      d = parents.length ? 1 + Math.max(...parents.map((p) => this.groupDepth(p))) : 0;
      this.depth.set(group, d);
    }
    return d;
  }

  private members(group: string): string[] {
    let m = this.memberCache.get(group);
    if (!m) {
      const g = this.model.groups.get(group);
      if (!g) return [];
      const set = new Set<string>(group === 'all' ? this.hostNames : g.hosts);
      for (const c of g.children) this.members(c).forEach((h) => set.add(h));
      m = this.hostNames.filter((h) => set.has(h));
      this.memberCache.set(group, m);
    }
    return m;
  }

  groups(): Record<string, string[]> {
    return Object.fromEntries(this.groupNames.map((g) => [g, [...this.members(g)]]));
  }

  hostGroups(host: string): string[] {
    if (!this.hasHost(host)) return [];
    const found = new Set<string>(['all']);
    const up = (g: string): void => {
      if (found.has(g) && g !== 'all') return;
      found.add(g);
      this.model.groups.get(g)?.parents.forEach(up);
    };
    for (const g of this.model.groups.values()) if (g.hosts.includes(host)) up(g.name);
    return [...found].sort((a, b) => this.groupDepth(a) - this.groupDepth(b) || byName(a, b));
  }

  /** A group's own vars: inline, then its group_vars files (inventory side, then playbook side). */
  groupVars(group: string): Merged {
    let m = this.groupLayerCache.get(group);
    if (!m) {
      const g = this.model.groups.get(group);
      m = stack([{ vars: g?.vars ?? {}, origins: g?.varOrigins ?? {} }, ...(this.groupFiles.get(group) ?? [])]);
      this.groupLayerCache.set(group, m);
    }
    return m;
  }

  private merged(host: string): Merged {
    let m = this.mergedCache.get(host);
    if (!m) {
      const h = this.model.hosts.get(host);
      if (!h) throw new InputError(`unknown host '${host}'`);
      m = stack([
        this.defaults,
        ...this.hostGroups(host).map((g) => this.groupVars(g)),
        { vars: h.vars, origins: h.varOrigins },
        ...(this.hostFiles.get(host) ?? []),
      ]);
      this.mergedCache.set(host, m);
    }
    return m;
  }

  hostVars(host: string): Record<string, unknown> {
    return structuredClone(this.merged(host).vars);
  }
  hostVarOrigins(host: string): Record<string, string> {
    return { ...this.merged(host).origins };
  }
  posOf(name: string): SourcePos | undefined {
    return this.model.groups.get(name)?.pos ?? this.model.hosts.get(name)?.pos;
  }
}

/** Top-level keys replace (Ansible's default hash_behaviour=replace); later layers win. */
function stack(layers: VarsLayer[]): Merged {
  const out: Merged = { vars: {}, origins: {} };
  for (const l of layers) {
    Object.assign(out.vars, l.vars);
    Object.assign(out.origins, l.origins);
  }
  return out;
}

/** Loads inventory text as if it were the file at path (the editor validates a result before writing it). */
export function loadInventoryText(path: string, text: string, opts: LoadOptions = {}): LoadedInventory {
  const errors = new ErrorList();
  const file = errors.guard(() => parseYaml(path, text));
  errors.throwIfAny();
  const model = buildModel(file!, errors);
  errors.throwIfAny();
  const invDir = dirname(resolve(path));
  const dirs = [invDir, ...(opts.playbookDirs ?? []).map((d) => resolve(d))].filter((d, i, all) => all.indexOf(d) === i);
  const groupFiles = loadVarsFiles(dirs, 'group_vars', model.groups.keys(), errors);
  const hostFiles = loadVarsFiles(dirs, 'host_vars', model.hosts.keys(), errors);
  errors.throwIfAny();
  return new LoadedInventory(path, model, groupFiles, hostFiles, opts.defaults);
}

export function loadInventory(path: string, opts: LoadOptions = {}): LoadedInventory {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
    noteInput(path, text);
  } catch (e) {
    throw new InputError(`cannot read inventory ${displayPath(path)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return loadInventoryText(path, text, opts);
}
