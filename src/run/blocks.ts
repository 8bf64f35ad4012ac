import type { PlanItem, PlannedInclude, PlannedPlay, PlannedTask } from '../plan/types.js';
import { forEachTask } from '../plan/walk.js';
import { renderDeep } from '../vars/template.js';
import type { HostState } from './host-state.js';
import type { RunContext } from './run-context.js';
import { loopItemVars } from '../plan/loop-control.js';
import { applyMeta } from './meta.js';
import { pause, runTask } from './task.js';

/** A section's items in order: tasks, block/rescue/always, include loops. */
export async function runItems(rc: RunContext, play: PlannedPlay, items: PlanItem[], hosts: HostState[]): Promise<void> {
  for (const item of items) {
    if (rc.halted) return;
    if (item.kind === 'task') {
      const outcomes = await runTask(rc, play, item, rc.active(hosts));
      if (item.module.name === 'meta') await applyMeta(rc, play, outcomes, hosts);
    }
    else if (item.kind === 'include') await runIncludeLoop(rc, play, item, rc.active(hosts));
    else {
      const entered = rc.active(hosts);
      if (!entered.length) continue;
      // Inside a block with a rescue, a failure is the rescue's to handle: not final yet.
      const rescuable = item.rescue.length > 0;
      if (rescuable) entered.forEach((h) => h.rescueDepth++);
      try {
        await runItems(rc, play, item.block, entered);
      } finally {
        if (rescuable) entered.forEach((h) => h.rescueDepth--);
      }
      // A failed host that rescue handles counts as rescued, not failed (Ansible's recap).
      const failedHere = entered.filter((h) => h.failed && !h.unreachable);
      if (item.rescue.length && failedHere.length) {
        for (const h of failedHere) {
          h.failed = false;
          h.stats.failed--;
          h.stats.rescued++;
        }
        await runItems(rc, play, item.rescue, failedHere);
      }
      if (item.always.length) {
        const failedBefore = entered.filter((h) => h.failed);
        failedBefore.forEach((h) => (h.failed = false));
        await runItems(rc, play, item.always, entered.filter((h) => !h.unreachable));
        failedBefore.forEach((h) => (h.failed = true));
      }
    }
  }
}

/**
 * include_tasks/include_role with a loop: the included tasks once per item, each host with its
 * own items (rendered with its variables), the item as an include parameter of every task.
 */
async function runIncludeLoop(rc: RunContext, play: PlannedPlay, inc: PlannedInclude, hosts: HostState[]): Promise<void> {
  const items = new Map<HostState, unknown[]>();
  const first = firstTask(inc);
  for (const h of hosts) {
    try {
      const list = first ? renderDeep(inc.loop, rc.varsFor(play, first, h), inc.pos) : [];
      if (!Array.isArray(list)) throw new Error(`loop must be a list, got ${typeof list}`);
      items.set(h, list);
    } catch (e) {
      h.failed = true;
      h.stats.failed++;
      rc.opts.reporter.onEvent({ type: 'task_start', task: includeInfo(inc), hosts: [h.name] });
      rc.opts.reporter.onEvent({ type: 'host_result', task: includeInfo(inc), host: h.name, outcome: { status: 'failed', result: { changed: false, failed: true, msg: `${inc.pos.file}:${inc.pos.line}: ${(e as Error).message}` }, durationMs: 0 } });
      rc.opts.reporter.onEvent({ type: 'task_end', task: includeInfo(inc) });
    }
  }
  const rounds = Math.max(0, ...[...items.values()].map((l) => l.length));
  for (let i = 0; i < rounds; i++) {
    const these = [...items].filter(([h, l]) => l.length > i && !h.failed && !h.unreachable);
    const saved = these.map(([h]) => [h, h.loopVars] as const);
    for (const [h, l] of these) h.loopVars = { ...h.loopVars, ...loopItemVars(inc.loopControl, l, i) };
    try {
      await runItems(rc, play, inc.body, these.map(([h]) => h));
    } finally {
      for (const [h, v] of saved) h.loopVars = v;
    }
    if (inc.loopControl.pauseMs && i < rounds - 1 && !(await pause(rc, inc.loopControl.pauseMs))) return;
  }
}

/** The include's first task: its variables (role defaults too) render the loop. */
function firstTask(inc: PlannedInclude): PlannedTask | undefined {
  let first: PlannedTask | undefined;
  forEachTask(inc.body, (t) => (first ??= t));
  return first;
}

function includeInfo(inc: PlannedInclude) {
  return { id: -inc.pos.line, name: inc.name, module: 'include', file: inc.pos.file, line: inc.pos.line, handler: false, noLog: false };
}
