import type { PlannedPlay, PlannedTask } from '../plan/types.js';
import type { FactRequest } from './host-facts.js';
import type { HostState } from './host-state.js';
import { prepareTask } from './prepare.js';
import type { RunContext } from './run-context.js';

/** Each task's section, in run order, and its place there (where a prefetch starts from). */
const sectionOf = new WeakMap<PlannedTask, { order: PlannedTask[]; index: number }>();

export function registerSection(order: PlannedTask[]): void {
  order.forEach((t, index) => sectionOf.set(t, { order, index }));
}

/**
 * Fetches ahead, in one round trip for host h, the facts the section's tasks from t on declare,
 * prepared exactly as they will run (prepare.ts): at the host's first task, and again once its
 * last task changed nothing. A host already in shape then answers the whole section from that
 * one read; a converging host drops the facts at its first change (merged, a read costs a few
 * programs on the host, so the first task reads ahead even then: measured no slower). Tasks
 * whose facts cannot be known yet (loops, delegation, run_once, a condition or argument that
 * needs a later result, setup facts not gathered yet) read theirs when they run.
 */
export async function prefetchSection(rc: RunContext, play: PlannedPlay, t: PlannedTask, h: HostState): Promise<void> {
  const at = sectionOf.get(t);
  if (!at || !h.prefetchDue || h.hostFacts.size > 0) return;
  h.prefetchDue = false;
  const reqs: FactRequest[] = [];
  for (const next of at.order.slice(at.index)) {
    if (next.module.controllerOnly || !next.module.facts || next.loop !== undefined || next.delegateTo || next.runOnce) continue;
    if (next.needsFacts && !h.facts) continue;
    try {
      const p = prepareTask(rc, play, next, h, rc.varsFor(play, next, h));
      if (p.kind === 'ready') reqs.push(...p.requests);
    } catch {
      // Its arguments need a result not known yet: it reads its facts when it runs.
    }
  }
  try {
    await h.hostFacts.prefetch(reqs);
  } catch {
    // An unreachable host is reported by the task itself.
  }
}
