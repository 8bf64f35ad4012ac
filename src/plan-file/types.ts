import type { FileDiff } from '../modules/types.js';

/** What a plan recorded of one task's run on a host. `unknown`: check mode could not tell (a command). */
export type PlannedStatus = 'changed' | 'ok' | 'skipped' | 'unknown';

export interface PlannedOutcome {
  /** The task's id in the static plan: the same playbooks and inventory give the same ids. */
  id: number;
  task: string;
  file: string;
  line: number;
  status: PlannedStatus;
  /** What would change, masked (shown only; apply re-derives every change from the host). */
  diff?: FileDiff[];
}

/** A saved fact: the data to read it again (null when it held a secret), and its fingerprint. */
export interface PlannedFact {
  /** file/sysctl/exists facts as declared; a module's own read as its script (compared by output). */
  spec: SavedSpec | null;
  becomeUser?: string;
  /** What it is, for messages: `file /etc/frr/frr.conf`. */
  what: string;
  print: string;
  /** The tasks whose decisions it fed: `host: task (file:line)`. */
  usedBy: string[];
}

export type SavedSpec =
  | { kind: 'file'; path: string; opts: Record<string, unknown>; parent?: string }
  | { kind: 'sysctl'; proc: string; file: string }
  | { kind: 'exists'; pattern: string; aheadOnly?: true }
  | { kind: 'script'; script: string };

export interface HostPlan {
  /** Every task that ran on the host in the plan, in run order (a task run twice appears twice). */
  tasks: PlannedOutcome[];
  /** The facts read on this host (its own tasks', and those delegated to it). */
  facts: PlannedFact[];
}

/** The command line a plan was made with: apply runs the same selection with the same variables. */
export interface Invocation {
  playbooks: string[];
  inventory: string;
  limit?: string;
  tags: string[];
  skipTags: string[];
  startAtTask?: string;
  extraVars: string[];
  user?: string;
  privateKey?: string;
  become?: boolean;
  becomeUser?: string;
}

export interface PlanFile {
  fabricPlan: 1;
  createdAt: string;
  /** The directory relative paths in invocation are relative to. */
  cwd: string;
  invocation: Invocation;
  /** Controller inputs: absolute path (a directory's listing ends in '/') to a hash of its content. */
  inputs: Record<string, string>;
  hosts: Record<string, HostPlan>;
}

export const PLAN_VERSION = 1;
