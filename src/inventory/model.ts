import { ErrorList, InputError, type SourcePos } from '../errors.js';
import type { YamlFile } from '../load/yaml.js';
import { schemaErrors } from '../load/schema.js';
import { GROUP_NAME_RULE, HOST_NAME_RULE, isValidGroupName, isValidHostName } from './names.js';
import { inventoryValidationSchema } from './schema.js';

export type YamlPath = (string | number)[];
export type Vars = Record<string, unknown>;

export interface GroupDef {
  name: string;
  pos?: SourcePos;
  /** Every place the group is defined in the file (a group defined twice merges). */
  paths: YamlPath[];
  children: string[];
  parents: string[];
  hosts: string[]; // direct members, first-appearance order
  vars: Vars;
  varOrigins: Record<string, string>;
}

export interface HostDef {
  name: string;
  pos: SourcePos;
  /** Path of each `hosts:` entry naming this host. */
  paths: YamlPath[];
  vars: Vars;
  varOrigins: Record<string, string>;
}

/** The inventory file as groups and hosts, before group_vars/host_vars and precedence. */
export interface InventoryModel {
  file: YamlFile;
  groups: Map<string, GroupDef>; // 'all', 'ungrouped', then first-appearance order
  hosts: Map<string, HostDef>; // first-appearance order
}

const GROUP_KEYS = ['hosts', 'vars', 'children'];

export const isTemplate = (v: unknown): boolean => typeof v === 'string' && v.includes('{{');

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** schemaErrors prefixes paths with `what`; a bare dotted path (`all.hosts.cp1.fabric_port`) reads best here. */
export function schemaProblems(file: YamlFile, value: unknown, schema: object): InputError[] {
  return schemaErrors(schema, value, file, [], '\u0000', isTemplate).map(
    (e) => new InputError(e.message.replace(/\u0000(?=\s|$)/g, 'the top level').replace(/\u0000\.?/g, ''), e.pos, e.hint),
  );
}

export function buildModel(file: YamlFile, errors: ErrorList): InventoryModel {
  const groups = new Map<string, GroupDef>();
  const hosts = new Map<string, HostDef>();
  const linkPos = new Map<string, SourcePos>();
  const model: InventoryModel = { file, groups, hosts };
  const ensureGroup = (name: string, pos?: SourcePos): GroupDef => {
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { name, pos, paths: [], children: [], parents: [], hosts: [], vars: {}, varOrigins: {} }));
    g.pos ??= pos;
    return g;
  };
  const link = (parent: string, child: string, pos?: SourcePos): void => {
    const p = ensureGroup(parent);
    const c = ensureGroup(child);
    if (!p.children.includes(child)) p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
    if (pos && !linkPos.has(`${parent}\u0000${child}`)) linkPos.set(`${parent}\u0000${child}`, pos);
  };
  ensureGroup('all');
  link('all', 'ungrouped');

  const root = file.value;
  if (root === null || root === undefined) return model;
  if (!isMapping(root)) {
    errors.add(new InputError(`an inventory must be a mapping of groups, usually starting with 'all:'`, file.posAt([])));
    return model;
  }
  {
    const misplaced = Object.keys(root).filter((k) => GROUP_KEYS.includes(k));
    for (const k of misplaced) {
      errors.add(
        new InputError(`top-level key '${k}' would be a group named '${k}': top-level keys are groups`, file.keyPosAt([k]), `put '${k}:' under 'all:'`),
      );
    }
    if (misplaced.length) return model;
  }
  const problems = schemaProblems(file, root, inventoryValidationSchema);
  if (problems.length) {
    problems.forEach((p) => errors.add(p));
    return model;
  }
  const top = root as Record<string, unknown>;

  const addVars = (target: { vars: Vars; varOrigins: Record<string, string> }, vars: unknown, path: YamlPath, suffix: string): void => {
    if (!isMapping(vars)) return;
    for (const [k, v] of Object.entries(vars)) {
      target.vars[k] = v;
      target.varOrigins[k] = `${file.path}:${file.keyPosAt([...path, k]).line}${suffix}`;
    }
  };

  const walkGroup = (name: string, node: unknown, path: YamlPath, parent: string | undefined): void => {
    const pos = file.keyPosAt(path);
    if (!isValidGroupName(name)) {
      errors.add(new InputError(`invalid group name '${name}'`, pos, `use ${GROUP_NAME_RULE}`));
      return;
    }
    if (parent !== undefined && (name === 'all' || (name === 'ungrouped' && parent !== 'all'))) {
      errors.add(new InputError(`group '${name}' cannot be a child of '${parent}'`, pos));
      return;
    }
    const g = ensureGroup(name, pos);
    g.paths.push(path);
    if (parent !== undefined) link(parent, name, pos);
    if (!isMapping(node)) return;
    if (isMapping(node.hosts)) {
      for (const [h, hv] of Object.entries(node.hosts)) {
        const hpath = [...path, 'hosts', h];
        const hpos = file.keyPosAt(hpath);
        if (!isValidHostName(h)) {
          errors.add(new InputError(`invalid host name '${h}'`, hpos, `use ${HOST_NAME_RULE}`));
          continue;
        }
        let host = hosts.get(h);
        if (!host) hosts.set(h, (host = { name: h, pos: hpos, paths: [], vars: {}, varOrigins: {} }));
        host.paths.push(hpath);
        if (!g.hosts.includes(h)) g.hosts.push(h);
        addVars(host, hv, hpath, '');
      }
    }
    addVars(g, node.vars, [...path, 'vars'], ` (group ${name})`);
    if (isMapping(node.children)) {
      for (const [c, cnode] of Object.entries(node.children)) walkGroup(c, cnode, [...path, 'children', c], name);
    }
  };
  for (const [name, node] of Object.entries(top)) walkGroup(name, node, [name], name === 'all' ? undefined : 'all');

  // A host may share its group's name (`router` in group `router`), as Ansible allows: patterns match the group first.
  findCycles(model, linkPos, errors);
  placeUngrouped(model);
  return model;
}

/** A group that is its own ancestor would make membership and precedence undefined. */
function findCycles(model: InventoryModel, linkPos: Map<string, SourcePos>, errors: ErrorList): void {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (g: string): void => {
    state.set(g, 'open');
    stack.push(g);
    for (const c of model.groups.get(g)!.children) {
      if (state.get(c) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(c)), c];
        errors.add(new InputError(`group '${c}' is its own ancestor (${cycle.join(' → ')})`, linkPos.get(`${g}\u0000${c}`)));
      } else if (!state.has(c)) visit(c);
    }
    stack.pop();
    state.set(g, 'done');
  };
  for (const g of model.groups.keys()) if (!state.has(g)) visit(g);
}

/** Like Ansible: a host whose only group is `all` (or `ungrouped`) is in `ungrouped`, otherwise not. */
function placeUngrouped(model: InventoryModel): void {
  const grouped = new Set<string>();
  for (const g of model.groups.values()) {
    if (g.name !== 'all' && g.name !== 'ungrouped') g.hosts.forEach((h) => grouped.add(h));
  }
  const ungrouped = model.groups.get('ungrouped')!;
  ungrouped.hosts = [...model.hosts.keys()].filter((h) => !grouped.has(h));
}
