import type { HostResult, TaskInfo } from '../run/events.js';
import type { PlanHooks } from '../run/run-context.js';
import { taskLabel } from '../report/format.js';
import type { PlanFile, PlannedOutcome } from './types.js';

/**
 * Holds a real run to a saved plan, task by task on each host (fabric apply):
 * - a task the plan says changes it runs for real;
 * - a task the plan says is ok or skipped runs in check mode: it needs no change, and if it now
 *   would change the host fails there, before that change, naming the task (the plan is stale);
 * - a task check mode could not judge (a command: unknown) runs for real, whatever it does;
 * - a task the plan never saw on the host (a handler only a command notified) is held like an ok
 *   one, unless an unknown task ran on that host before it.
 */
export class PlanGuard {
  private readonly byHost = new Map<string, Map<number, PlannedOutcome[]>>();
  private readonly judged = new Map<string, number>();
  private readonly unknownSeen = new Set<string>();
  /** Planned changes the host needed no more (already in place), said after the run. */
  readonly notes: string[] = [];
  /** Hosts the guard failed: their task would change what the plan said it would not. */
  readonly departures: string[] = [];

  constructor(plan: PlanFile) {
    for (const [host, hp] of Object.entries(plan.hosts)) {
      const byId = new Map<number, PlannedOutcome[]>();
      for (const t of hp.tasks) byId.set(t.id, [...(byId.get(t.id) ?? []), t]);
      this.byHost.set(host, byId);
    }
  }

  get hooks(): Pick<PlanHooks, 'checkOnly' | 'judge'> {
    return { checkOnly: (t, h) => this.checkOnly(t, h), judge: (t, h, o) => this.judge(t, h, o) };
  }

  /** The plan's outcome for the next run of task on host (a task inside an include loop runs more than once). */
  private next(task: TaskInfo, host: string): PlannedOutcome | undefined {
    const n = this.judged.get(`${task.id}\0${host}`) ?? 0;
    return this.byHost.get(host)?.get(task.id)?.[n];
  }

  checkOnly(task: TaskInfo, host: string): boolean {
    const p = this.next(task, host);
    if (!p) return !this.unknownSeen.has(host);
    return p.status === 'ok' || p.status === 'skipped';
  }

  judge(task: TaskInfo, host: string, o: HostResult): HostResult {
    const p = this.next(task, host);
    const held = this.checkOnly(task, host);
    const key = `${task.id}\0${host}`;
    this.judged.set(key, (this.judged.get(key) ?? 0) + 1);
    if (p?.status === 'unknown') this.unknownSeen.add(host);
    const changed = o.status === 'changed' || !!o.items?.some((i) => i.status === 'changed');
    const where = `${taskLabel(task)} (${task.file}:${task.line})`;
    if (held && changed) {
      const said = p ? `the plan says it changes nothing on ${host}` : `the plan never ran it on ${host}`;
      const msg = `not in the plan: ${said}, but now it would change it (the host changed since the plan); this task changed nothing. Run fabric plan again`;
      this.departures.push(`${host}: ${where}`);
      // Check mode made no change: failing the host here stops it before any later task.
      return { ...o, status: 'failed', result: { ...o.result, changed: false, failed: true, msg }, items: o.items?.map((i) => (i.status === 'changed' ? { ...i, status: 'failed' } : i)), ignored: false };
    }
    if (p?.status === 'changed' && !changed && (o.status === 'ok' || o.status === 'skipped')) this.notes.push(`${host}: ${where}: the planned change was already in place`);
    return o;
  }
}
