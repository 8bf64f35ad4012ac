import type { ModuleResult } from '../modules/types.js';

export type HostStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

export interface TaskInfo {
  id: number;
  name: string;
  module: string;
  file: string;
  line: number;
  role?: string;
  handler: boolean;
  noLog: boolean;
}

export interface HostResult {
  status: HostStatus;
  result: ModuleResult;
  /** The task failed but `ignore_errors` let the host go on. */
  ignored?: boolean;
  /** Per loop item results when the task loops. */
  items?: { item: unknown; status: HostStatus; result: ModuleResult; /** loop_control.label, rendered: shown instead of the item. */ label?: string }[];
  durationMs: number;
  /** Delegated to another host (`delegate_to`). */
  delegatedTo?: string;
}

export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export type RunEvent =
  | { type: 'play_start'; name: string; hosts: string[]; check: boolean }
  | { type: 'task_start'; task: TaskInfo; hosts: string[] }
  | { type: 'host_result'; task: TaskInfo; host: string; outcome: HostResult }
  /** until/retries: the attempt failed its condition and the task runs again on the host. */
  | { type: 'host_retry'; task: TaskInfo; host: string; attempt: number; left: number }
  | { type: 'task_end'; task: TaskInfo }
  | { type: 'play_end'; name: string }
  /** A failure limit (any_errors_fatal, max_fail_percentage, a whole batch failed) ended the playbook. */
  | { type: 'play_stopped'; name: string; reason: string }
  | { type: 'run_end'; stats: Record<string, HostStats>; exitCode: number; interrupted: boolean };

/** A renderer listens to events; it never decides an outcome. */
export interface Reporter {
  onEvent(e: RunEvent): void;
  /** Flushes output (listr2 finishes its live view here). */
  close(): Promise<void>;
}
