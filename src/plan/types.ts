import type { SourcePos } from '../errors.js';
import type { ModuleDef, Vars } from '../modules/types.js';
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
  /** True when some argument holds a template: re-validated after rendering. */
  argsTemplated: boolean;
  when: Condition[];
  loop?: unknown;
  loopVar: string;
  register?: string;
  notify: string[];
  /** Handler names this task answers to (name + listen); handlers only. */
  listen: string[];
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  changedWhen?: Condition[];
  failedWhen?: Condition[];
  ignoreErrors: boolean;
  checkMode?: boolean;
  delegateTo?: string;
  runOnce: boolean;
  noLog: boolean;
  /** Block, include and task vars, merged (task wins). */
  vars: Vars;
  role?: RoleRef;
  /** Where files/ and templates/ are looked up: the role dir, else the playbook dir. */
  baseDir: string;
  /** Templates or conditions mention `facts`: gather them before this task. */
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

export type PlanItem = PlannedTask | PlannedBlock;

export interface PlannedPlay {
  name: string;
  pos: SourcePos;
  pattern: string;
  hosts: string[];
  vars: Vars;
  gatherFacts: boolean;
  serial?: number | string;
  become?: boolean;
  becomeUser?: string;
  /** pre_tasks, roles + tasks, post_tasks: handlers are flushed after each section. */
  sections: PlanItem[][];
  handlers: PlannedTask[];
  tags: string[];
}

export interface Plan {
  playbooks: string[];
  plays: PlannedPlay[];
}
