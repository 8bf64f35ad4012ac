import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ErrorList, InputError, type SourcePos } from '../errors.js';
import { didYouMean, schemaErrors, type Locator } from '../load/schema.js';
import { displayPath, readYamlFile, type YamlFile } from '../load/yaml.js';
import { canonicalModuleName } from '../modules/index.js';
import type { ModuleDef, Vars } from '../modules/types.js';
import { compileCondition, type Condition } from '../vars/conditions.js';
import { checkTemplate, isTemplated, templateHelperNames } from '../vars/template.js';
import { loadRole, type LoadedRole } from './roles.js';
import { TASK_KEYWORDS, TASK_KEYWORD_NAMES } from './schema.js';
import { argErrors, taskStatics, type ArgsSite } from './task-args.js';
import type { PlanItem, PlannedTask, RoleRef } from './types.js';
import { loopControl, loopNames } from './loop-control.js';
import { templateRootNames } from './undefined-vars.js';

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
  anyErrorsFatal?: boolean;
  ignoreUnreachable?: boolean;
  throttle?: number;
  /** environment of the play, role, blocks and includes around: inner names win. */
  environment: Vars;
  timeout?: number;
  checkMode?: boolean;
  delegateTo?: string;
  runOnce?: boolean;
  /** Handlers a block notifies: every task inside notifies them too (when it changed). */
  notify: string[];
  /** Loop variables of the include loops around this scope. */
  loopVars: string[];
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

/** Ansible's count: `until` alone tries 3 times; `retries: N` tries N + 1 times (0: once). */
function retryAttempts(retries: number | undefined): number {
  return retries === undefined ? 3 : retries + 1;
}

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

/** Free-form arguments (`command: ls /`): every error about them points at the one line. */
function pinned(pos: SourcePos): Locator {
  return { posAt: () => pos, keyPosAt: () => pos };
}

function walkStrings(v: unknown, path: (string | number)[], fn: (s: string, path: (string | number)[]) => void): void {
  if (typeof v === 'string') fn(v, path);
  else if (Array.isArray(v)) v.forEach((x, i) => walkStrings(x, [...path, i], fn));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walkStrings(x, [...path, k], fn);
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
    anyErrorsFatal: (raw.any_errors_fatal as boolean | undefined) ?? scope.anyErrorsFatal,
    ignoreUnreachable: (raw.ignore_unreachable as boolean | undefined) ?? scope.ignoreUnreachable,
    throttle: (raw.throttle as number | undefined) ?? scope.throttle,
    environment: raw.environment ? { ...scope.environment, ...(raw.environment as Vars) } : scope.environment,
    timeout: (raw.timeout as number | undefined) ?? scope.timeout,
    checkMode: (raw.check_mode as boolean | undefined) ?? scope.checkMode,
    delegateTo: (raw.delegate_to as string | undefined) ?? scope.delegateTo,
    runOnce: (raw.run_once as boolean | undefined) ?? scope.runOnce,
    notify: [...scope.notify, ...asList(raw.notify)],
  };
}

/**
 * Keywords Ansible refuses on a block ("not a valid attribute for a Block") or on an import
 * (resolved before the run, so it cannot loop): refused here with their line, never accepted
 * and ignored.
 */
const NOT_ON_BLOCK = ['loop', 'loop_control', 'register', 'changed_when', 'failed_when', 'until', 'retries', 'delay', 'listen', 'args'];
const NOT_ON_INCLUDE = ['register', 'changed_when', 'failed_when', 'until', 'retries', 'delay', 'listen', 'notify', 'args'];

function refuseKeywords(raw: Record<string, unknown>, scope: Scope, keys: string[], what: string, hint: string): void {
  const k = keys.find((x) => x in raw);
  if (k !== undefined) throw new InputError(`'${k}' is not a valid keyword for ${what}`, scope.file.keyPosAt([...scope.path, k]), hint);
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
    refuseKeywords(raw, scope, NOT_ON_BLOCK, 'a block', 'put it on the tasks inside, or loop over include_tasks');
    const inner = inherit(scope, raw);
    const sub = (key: string) => expandTaskList(raw[key], { ...inner, path: [...scope.path, key] }, sink);
    return [{ kind: 'block', name: raw.name as string | undefined, pos, block: sub('block'), rescue: sub('rescue'), always: sub('always') }];
  }
  const include = (raw.import_tasks ?? raw.include_tasks) as string | undefined;
  const dynamic = 'include_tasks' in raw || 'include_role' in raw;
  if (include !== undefined || 'import_role' in raw || 'include_role' in raw) {
    const what = Object.keys(raw).find((k) => ['import_tasks', 'include_tasks', 'import_role', 'include_role'].includes(k))!;
    refuseKeywords(raw, scope, dynamic ? NOT_ON_INCLUDE : [...NOT_ON_INCLUDE, 'loop', 'loop_control'], what, dynamic ? 'put it on the included tasks' : `imports are resolved before the run: use ${what.replace('import', 'include')} to loop`);
    if (raw.loop !== undefined) return [includeLoop(raw, scope, pos, sink, what)];
  }
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

/** An include with a loop: its tasks expanded once (all checked now), run per item by the executor. */
function includeLoop(raw: Record<string, unknown>, scope: Scope, pos: SourcePos, sink: ExpandSink, what: string): PlanItem {
  checkKeywords(raw, scope, [], what);
  const lc = loopControl(raw.loop_control, scope.file.posAt([...scope.path, 'loop_control']), true);
  if (typeof raw.loop === 'string') checkTemplate(raw.loop, scope.file.posAt([...scope.path, 'loop']));
  const { loop: _loop, loop_control: _lc, ...once } = raw;
  const body = expandOne(once, { ...scope, loopVars: [...scope.loopVars, ...loopNames(lc)] }, pos, sink);
  const target = (raw.include_tasks as string | undefined) ?? (raw.include_role as { name: string }).name;
  return { kind: 'include', name: (raw.name as string | undefined) ?? `${what}: ${target}`, pos, loop: raw.loop, loopControl: lc, body };
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
    sink.roleHandlers.set(role.dir, { role, scope: { ...roleScope, file: role.handlers, path: [], handler: true, tags: [], when: [], notify: [] } });
  }
  if (!role.tasks) return [];
  return expandTaskList(role.tasks.value, { ...roleScope, file: role.tasks, path: [] }, sink);
}

function planTask(raw: Record<string, unknown>, scope: Scope, pos: SourcePos, sink: ExpandSink): PlannedTask {
  const extra = Object.keys(raw).filter((k) => !TASK_KEYWORD_NAMES.has(k));
  if (extra.length === 0) throw new InputError('task has no module (expected one of the modules as a key, e.g. `command:`)', pos);
  const unknown = extra.filter((k) => !canonicalModuleName(k, sink.modules));
  if (unknown.length || extra.length > 1) {
    const k = unknown[0] ?? extra[1]!;
    const guess = didYouMean(k, [...sink.modules.keys(), ...TASK_KEYWORD_NAMES]);
    throw new InputError(
      unknown.length ? `unknown module or task keyword '${k}'` : `task has more than one module: ${extra.join(', ')}`,
      scope.file.keyPosAt([...scope.path, k]),
      guess ? `did you mean '${guess}'?` : undefined,
    );
  }
  const key = extra[0]!;
  const moduleName = canonicalModuleName(key, sink.modules)!;
  const def = sink.modules.get(moduleName);
  if (!def) throw new Error(`module ${moduleName} was not preloaded`);
  checkKeywords(raw, scope, [key], 'task');
  const argsPath = [...scope.path, key];
  const argsPos = scope.file.posAt(argsPath);
  let args = raw[key];
  if (args === null || args === undefined) args = {};
  else if (typeof args === 'string') args = def.freeForm ? { [def.freeForm]: args } : parseKeyValueArgs(args, argsPos);
  else if (typeof args !== 'object' || Array.isArray(args)) throw new InputError(`arguments of '${moduleName}' must be a mapping`, argsPos);
  // `args:` gives arguments apart from the module key; the module's own win, as in Ansible.
  const argObj = { ...((raw.args as Record<string, unknown> | undefined) ?? {}), ...(args as Record<string, unknown>) };

  // Module arguments: schema (templated values are judged after rendering), then the module's own checks.
  const structured = typeof raw[key] === 'object';
  const site: ArgsSite = { loc: structured ? scope.file : pinned(argsPos), path: structured ? argsPath : [], pos: argsPos };
  const helpers = new Set(templateHelperNames());
  const reads = new Set<string>();
  const readTemplate = (text: string) => templateRootNames(text, helpers).forEach((n) => reads.add(n));
  const statics = taskStatics(scope.baseDir, scope.playbookDir, argsPos, readTemplate);
  let templated = false;
  walkStrings(argObj, [], (s, p) => {
    if (!isTemplated(s)) return;
    templated = true;
    checkTemplate(s, structured ? scope.file.posAt([...argsPath, ...p]) : argsPos);
    readTemplate(s);
  });
  for (const k of TEMPLATE_KEYWORDS) {
    if (typeof raw[k] !== 'string') continue;
    checkTemplate(raw[k] as string, scope.file.posAt([...scope.path, k]));
    if (isTemplated(raw[k] as string)) readTemplate(raw[k] as string);
  }
  const argErrs = argErrors(def, argObj, site, statics, false);
  if (argErrs.length) {
    for (const e of argErrs.slice(1)) sink.errors.add(e);
    throw argErrs[0]!;
  }

  const inner = inherit(scope, raw);
  const name = (raw.name as string | undefined) ?? moduleName;
  const lc = loopControl(raw.loop_control, scope.file.posAt([...scope.path, 'loop_control']));
  // environment values are templates too (the task's own are placed at their key; inherited ones at the task).
  walkStrings(inner.environment, [], (s, p) => {
    if (!isTemplated(s)) return;
    const own = raw.environment !== undefined && Object.hasOwn(raw.environment as object, String(p[0]));
    checkTemplate(s, own ? scope.file.posAt([...scope.path, 'environment', ...p]) : pos);
    readTemplate(s);
  });
  if (lc.label !== undefined) {
    checkTemplate(lc.label, scope.file.posAt([...scope.path, 'loop_control', 'label']));
    readTemplate(lc.label);
  }
  const changedWhen = raw.changed_when !== undefined ? conditions(raw.changed_when, scope.file.posAt([...scope.path, 'changed_when'])) : undefined;
  const failedWhen = raw.failed_when !== undefined ? conditions(raw.failed_when, scope.file.posAt([...scope.path, 'failed_when'])) : undefined;
  const until = raw.until !== undefined ? conditions(raw.until, scope.file.posAt([...scope.path, 'until'])) : undefined;
  if (raw.delay !== undefined && until === undefined && raw.retries === undefined) {
    throw new InputError("'delay' needs 'until' or 'retries': without them the task runs once", scope.file.keyPosAt([...scope.path, 'delay']));
  }
  for (const c of [...inner.when, ...(changedWhen ?? []), ...(failedWhen ?? []), ...(until ?? [])]) c.names.forEach((n) => reads.add(n));
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
    argsSite: site,
    statics,
    when: inner.when,
    loop: raw.loop,
    loopControl: lc,
    outerLoopVars: scope.loopVars,
    register: raw.register as string | undefined,
    notify: [...new Set(inner.notify)],
    listen: scope.handler ? [name, ...asList(raw.listen)] : [],
    tags: inner.tags,
    become: inner.become,
    becomeUser: inner.becomeUser,
    changedWhen,
    retry: until !== undefined || raw.retries !== undefined ? { until, attempts: retryAttempts(raw.retries as number | undefined), delayMs: ((raw.delay as number | undefined) ?? 5) * 1000 } : undefined,
    failedWhen,
    ignoreErrors: inner.ignoreErrors ?? false,
    anyErrorsFatal: inner.anyErrorsFatal ?? false,
    ignoreUnreachable: inner.ignoreUnreachable ?? false,
    throttle: inner.throttle,
    environment: inner.environment,
    timeout: inner.timeout,
    checkMode: inner.checkMode,
    delegateTo: inner.delegateTo,
    runOnce: inner.runOnce ?? false,
    noLog: inner.noLog ?? false,
    vars: inner.vars,
    role: scope.role,
    reads: [...reads],
    needsFacts: false, // decided once every variable source is known (fact-use.ts)
  };
}
