import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ErrorList, InputError, type SourcePos } from '../errors.js';
import { didYouMean, schemaErrors } from '../load/schema.js';
import { displayPath, readYamlFile, type YamlFile } from '../load/yaml.js';
import { canonicalModuleName, moduleNames } from '../modules/index.js';
import type { ModuleDef, StaticContext, Vars } from '../modules/types.js';
import { compileCondition, type Condition } from '../vars/conditions.js';
import { checkTemplate, isTemplated } from '../vars/template.js';
import { loadRole, type LoadedRole } from './roles.js';
import { TASK_KEYWORDS, TASK_KEYWORD_NAMES } from './schema.js';
import type { PlanItem, PlannedTask, RoleRef } from './types.js';

/** What a task inherits from its play, role, block or include. */
export interface Scope {
  file: YamlFile;
  path: (string | number)[];
  /** Directory import_tasks paths are relative to. */
  dir: string;
  /** Where files/ and templates/ are looked up. */
  baseDir: string;
  playbookDir: string;
  role?: RoleRef;
  tags: string[];
  when: Condition[];
  vars: Vars;
  become?: boolean;
  becomeUser?: string;
  noLog?: boolean;
  ignoreErrors?: boolean;
  checkMode?: boolean;
  delegateTo?: string;
  runOnce?: boolean;
  handler: boolean;
  includeStack: string[];
}

/** Collects what expansion finds beyond the task list itself. */
export interface ExpandSink {
  errors: ErrorList;
  modules: Map<string, ModuleDef<any>>;
  /** Role handlers to append to the play's handlers (by role dir, once). */
  roleHandlers: Map<string, { role: LoadedRole; scope: Scope }>;
  nextId(): number;
}

const TEMPLATE_KEYWORDS = ['name', 'loop', 'delegate_to', 'become_user'];

function asList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

function conditions(v: unknown, pos: SourcePos): Condition[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map((c) => compileCondition(c as string, pos));
}

/** Ansible's `key=value key2="v 2"` argument form, for modules without a free-form argument. */
function parseKeyValueArgs(s: string, pos: SourcePos): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)=("((?:[^"\\]|\\.)*)"|'([^']*)'|(\S*))/y;
  let i = 0;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) {
      if (!s.slice(i).trim()) break;
      throw new InputError(`cannot read module arguments '${s}': expected key=value pairs`, pos);
    }
    out[m[1]!] = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4] ?? m[5] ?? '';
    i = re.lastIndex;
  }
  return out;
}

function walkStrings(v: unknown, path: (string | number)[], fn: (s: string, path: (string | number)[]) => void): void {
  if (typeof v === 'string') fn(v, path);
  else if (Array.isArray(v)) v.forEach((x, i) => walkStrings(x, [...path, i], fn));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walkStrings(x, [...path, k], fn);
}

function staticContext(baseDir: string, playbookDir: string, pos: SourcePos): StaticContext {
  return {
    resolveFile(kind, src) {
      const candidates = src.startsWith('/') ? [src] : [join(baseDir, kind, src), join(playbookDir, kind, src), resolve(baseDir, src)];
      const found = candidates.find((c) => existsSync(c));
      if (!found) throw new InputError(`${kind === 'templates' ? 'template' : 'file'} '${src}' not found (looked in ${candidates.map(displayPath).join(', ')})`, pos);
      return found;
    },
    checkTemplate: (text, where) => checkTemplate(text, { file: where, line: 1, col: 1 }),
  };
}

export function expandTaskList(list: unknown, scope: Scope, sink: ExpandSink): PlanItem[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) {
    sink.errors.add(new InputError('expected a list of tasks', scope.file.posAt(scope.path)));
    return [];
  }
  const items: PlanItem[] = [];
  list.forEach((raw, i) => {
    const path = [...scope.path, i];
    const pos = scope.file.posAt(path);
    sink.errors.guard(() => {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError('a task must be a mapping', pos);
      items.push(...expandOne(raw as Record<string, unknown>, { ...scope, path }, pos, sink));
    });
  });
  return items;
}

/** Keywords every task, block and include may carry, layered onto the inherited scope. */
function inherit(scope: Scope, raw: Record<string, unknown>): Scope {
  return {
    ...scope,
    tags: [...new Set([...scope.tags, ...asList(raw.tags)])],
    when: [...scope.when, ...conditions(raw.when, scope.file.posAt([...scope.path, 'when']))],
    vars: raw.vars ? { ...scope.vars, ...(raw.vars as Vars) } : scope.vars,
    become: (raw.become as boolean | undefined) ?? scope.become,
    becomeUser: (raw.become_user as string | undefined) ?? scope.becomeUser,
    noLog: (raw.no_log as boolean | undefined) ?? scope.noLog,
    ignoreErrors: (raw.ignore_errors as boolean | undefined) ?? scope.ignoreErrors,
    checkMode: (raw.check_mode as boolean | undefined) ?? scope.checkMode,
    delegateTo: (raw.delegate_to as string | undefined) ?? scope.delegateTo,
    runOnce: (raw.run_once as boolean | undefined) ?? scope.runOnce,
  };
}

/** One schema object for every task: ajv compiles once per schema object (tens of ms each). */
export const KEYWORDS_SCHEMA = { type: 'object', additionalProperties: false, properties: TASK_KEYWORDS };

function checkKeywords(raw: Record<string, unknown>, scope: Scope, extra: string[], what: string): void {
  const rest = { ...raw };
  for (const k of extra) delete rest[k]; // the module key: checked by the module's own schema
  const errs = schemaErrors(KEYWORDS_SCHEMA, rest, scope.file, scope.path, what);
  if (errs.length) throw new InputError(errs[0]!.message, errs[0]!.pos, errs[0]!.hint);
}

function expandOne(raw: Record<string, unknown>, scope: Scope, pos: SourcePos, sink: ExpandSink): PlanItem[] {
  if ('block' in raw) {
    if (scope.handler) throw new InputError('blocks are not supported in handlers', pos);
    checkKeywords(raw, scope, [], 'block');
    const inner = inherit(scope, raw);
    const sub = (key: string) => expandTaskList(raw[key], { ...inner, path: [...scope.path, key] }, sink);
    return [{ kind: 'block', name: raw.name as string | undefined, pos, block: sub('block'), rescue: sub('rescue'), always: sub('always') }];
  }
  const include = (raw.import_tasks ?? raw.include_tasks) as string | undefined;
  if (include !== undefined) {
    checkKeywords(raw, scope, [], 'include');
    const file = resolve(scope.dir, include);
    if (scope.includeStack.includes(file)) {
      throw new InputError(`circular include: ${[...scope.includeStack, file].map(displayPath).join(' -> ')}`, pos);
    }
    if (!existsSync(file)) throw new InputError(`included file '${include}' not found (${displayPath(file)})`, pos);
    const yf = readYamlFile(file, pos);
    const inner = inherit(scope, raw);
    return expandTaskList(yf.value, { ...inner, file: yf, path: [], dir: dirname(file), includeStack: [...scope.includeStack, file] }, sink);
  }
  const roleRef = (raw.include_role ?? raw.import_role) as { name: string; tasks_from?: string } | undefined;
  if (roleRef !== undefined) {
    checkKeywords(raw, scope, [], 'include_role');
    const role = loadRole(roleRef.name, scope.playbookDir, pos, roleRef.tasks_from);
    return expandRole(role, inherit(scope, raw), sink, pos);
  }
  return [planTask(raw, scope, pos, sink)];
}

/** A role's tasks with the role's scope; its handlers join the play's once. */
export function expandRole(role: LoadedRole, scope: Scope, sink: ExpandSink, pos: SourcePos): PlanItem[] {
  if (scope.includeStack.includes(role.dir)) throw new InputError(`role '${role.name}' includes itself`, pos);
  const roleScope: Scope = {
    ...scope,
    role,
    baseDir: role.dir,
    dir: join(role.dir, 'tasks'),
    includeStack: [...scope.includeStack, role.dir],
  };
  if (role.handlers && !sink.roleHandlers.has(role.dir)) {
    sink.roleHandlers.set(role.dir, { role, scope: { ...roleScope, file: role.handlers, path: [], handler: true, tags: [], when: [] } });
  }
  if (!role.tasks) return [];
  return expandTaskList(role.tasks.value, { ...roleScope, file: role.tasks, path: [] }, sink);
}

function planTask(raw: Record<string, unknown>, scope: Scope, pos: SourcePos, sink: ExpandSink): PlannedTask {
  const extra = Object.keys(raw).filter((k) => !TASK_KEYWORD_NAMES.has(k));
  if (extra.length === 0) throw new InputError('task has no module (expected one of the modules as a key, e.g. `command:`)', pos);
  const unknown = extra.filter((k) => !canonicalModuleName(k));
  if (unknown.length || extra.length > 1) {
    const k = unknown[0] ?? extra[1]!;
    const guess = didYouMean(k, [...moduleNames(), ...TASK_KEYWORD_NAMES]);
    throw new InputError(
      unknown.length ? `unknown module or task keyword '${k}'` : `task has more than one module: ${extra.join(', ')}`,
      scope.file.keyPosAt([...scope.path, k]),
      guess ? `did you mean '${guess}'?` : undefined,
    );
  }
  const key = extra[0]!;
  const moduleName = canonicalModuleName(key)!;
  const def = sink.modules.get(moduleName);
  if (!def) throw new Error(`module ${moduleName} was not preloaded`);
  checkKeywords(raw, scope, [key], 'task');
  const argsPath = [...scope.path, key];
  const argsPos = scope.file.posAt(argsPath);
  let args = raw[key];
  if (args === null || args === undefined) args = {};
  else if (typeof args === 'string') args = def.freeForm ? { [def.freeForm]: args } : parseKeyValueArgs(args, argsPos);
  else if (typeof args !== 'object' || Array.isArray(args)) throw new InputError(`arguments of '${moduleName}' must be a mapping`, argsPos);
  const argObj = args as Record<string, unknown>;

  // Module arguments: schema (templated values are judged after rendering), then the module's own checks.
  const argErrs = schemaErrors(def.schema, argObj, scope.file, typeof raw[key] === 'object' ? argsPath : [], moduleName, (v) => typeof v === 'string' && isTemplated(v));
  if (argErrs.length) {
    for (const e of argErrs.slice(1)) sink.errors.add(e);
    throw argErrs[0]!;
  }
  let templated = false;
  walkStrings(argObj, [], (s, p) => {
    if (!isTemplated(s)) return;
    templated = true;
    checkTemplate(s, typeof raw[key] === 'object' ? scope.file.posAt([...argsPath, ...p]) : argsPos);
  });
  for (const k of TEMPLATE_KEYWORDS) if (typeof raw[k] === 'string') checkTemplate(raw[k] as string, scope.file.posAt([...scope.path, k]));
  def.validate?.(argObj, staticContext(scope.baseDir, scope.playbookDir, argsPos));

  const inner = inherit(scope, raw);
  const name = (raw.name as string | undefined) ?? moduleName;
  const loopControl = raw.loop_control as { loop_var?: string } | undefined;
  return {
    kind: 'task',
    info: {
      id: sink.nextId(),
      name,
      module: moduleName,
      file: pos.file,
      line: pos.line,
      role: scope.role?.name,
      handler: scope.handler,
      noLog: inner.noLog ?? false,
    },
    pos,
    module: def,
    args: argObj,
    argsTemplated: templated,
    when: inner.when,
    loop: raw.loop,
    loopVar: loopControl?.loop_var ?? 'item',
    register: raw.register as string | undefined,
    notify: asList(raw.notify),
    listen: scope.handler ? [name, ...asList(raw.listen)] : [],
    tags: inner.tags,
    become: inner.become,
    becomeUser: inner.becomeUser,
    changedWhen: raw.changed_when !== undefined ? conditions(raw.changed_when, scope.file.posAt([...scope.path, 'changed_when'])) : undefined,
    failedWhen: raw.failed_when !== undefined ? conditions(raw.failed_when, scope.file.posAt([...scope.path, 'failed_when'])) : undefined,
    ignoreErrors: inner.ignoreErrors ?? false,
    checkMode: inner.checkMode,
    delegateTo: inner.delegateTo,
    runOnce: inner.runOnce ?? false,
    noLog: inner.noLog ?? false,
    vars: inner.vars,
    role: scope.role,
    baseDir: scope.baseDir,
    needsFacts: /\bfacts\b/.test(JSON.stringify(raw)),
  };
}
