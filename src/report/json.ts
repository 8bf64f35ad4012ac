import type { FileDiff, ModuleResult } from '../modules/types.js';
import type { HostResult, HostStats, HostStatus, Reporter, RunEvent, TaskInfo } from '../run/events.js';
import { NO_LOG, taskLabel } from './format.js';
import { flushStream } from './plain.js';

export interface JsonItem {
  item: unknown;
  status: HostStatus;
  changed: boolean;
  failed: boolean;
  skipped: boolean;
  msg: string | null;
  rc: number | null;
  stdout: string | null;
  stderr: string | null;
  diff: FileDiff[] | null;
}

export interface JsonHostResult extends Omit<JsonItem, 'item'> {
  items: JsonItem[] | null;
  ignored: boolean;
  durationMs: number;
  delegatedTo: string | null;
}

export interface JsonTask {
  name: string;
  module: string;
  role: string | null;
  file: string;
  line: number;
  hosts: Record<string, JsonHostResult>;
}

export interface JsonPlay {
  name: string;
  hosts: string[];
  tasks: JsonTask[];
  /** Why a failure limit ended the playbook in this play (any_errors_fatal, max_fail_percentage, a failed batch). */
  stopped?: string;
}

/** A task that changed (or, in check mode, would change) hosts: what --detailed-exitcode's 6 is about. */
export interface JsonChange {
  task: string;
  file: string;
  line: number;
  hosts: string[];
}

export interface JsonReport {
  plays: JsonPlay[];
  /** Every task that changed something, in the order they ran, with the hosts it changed. */
  changes: JsonChange[];
  stats: Record<string, HostStats>;
  exitCode: number | null;
  interrupted: boolean;
}

function strOrNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** A result's fields; a no_log task keeps its status and nothing else. */
function resultFields(status: HostStatus, r: ModuleResult | undefined, noLog: boolean): Omit<JsonItem, 'item'> {
  const res = r ?? { changed: false };
  return {
    status,
    changed: res.changed === true,
    failed: status === 'failed' || status === 'unreachable' || res.failed === true,
    skipped: status === 'skipped' || res.skipped === true,
    msg: noLog ? NO_LOG : strOrNull(res.msg),
    rc: noLog || typeof res.rc !== 'number' ? null : res.rc,
    stdout: noLog ? null : strOrNull(res.stdout),
    stderr: noLog ? null : strOrNull(res.stderr),
    diff: noLog || !Array.isArray(res.diff) ? null : res.diff,
  };
}

export function jsonHostResult(task: TaskInfo, o: HostResult): JsonHostResult {
  const items = Array.isArray(o.items)
    ? o.items.map((it) => ({ item: task.noLog ? NO_LOG : it.item, ...resultFields(it.status, it.result, task.noLog) }))
    : null;
  return {
    ...resultFields(o.status, o.result, task.noLog),
    items,
    ignored: o.ignored === true,
    durationMs: o.durationMs,
    delegatedTo: o.delegatedTo ?? null,
  };
}

/** Collects the run and prints one JSON document at close, for scripts (`--json`). */
export class JsonReporter implements Reporter {
  private readonly report: JsonReport = { plays: [], changes: [], stats: {}, exitCode: null, interrupted: false };
  private readonly changeOf = new Map<TaskInfo, JsonChange>();
  private readonly tasks = new Map<number, JsonTask>();
  private play?: JsonPlay;
  private closed = false;

  constructor(private readonly out: NodeJS.WritableStream) {}

  onEvent(e: RunEvent): void {
    switch (e.type) {
      case 'play_start':
        this.play = { name: e.name, hosts: [...e.hosts], tasks: [] };
        this.report.plays.push(this.play);
        this.tasks.clear();
        break;
      case 'task_start':
        // A new entry per start: a handler flushed twice is two runs with their own results.
        this.tasks.delete(e.task.id);
        this.taskEntry(e.task);
        break;
      case 'host_result':
        this.taskEntry(e.task).hosts[e.host] = jsonHostResult(e.task, e.outcome);
        if (e.outcome.status === 'changed' || e.outcome.items?.some((i) => i.status === 'changed')) this.noteChange(e.task, e.host);
        break;
      case 'run_end':
        this.report.stats = e.stats;
        this.report.exitCode = e.exitCode;
        this.report.interrupted = e.interrupted;
        break;
      case 'play_stopped':
        if (this.play) this.play.stopped = e.reason;
        break;
      case 'task_end':
      case 'play_end':
        break;
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.out.write(JSON.stringify(this.report, null, 2) + '\n');
    return flushStream(this.out);
  }

  private noteChange(task: TaskInfo, host: string): void {
    let c = this.changeOf.get(task);
    if (!c) {
      c = { task: taskLabel(task), file: task.file, line: task.line, hosts: [] };
      this.changeOf.set(task, c);
      this.report.changes.push(c);
    }
    c.hosts.push(host);
  }

  private taskEntry(task: TaskInfo): JsonTask {
    let entry = this.tasks.get(task.id);
    if (entry) return entry;
    if (!this.play) {
      // Results without a play_start still belong somewhere: an unnamed play.
      this.play = { name: '', hosts: [], tasks: [] };
      this.report.plays.push(this.play);
    }
    entry = { name: task.name, module: task.module, role: task.role ?? null, file: task.file, line: task.line, hosts: {} };
    this.tasks.set(task.id, entry);
    this.play.tasks.push(entry);
    return entry;
  }
}
