import { InputError } from '../errors.js';
import { didYouMean } from '../load/schema.js';
import type { LoadedInventory } from './index.js';
import { isMapping, type YamlPath } from './model.js';
import { GROUP_NAME_RULE, HOST_NAME_RULE, isValidGroupName, isValidHostName } from './names.js';
import type { EditOp } from './text-edit.js';

/** What an edit changes, before it is spliced into the text and validated. */
export interface EditPlan {
  ops: EditOp[];
  summary: string;
}

export type VarTarget = { host: string } | { group: string } | { all: true };

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function hint(name: string, candidates: string[]): string | undefined {
  const g = didYouMean(name, candidates);
  return g ? `did you mean '${g}'?` : undefined;
}

function requireHost(inv: LoadedInventory, name: string): void {
  if (!inv.hasHost(name)) throw new InputError(`no host '${name}' in ${inv.path}`, undefined, hint(name, inv.hostNames));
}

function requireGroup(inv: LoadedInventory, name: string): void {
  if (!inv.hasGroup(name)) throw new InputError(`no group '${name}' in ${inv.path}`, undefined, hint(name, inv.groupNames));
}

function checkNewName(inv: LoadedInventory, name: string, kind: 'host' | 'group'): void {
  if (kind === 'host' && !isValidHostName(name)) throw new InputError(`invalid host name '${name}'`, undefined, `use ${HOST_NAME_RULE}`);
  if (kind === 'group' && !isValidGroupName(name)) throw new InputError(`invalid group name '${name}'`, undefined, `use ${GROUP_NAME_RULE}`);
  // A host may share a group's name (Ansible allows it; the lab's `router`), so only same-kind clashes count.
  if (kind === 'host' && inv.hasHost(name)) {
    throw new InputError(`host '${name}' already exists`, inv.model.hosts.get(name)!.pos, `it is in ${inv.hostGroups(name).join(', ')}`);
  }
  if (kind === 'group' && inv.hasGroup(name)) throw new InputError(`group '${name}' already exists`, inv.model.groups.get(name)!.pos);
}

export function checkVarName(name: string): void {
  if (!VAR_NAME.test(name)) throw new InputError(`invalid variable name '${name}'`, undefined, "use a letter or '_' followed by letters, digits or '_'");
}

/** Where the file defines a group; `all` and `ungrouped` may be implicit (then: the top-level `all:`). */
function groupPaths(inv: LoadedInventory, group: string): YamlPath[] {
  const paths = inv.model.groups.get(group)?.paths ?? [];
  if (paths.length) return paths;
  return [group === 'ungrouped' ? ['all'] : [group]];
}

function hasTopLevelAll(inv: LoadedInventory): boolean {
  return isMapping(inv.model.file.value) && 'all' in inv.model.file.value;
}

export function planAddHost(inv: LoadedInventory, name: string, group: string, vars: Record<string, unknown>): EditPlan {
  checkNewName(inv, name, 'host');
  requireGroup(inv, group);
  Object.keys(vars).forEach(checkVarName);
  // `ungrouped` is implicit: a host listed only under `all:` is in it.
  const at = group === 'ungrouped' ? ['all'] : groupPaths(inv, group)[0]!;
  return {
    ops: [{ kind: 'set', mapPath: [...at, 'hosts'], key: name, value: Object.keys(vars).length ? vars : null }],
    summary: `added host ${name} to group ${group}`,
  };
}

export function planRemoveHost(inv: LoadedInventory, name: string): EditPlan {
  requireHost(inv, name);
  const groups = inv.hostGroups(name).filter((g) => g !== 'all');
  const ops: EditOp[] = inv.model.hosts.get(name)!.paths.map((p) => ({ kind: 'delete', mapPath: p.slice(0, -1), key: name }));
  return { ops, summary: `removed host ${name} (was in ${groups.join(', ') || 'all'})` };
}

export function planAddGroup(inv: LoadedInventory, name: string, parent = 'all'): EditPlan {
  checkNewName(inv, name, 'group');
  requireGroup(inv, parent);
  if (parent === 'ungrouped') throw new InputError(`'ungrouped' cannot have child groups`);
  const op: EditOp =
    parent === 'all' && !hasTopLevelAll(inv)
      ? { kind: 'set', mapPath: [], key: name, value: null }
      : { kind: 'set', mapPath: [...groupPaths(inv, parent)[0]!, 'children'], key: name, value: null };
  return { ops: [op], summary: `added group ${name} under ${parent}` };
}

export function planRemoveGroup(inv: LoadedInventory, name: string, force: boolean): EditPlan {
  if (name === 'all' || name === 'ungrouped') throw new InputError(`group '${name}' is built in and cannot be removed`);
  requireGroup(inv, name);
  const hosts = inv.groups()[name] ?? [];
  const children = inv.childGroups(name);
  if (!force && (hosts.length || children.length)) {
    const what = [hosts.length ? `hosts ${hosts.join(', ')}` : '', children.length ? `child groups ${children.join(', ')}` : ''].filter(Boolean);
    throw new InputError(`group '${name}' still has ${what.join(' and ')}`, inv.posOf(name), 'move or remove them first, or pass --force');
  }
  const ops: EditOp[] = inv.model.groups.get(name)!.paths.map((p) => ({ kind: 'delete', mapPath: p.slice(0, -1), key: name }));
  return { ops, summary: `removed group ${name}` };
}

/** Paths of the mappings holding the target's inline vars (a host or group may be written in several places). */
function varMaps(inv: LoadedInventory, t: VarTarget): YamlPath[] {
  if ('host' in t) {
    requireHost(inv, t.host);
    return inv.model.hosts.get(t.host)!.paths;
  }
  const group = 'group' in t ? t.group : 'all';
  requireGroup(inv, group);
  if (group === 'ungrouped') throw new InputError(`'ungrouped' is implicit and has no vars of its own; use --all or a group`);
  return groupPaths(inv, group).map((p) => [...p, 'vars']);
}

function valueAt(inv: LoadedInventory, path: YamlPath): unknown {
  let v: unknown = inv.model.file.value;
  for (const k of path) v = isMapping(v) ? v[String(k)] : undefined;
  return v;
}

export const describeTarget = (t: VarTarget): string => ('host' in t ? `host ${t.host}` : 'group' in t ? `group ${t.group}` : 'all hosts (group all)');

export function planSetVars(inv: LoadedInventory, t: VarTarget, vars: Record<string, unknown>): EditPlan {
  const maps = varMaps(inv, t);
  const ops: EditOp[] = [];
  for (const [k, v] of Object.entries(vars)) {
    checkVarName(k);
    // Update every place that already sets it (they merge; the last would win); else the first definition.
    const holding = maps.filter((m) => isMapping(valueAt(inv, m)) && k in (valueAt(inv, m) as object));
    for (const m of holding.length ? holding : [maps[0]!]) ops.push({ kind: 'set', mapPath: m, key: k, value: v });
  }
  return { ops, summary: `set ${Object.keys(vars).join(', ')} on ${describeTarget(t)}` };
}

export function planUnsetVars(inv: LoadedInventory, t: VarTarget, names: string[]): EditPlan {
  const maps = varMaps(inv, t);
  const ops: EditOp[] = [];
  for (const k of names) {
    const holding = maps.filter((m) => isMapping(valueAt(inv, m)) && k in (valueAt(inv, m) as object));
    if (!holding.length) {
      throw new InputError(`variable '${k}' is not set on ${describeTarget(t)} in ${inv.path}`, undefined, varHint(inv, t, k));
    }
    for (const m of holding) ops.push({ kind: 'delete', mapPath: m, key: k });
  }
  return { ops, summary: `unset ${names.join(', ')} on ${describeTarget(t)}` };
}

function varHint(inv: LoadedInventory, t: VarTarget, k: string): string | undefined {
  const origin = 'host' in t ? inv.hostVarOrigins(t.host)[k] : inv.groupVars('group' in t ? t.group : 'all').origins[k];
  return origin ? `it is set at ${origin}` : undefined;
}

/** A value set inline that a group_vars/host_vars file overrides would look like a no-op: say so. */
export function overriddenNotes(inv: LoadedInventory, t: VarTarget, names: string[]): string[] {
  const notes: string[] = [];
  for (const k of names) {
    const origin = 'host' in t ? inv.hostVarOrigins(t.host)[k] : inv.groupVars('group' in t ? t.group : 'all').origins[k];
    if (origin && !origin.startsWith(`${inv.model.file.path}:`)) notes.push(`note: '${k}' is also set in ${origin}, which takes precedence`);
  }
  return notes;
}
