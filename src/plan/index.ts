import { dirname, relative, resolve } from 'node:path';
import { ErrorList, InputError, InputErrors, type SourcePos } from '../errors.js';
import { resolvePattern, type Inventory } from '../inventory/index.js';
import { schemaErrors } from '../load/schema.js';
import { readYamlFile, type YamlFile } from '../load/yaml.js';
import { loadModule, moduleNames } from '../modules/index.js';
import type { ModuleDef, Vars } from '../modules/types.js';
import { compileCondition, type Condition } from '../vars/conditions.js';
import { lazyTemplatedVars } from '../vars/lazy-vars.js';
import { isTemplated, renderString } from '../vars/template.js';
import { libraryDirs, loadLibraries, type LibraryModule } from '../library/load.js';
import { loadRole, roleSearchPath } from './roles.js';
import { PLAYBOOK_SCHEMA } from './schema.js';
import { selectedByTags, type TagFilter } from './tags.js';
import { expandRole, expandTaskList, type ExpandSink, type Scope } from './tasks.js';
import type { Plan, PlanItem, PlannedPlay, PlannedTask } from './types.js';
import { readsFacts } from './fact-use.js';
import { checkUndefinedVariables } from './undefined-vars.js';
import { forEachTask } from './walk.js';
import { unopenedVaults } from '../vault/keyring.js';

export interface PlanOptions {
  playbooks: string[];
  /** Playbooks parsed already (an ad-hoc command's one play), planned after the files. */
  sources?: YamlFile[];
  inventory: Inventory;
  limit?: string;
  tags: TagFilter;
  extraVars: Vars;
}

/** The modules of the playbooks' library/ folders, and of the roles they can use. */
export function libraryModulesFor(playbooks: string[]): Promise<LibraryModule[]> {
  const dirs = [...new Set(playbooks.map((p) => dirname(resolve(p))))];
  return loadLibraries(libraryDirs(dirs, dirs.flatMap(roleSearchPath)), new Set(moduleNames()));
}

/** The built-in modules and the library ones. */
async function allModules(playbooks: string[]): Promise<Map<string, ModuleDef<any>>> {
  const names = moduleNames();
  const defs = await Promise.all(names.map((n) => loadModule(n)));
  const modules = new Map(names.map((n, i) => [n, defs[i]!]));
  for (const m of await libraryModulesFor(playbooks)) modules.set(m.def.name, m.def);
  return modules;
}

/** Drops tasks the tag filter does not select, and blocks left empty. */
function filterByTags(items: PlanItem[], f: TagFilter): PlanItem[] {
  const out: PlanItem[] = [];
  for (const it of items) {
    if (it.kind === 'task') {
      if (selectedByTags(it.tags, f)) out.push(it);
    } else if (it.kind === 'include') {
      const body = filterByTags(it.body, f);
      if (body.length) out.push({ ...it, body });
    } else {
      const block = filterByTags(it.block, f);
      const rescue = filterByTags(it.rescue, f);
      const always = filterByTags(it.always, f);
      if (block.length || always.length) out.push({ ...it, block, rescue, always });
    }
  }
  return out;
}

function readVarsFile(path: string, from: YamlFile, at: (string | number)[]): Vars {
  const yf = readYamlFile(path, from.posAt(at));
  if (yf.value == null) return {};
  if (typeof yf.value !== 'object' || Array.isArray(yf.value)) throw new InputError(`vars file must be a mapping`, yf.posAt([]));
  return yf.value as Vars;
}

/** A `roles:` entry written as a mapping. */
interface RoleRef {
  role: string;
  vars?: Vars;
  tags?: string | string[];
  when?: unknown;
  become?: boolean;
  any_errors_fatal?: boolean;
  environment?: Vars;
  timeout?: number;
}

/** What an `import_playbook` gives the plays it imports: its tags, vars and conditions (nested ones add up). */
interface Imported {
  tags: string[];
  vars: Vars;
  when: Condition[];
  /** The playbook files being imported, outermost first (a cycle is an error). */
  stack: string[];
}

/**
 * The hosts a play's `hosts:` names. Like Ansible it may be a template (`hosts: "{{ target }}"`),
 * rendered with what a play knows before any host: its vars and vars_files, extra vars, `groups`.
 */
function playHosts(raw: unknown, vars: Vars, opts: PlanOptions, where: SourcePos): { pattern: string; hosts: string[] } {
  const written = Array.isArray(raw) ? raw.map(String) : [String(raw)];
  const scope = lazyTemplatedVars({ ...vars, ...opts.extraVars, groups: opts.inventory.groups() }, new Set(['groups']));
  const terms = written.flatMap((t) => {
    const v = isTemplated(t) ? renderString(t, scope, where) : t;
    return Array.isArray(v) ? v.map(String) : [String(v)];
  });
  const pattern = terms.join(':');
  return { pattern, hosts: resolvePattern(opts.inventory, pattern, where) };
}

function planPlay(raw: Record<string, unknown>, idx: number, file: YamlFile, opts: PlanOptions, sink: ExpandSink, imported: Imported): PlannedPlay | undefined {
  const path = [idx];
  const pos = file.posAt(path);
  const playbookDir = dirname(resolve(file.path));
  let vars: Vars = { ...imported.vars, ...((raw.vars as Vars | undefined) ?? {}) };
  ((raw.vars_files as string[] | undefined) ?? []).forEach((f, i) => {
    const more = sink.errors.guard(() => readVarsFile(resolve(playbookDir, f), file, [...path, 'vars_files', i]));
    if (more) vars = { ...vars, ...more };
  });
  const matched = sink.errors.guard(() => playHosts(raw.hosts, vars, opts, file.posAt([...path, 'hosts'])));
  const pattern = matched?.pattern ?? (Array.isArray(raw.hosts) ? (raw.hosts as string[]).join(':') : String(raw.hosts));
  let hosts = matched?.hosts ?? [];
  if (opts.limit) {
    const limited = new Set(resolvePattern(opts.inventory, opts.limit));
    hosts = hosts.filter((h) => limited.has(h));
  }
  const playTags = [...new Set([...imported.tags, ...(raw.tags === undefined ? [] : Array.isArray(raw.tags) ? (raw.tags as string[]) : [String(raw.tags)])])];
  const base: Scope = {
    file,
    path,
    dir: playbookDir,
    baseDir: playbookDir,
    playbookDir,
    tags: playTags,
    when: imported.when,
    vars: {},
    anyErrorsFatal: raw.any_errors_fatal as boolean | undefined,
    ignoreUnreachable: raw.ignore_unreachable as boolean | undefined,
    throttle: raw.throttle as number | undefined,
    environment: (raw.environment as Vars | undefined) ?? {},
    timeout: raw.timeout as number | undefined,
    handler: false,
    notify: [],
    loopVars: [],
    includeStack: [resolve(file.path)],
  };
  sink.roleHandlers.clear();
  const section = (key: string) => expandTaskList(raw[key], { ...base, path: [...path, key] }, sink);
  const pre = section('pre_tasks');
  const roleItems: PlanItem[] = [];
  ((raw.roles as unknown[] | undefined) ?? []).forEach((r, i) => {
    const at = [...path, 'roles', i];
    sink.errors.guard(() => {
      const ref = typeof r === 'string' ? { role: r } : (r as RoleRef);
      const role = loadRole(ref.role, playbookDir, file.posAt(at));
      const scope: Scope = {
        ...base,
        path: at,
        tags: [...new Set([...playTags, ...(ref.tags === undefined ? [] : Array.isArray(ref.tags) ? ref.tags : [ref.tags])])],
        vars: ref.vars ?? {},
        become: ref.become,
        anyErrorsFatal: ref.any_errors_fatal ?? base.anyErrorsFatal,
        environment: { ...base.environment, ...ref.environment },
        timeout: ref.timeout ?? base.timeout,
      };
      if (ref.when !== undefined) {
        // Role-level `when` applies to every task of the role, like Ansible.
        scope.when = (Array.isArray(ref.when) ? ref.when : [ref.when]).map((c) => compileCondition(c as string, file.posAt([...at, 'when'])));
      }
      roleItems.push(...expandRole(role, scope, sink, file.posAt(at)));
    });
  });
  const tasks = section('tasks');
  const post = section('post_tasks');
  const handlers = expandTaskList(raw.handlers, { ...base, path: [...path, 'handlers'], handler: true }, sink) as PlannedTask[];
  for (const { scope } of sink.roleHandlers.values()) {
    handlers.push(...(expandTaskList(scope.file.value, scope, sink) as PlannedTask[]));
  }
  const names = new Set(handlers.flatMap((h) => h.listen));
  for (const items of [pre, roleItems, tasks, post]) {
    forEachTask(items, (t) => {
      for (const n of t.notify) {
        if (!names.has(n)) sink.errors.add(new InputError(`notify '${n}' matches no handler in this play`, t.pos, names.size ? `handlers: ${[...names].join(', ')}` : undefined));
      }
    });
  }
  const sections = [pre, [...roleItems, ...tasks], post].map((s) => filterByTags(s, opts.tags));
  const gatherFacts = (raw.gather_facts as boolean | undefined) ?? true;
  // Variables a task may read through, for whether it reads facts: every source but the registered ones.
  const hostVars = hosts.map((h) => opts.inventory.hostVars(h));
  for (const s of [...sections, handlers]) {
    forEachTask(s, (t) => {
      t.needsFacts = gatherFacts && readsFacts(t.reads, [opts.extraVars, t.vars, t.role?.vars ?? {}, vars, ...hostVars, t.role?.defaults ?? {}]);
    });
  }
  return {
    name: (raw.name as string | undefined) ?? pattern,
    pos,
    pattern,
    hosts,
    vars,
    gatherFacts,
    serial: raw.serial === undefined ? undefined : Array.isArray(raw.serial) ? (raw.serial as (number | string)[]) : [raw.serial as number | string],
    maxFailPercentage: raw.max_fail_percentage as number | undefined,
    become: raw.become as boolean | undefined,
    becomeUser: raw.become_user as string | undefined,
    forceHandlers: (raw.force_handlers as boolean | undefined) ?? false,
    sections,
    handlers,
    tags: playTags,
  };
}

/**
 * Loads and validates every playbook, role, include, module argument, template and host pattern
 * into a static plan. All input errors are collected and thrown together; nothing connects.
 */
export async function buildPlan(opts: PlanOptions): Promise<Plan> {
  const errors = new ErrorList();
  let id = 0;
  const sources = opts.sources ?? [];
  const sink: ExpandSink = { errors, modules: await allModules([...opts.playbooks, ...sources.map((s) => s.path)]), roleHandlers: new Map(), nextId: () => ++id };
  const plays: PlannedPlay[] = [];
  const none: Imported = { tags: [], vars: {}, when: [], stack: [] };
  for (const pb of opts.playbooks) {
    const file = errors.guard(() => readYamlFile(pb));
    // A vault-encrypted playbook `fabric check` could not open is listed as not checked, not misread as empty.
    if (file && file.vaulted !== 'shut') planPlaybook(file, opts, sink, none, plays);
  }
  for (const file of sources) planPlaybook(file, opts, sink, none, plays);
  errors.throwIfAny();
  const plan: Plan = { playbooks: opts.playbooks, plays };
  // A vars file left shut (check without a password) defines names nobody can know: no name is undefined then.
  if (unopenedVaults().some((v) => v.whole)) return plan;
  const undefinedErrors = checkUndefinedVariables(plan, opts.inventory, opts.extraVars);
  if (undefinedErrors.length) throw new InputErrors(undefinedErrors);
  return plan;
}

/** The plays of one playbook file into plays, `import_playbook` entries resolved in place (static, as Ansible's). */
function planPlaybook(file: YamlFile, opts: PlanOptions, sink: ExpandSink, imported: Imported, plays: PlannedPlay[]): void {
  const { errors } = sink;
  if (!Array.isArray(file.value)) {
    errors.add(new InputError('a playbook must be a list of plays', file.posAt([])));
    return;
  }
  const schemaErrs = schemaErrors(PLAYBOOK_SCHEMA, file.value, file, [], 'play');
  schemaErrs.forEach((e) => errors.add(e));
  // A play whose shape is wrong would only produce follow-on errors: report the shape first.
  if (schemaErrs.length) return;
  const stack = [...imported.stack, resolve(file.path)];
  (file.value as Record<string, unknown>[]).forEach((raw, i) => {
    if (!('import_playbook' in raw)) {
      const play = errors.guard(() => planPlay(raw, i, file, opts, sink, imported));
      if (play) plays.push(play);
      return;
    }
    errors.guard(() => {
      const at = file.posAt([i, 'import_playbook']);
      const path = resolve(dirname(resolve(file.path)), raw.import_playbook as string);
      if (stack.includes(path)) throw new InputError(`import_playbook '${raw.import_playbook as string}' imports itself (${[...stack, path].map((p) => relative(process.cwd(), p)).join(' -> ')})`, at);
      const child = readYamlFile(path, at);
      if (child.vaulted === 'shut') return;
      const tags = raw.tags === undefined ? [] : Array.isArray(raw.tags) ? (raw.tags as string[]) : [String(raw.tags)];
      const when = raw.when === undefined ? [] : (Array.isArray(raw.when) ? raw.when : [raw.when]).map((c) => compileCondition(c as string, file.posAt([i, 'when'])));
      planPlaybook(child, opts, sink, { tags: [...imported.tags, ...tags], vars: { ...imported.vars, ...((raw.vars as Vars | undefined) ?? {}) }, when: [...imported.when, ...when], stack }, plays);
    });
  });
}
