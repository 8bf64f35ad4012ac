import type { SourcePos } from '../errors.js';
import type { ModuleDef, StaticContext, Vars } from '../modules/types.js';
import type { LoopControl } from './loop-control.js';
import type { ArgsSite } from './task-args.js';
import type { TaskInfo } from '../run/events.js';
import type { Condition } from '../vars/conditions.js';

export interface RoleRef {
  name: string;
  dir: string;
  defaults: Vars;
  vars: Vars;
}

/** One task after static expansion: inherited keywords resolved, module loaded, args validated. */
export interface PlannedTask {
  kind: 'task';
  info: TaskInfo;
  pos: SourcePos;
  module: ModuleDef<any>;
  /** Raw arguments (templates rendered per host at run time). */
  args: Record<string, unknown>;
  /** True when some argument holds a template: validated again after rendering. */
  argsTemplated: boolean;
  /** Where the arguments are written (argument errors point there). */
  argsSite: ArgsSite;
  /** The task's file search path and template check, shared by check and the run. */
  statics: StaticContext;
  when: Condition[];
  loop?: unknown;
  loopControl: LoopControl;
  /** Loop variables of the include_tasks/include_role loops around the task. */
  outerLoopVars: string[];
  register?: string;
  notify: string[];
  /** Handler names this task answers to (name + listen); handlers only. */
  listen: string[];
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  changedWhen?: Condition[];
  failedWhen?: Condition[];
  /**
   * until/retries/delay: the task runs again until `until` holds (without it, until it does not
   * fail), at most `attempts` times, `delayMs` apart.
   */
  retry?: { until?: Condition[]; attempts: number; delayMs: number };
  ignoreErrors: boolean;
  /** An unreachable host is counted ok and ignored, and goes on to the next task (which connects again). */
  ignoreUnreachable: boolean;
  /** At most this many hosts run the task at once (below --forks). */
  throttle?: number;
  /** A failure here (not rescued) stops the play on every host (any_errors_fatal). */
  anyErrorsFatal: boolean;
  /** Exported to the module's commands (values templated per host). */
  environment: Vars;
  /** Seconds each attempt may take on the host (else --task-timeout). */
  timeout?: number;
  checkMode?: boolean;
  delegateTo?: string;
  runOnce: boolean;
  noLog: boolean;
  /** Block, include and task vars, merged (task wins). */
  vars: Vars;
  role?: RoleRef;
  /** Root variable names the task reads: its templates (template files too) and conditions. */
  reads: string[];
  /** It reads `facts`, directly or through variables defined as templates: gather them before this task. */
  needsFacts: boolean;
}

export interface PlannedBlock {
  kind: 'block';
  name?: string;
  pos: SourcePos;
  block: PlanItem[];
  rescue: PlanItem[];
  always: PlanItem[];
}

/** include_tasks / include_role with a loop: the included tasks run once per item (checked once, statically). */
export interface PlannedInclude {
  kind: 'include';
  name: string;
  pos: SourcePos;
  loop: unknown;
  loopControl: LoopControl;
  body: PlanItem[];
}

export type PlanItem = PlannedTask | PlannedBlock | PlannedInclude;

export interface PlannedPlay {
  name: string;
  pos: SourcePos;
  pattern: string;
  hosts: string[];
  vars: Vars;
  gatherFacts: boolean;
  /** Batch sizes (a count or 'N%'), the last one repeating; undefined: every host in one batch. */
  serial?: (number | string)[];
  /** Stop the play once more than this percentage of a batch failed. */
  maxFailPercentage?: number;
  become?: boolean;
  becomeUser?: string;
  /** Handlers run on failed hosts too (force_handlers). */
  forceHandlers: boolean;
  /** pre_tasks, roles + tasks, post_tasks: handlers are flushed after each section. */
  sections: PlanItem[][];
  handlers: PlannedTask[];
  tags: string[];
}

export interface Plan {
  playbooks: string[];
  plays: PlannedPlay[];
}
