import { InputError } from '../errors.js';
import type { FactSpec, FactSpecs } from '../modules/lib/facts.js';
import type { FactEnv, ModuleDef, ModuleResult, Vars } from '../modules/types.js';
import type { PlannedPlay, PlannedTask } from '../plan/types.js';
import { argErrors } from '../plan/task-args.js';
import { evaluateAll } from '../vars/conditions.js';
import { str } from '../vars/py.js';
import { isTemplated, renderDeep } from '../vars/template.js';
import type { FactRequest } from './host-facts.js';
import type { HostState } from './host-state.js';
import { factsRunAs, type Become } from './module-context.js';
import type { RunContext } from './run-context.js';

/** A failure that is the task's, not the host's: reported as failed with this message. */
export class TaskError extends Error {}

/** A task ready to run on one host: everything decided but what the module does with its facts. */
export interface ReadyTask {
  kind: 'ready';
  args: Record<string, unknown>;
  check: boolean;
  /** The host the module reaches (delegate_to), whose facts it reads. */
  delegate: HostState;
  become?: Become;
  /** environment, rendered: exported to every command the module sends. */
  environment: Record<string, string>;
  /** The attempt's time limit on the host (timeout, or --task-timeout), ms. */
  timeoutMs?: number;
  /** The module's declared facts, by name, as requests to the delegate's facts. */
  factNames: string[];
  requests: FactRequest[];
}

export type PreparedTask = ReadyTask | { kind: 'skip'; result: ModuleResult };

/** Why check mode skipped a task: it cannot know what the task would do (a plan calls it unknown). */
export const SKIP_CHECK =
  'skipped in check mode: a command could change the host (add changed_when: false or check_mode: false for a read-only probe)';

/**
 * The one preparation of a task for a host, used to run it and to fetch its facts ahead: its
 * conditions, check mode, arguments rendered and checked again (the same checks as `fabric
 * check`, now on the rendered values), the host it reaches and the facts its module declares.
 */
export function prepareTask(rc: RunContext, play: PlannedPlay, t: PlannedTask, h: HostState, vars: Vars): PreparedTask {
  try {
    if (t.when.length && !evaluateAll(t.when, vars)) return { kind: 'skip', result: { changed: false, skipped: true, msg: 'conditional result was false' } };
  } catch (e) {
    throw new TaskError(`${t.pos.file}:${t.pos.line}: ${(e as Error).message}`);
  }
  const check = checkFor(rc, t, h);
  if (check === 'skip') return { kind: 'skip', result: { changed: false, skipped: true, msg: SKIP_CHECK } };
  const args = renderArgs(t, vars);
  const delegate = t.delegateTo ? rc.host(String(renderDeep(t.delegateTo, vars, t.pos))) : h;
  const wantsBecome = t.become ?? play.become ?? Boolean(vars.fabric_become);
  const becomeUser = t.becomeUser ?? play.becomeUser ?? (vars.fabric_become_user as string | undefined) ?? 'root';
  const become = wantsBecome ? { user: becomeUser, password: rc.opts.becomePassword } : undefined;
  const environment = renderEnvironment(t, vars);
  const timeoutS = t.timeout ?? rc.opts.taskTimeout;
  const timeoutMs = timeoutS ? timeoutS * 1000 : undefined;
  return { kind: 'ready', args, check, delegate, become, environment, timeoutMs, ...declaredFacts(t.module, args, { check, diff: rc.opts.diff }, factsRunAs(become, delegate.target.user)) };
}

/** What a module's facts() declares for these arguments, as requests (read as runAs). */
export function declaredFacts(def: ModuleDef<any, any>, args: Record<string, unknown>, env: FactEnv, runAs: FactRequest['runAs']): Pick<ReadyTask, 'factNames' | 'requests'> {
  const declared = Object.entries((def.facts?.(args, env) ?? {}) as FactSpecs).filter((e): e is [string, FactSpec] => e[1] !== undefined);
  return { factNames: declared.map(([k]) => k), requests: declared.map(([, spec]) => ({ spec, runAs })) };
}

/** Check mode for a task: a command that could change the host is skipped ('skip') unless it is a read-only probe. */
function checkFor(rc: RunContext, t: PlannedTask, h: HostState): boolean | 'skip' {
  const readOnlyProbe = t.changedWhen?.length === 1 && t.changedWhen[0]!.source === 'false';
  // fabric apply: a task the plan says changes nothing on h only checks that it still would not.
  const check = t.checkMode ?? (rc.opts.check || !!rc.opts.plan?.checkOnly?.(t.info, h.name));
  if (check && t.module.arbitraryCommand) return readOnlyProbe ? false : 'skip';
  return check;
}

/** environment rendered for this host: every value must come out a string, number or boolean. */
function renderEnvironment(t: PlannedTask, vars: Vars): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(t.environment)) {
    let value: unknown;
    try {
      value = renderDeep(v, vars, t.pos);
    } catch (e) {
      throw new TaskError(e instanceof InputError ? e.located : (e as Error).message);
    }
    if (!['string', 'number', 'boolean'].includes(typeof value)) throw new TaskError(`${t.pos.file}:${t.pos.line}: environment ${k} must be a string, number or boolean, got ${value === null ? 'null' : typeof value}`);
    out[k] = String(value);
  }
  return out;
}

/**
 * A template that made a number or boolean for an argument whose schema says text becomes text,
 * written as Python writes it (`content: "{{ flag }}"` writes True), as Ansible's argument
 * conversion does; a literal of the wrong type is still refused.
 */
function textWhereText(t: PlannedTask, args: Record<string, unknown>): void {
  const props = (t.module.schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  for (const [k, v] of Object.entries(args)) {
    const raw = t.args[k];
    if (props[k]?.type === 'string' && (typeof v === 'number' || typeof v === 'boolean') && typeof raw === 'string' && isTemplated(raw)) args[k] = str(v);
  }
}

/** The task's arguments rendered with vars; when templates made them, checked again as `check` checks them. */
function renderArgs(t: PlannedTask, vars: Vars): Record<string, unknown> {
  let args: Record<string, unknown>;
  try {
    args = renderDeep(t.args, vars, t.pos) as Record<string, unknown>;
  } catch (e) {
    throw new TaskError(e instanceof InputError ? e.located : (e as Error).message);
  }
  if (t.argsTemplated) {
    textWhereText(t, args);
    const errs = argErrors(t.module, args, t.argsSite, t.statics, true);
    if (errs.length) throw new TaskError(errs.map((e) => e.located).join('; '));
  }
  return args;
}
