import type { FactSpec } from '../modules/lib/facts.js';
import type { FileDiff } from '../modules/types.js';
import type { HostResult, Reporter, TaskInfo } from '../run/events.js';
import { keyOf, type FactRead } from '../run/host-facts.js';
import { SKIP_CHECK } from '../run/prepare.js';
import type { PlanHooks } from '../run/run-context.js';
import { taskLabel } from '../report/format.js';
import { holdsSecret, maskDeep } from '../vars/secrets.js';
import type { HostPlan, PlannedFact, PlannedStatus, SavedSpec } from './types.js';

/** What a fact is, for a refusal: `file /etc/hosts`. */
export function describeFact(spec: FactSpec | SavedSpec, module: string): string {
  switch (spec.kind) {
    case 'file':
      return `file ${spec.path}`;
    case 'sysctl':
      return `sysctl ${spec.proc.replace(/^\/proc\/sys\//, '').replace(/\//g, '.')}`;
    case 'exists':
      return `path ${spec.pattern}`;
    case 'script':
      return `${module}'s read of the host`;
  }
}

/** The fact as data to read again; null when it holds a secret (a plan never carries one). */
function savedSpec(spec: FactSpec): SavedSpec | null {
  const saved: SavedSpec =
    spec.kind === 'script'
      ? { kind: 'script', script: spec.script }
      : spec.kind === 'file'
        ? { kind: 'file', path: spec.path, opts: { ...spec.opts }, ...(spec.parent !== undefined ? { parent: spec.parent } : {}) }
        : { ...spec };
  return holdsSecret(saved) ? null : saved;
}

/** How the plan calls an outcome: a check-mode skip of a command, or a failure let pass, is unknown. */
export function plannedStatus(o: HostResult): PlannedStatus | 'failed' {
  const checkSkipped = (r: { msg?: unknown }) => r.msg === SKIP_CHECK;
  if (o.status === 'unreachable' || (o.status === 'failed' && !o.ignored)) return 'failed';
  if (o.status === 'failed' || checkSkipped(o.result) || o.items?.some((i) => i.status === 'skipped' && checkSkipped(i.result))) return 'unknown';
  if (o.status === 'changed' || o.items?.some((i) => i.status === 'changed')) return 'changed';
  return o.status === 'skipped' ? 'skipped' : 'ok';
}

/** Records a check run (with diffs) as a plan: each task's outcome per host, and the facts each decision was made on. */
export class PlanRecorder {
  readonly hosts = new Map<string, HostPlan>();
  private readonly facts = new Map<string, Map<string, PlannedFact>>();
  failed = 0;

  readonly hooks: PlanHooks = {
    factsSeen: (task, host, reader, reads) => this.seen(task, host, reader, reads),
  };

  private host(name: string): HostPlan {
    let h = this.hosts.get(name);
    if (!h) this.hosts.set(name, (h = { tasks: [], facts: [] }));
    return h;
  }

  private seen(task: TaskInfo, host: string, reader: string, reads: FactRead[]): void {
    const byKey = this.facts.get(reader) ?? new Map<string, PlannedFact>();
    this.facts.set(reader, byKey);
    const user = `${host}: ${taskLabel(task)} (${task.file}:${task.line})`;
    for (const { req, print } of reads) {
      // The first read is the state before the plan: a later one differs only after a check_mode: false change.
      let f = byKey.get(keyOf(req));
      if (!f) {
        const spec = savedSpec(req.spec);
        f = { spec, ...(req.runAs ? { becomeUser: req.runAs.key } : {}), what: spec ? describeFact(spec, task.module) : `${task.module}'s read (holds a secret: not saved)`, print, usedBy: [] };
        byKey.set(keyOf(req), f);
        this.host(reader).facts.push(f);
      }
      if (!f.usedBy.includes(user)) f.usedBy.push(user);
    }
  }

  /** The reporter the check run reports to: inner still shows it. */
  reporter(inner: Reporter): Reporter {
    return {
      onEvent: (e) => {
        if (e.type === 'host_result') {
          const status = plannedStatus(e.outcome);
          if (status === 'failed') this.failed++;
          else {
            const diff = diffsOf(e.outcome);
            this.host(e.host).tasks.push({ id: e.task.id, task: taskLabel(e.task), file: e.task.file, line: e.task.line, status, ...(diff.length && status === 'changed' && !e.task.noLog ? { diff: maskDeep(diff) } : {}) });
          }
        }
        inner.onEvent(e);
      },
      close: () => inner.close(),
    };
  }
}

function diffsOf(o: HostResult): FileDiff[] {
  const out: FileDiff[] = [...(o.result.diff ?? [])];
  for (const i of o.items ?? []) if (i.status === 'changed') out.push(...(i.result.diff ?? []));
  return out;
}
