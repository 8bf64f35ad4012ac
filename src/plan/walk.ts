import type { PlanItem, PlannedTask } from './types.js';

/** Visits every task of a plan section, inside blocks too, in order. */
export function forEachTask(items: PlanItem[], fn: (t: PlannedTask) => void): void {
  for (const it of items) {
    if (it.kind === 'task') fn(it);
    else if (it.kind === 'include') forEachTask(it.body, fn);
    else for (const part of [it.block, it.rescue, it.always]) forEachTask(part, fn);
  }
}
